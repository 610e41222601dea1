"""Conformance kit for trace stores (group ``edgedeploy.trace_stores``).

A trace store must answer every question exactly as the domain's reference
:class:`~edgedeploy.domain.trace_graph.TraceGraph` does on the same items and links, and apply
every change all or nothing. Subclass :class:`TraceStoreContract` and provide one fixture,
``store_factory``: a zero-argument callable returning a fresh, empty store (the kit closes what
it opened)::

    from edgedeploy.plugins.testing import TraceStoreContract, TraceStoreExportContract

    class TestMyStore(TraceStoreContract, TraceStoreExportContract):
        @pytest.fixture(name="store_factory")
        def fx_store_factory(self): return my_plugin.factory

:class:`TraceStoreExportContract` adds what the RDF exchange and the store's life cycle promise
(``export_rdf`` in every format, refusal of unknown formats, a closed store that says so);
stores that speak RDF run both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from edgedeploy.application.errors import BackendUnavailable, InvalidInput
from edgedeploy.application.ports.trace_store import TraceChange, TraceStore
from edgedeploy.domain.coverage import GapCode, assess_coverage
from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    ItemKind,
    Requirement,
    TraceItem,
    item_kind,
)
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.trace_graph import TraceGraph
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    InvalidLink,
    ItemNotFound,
    LinkNotFound,
    Relation,
    TraceLink,
    Verdict,
    VerificationMethod,
)
from edgedeploy.plugins.testing.trace_data import CET, DIGEST, aeb_graph, at, result, review

# Changes every store refuses, with the error it raises.
INVALID_CHANGES = [
    (TraceChange(items=[Artifact(ItemId("TC-9"), ArtifactKind.TEST)],
                 links=[TraceLink(ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-404"))]),
     ItemNotFound),
    (TraceChange(items=[Artifact(ItemId("TC-9"), ArtifactKind.TEST)],
                 links=[TraceLink(ItemId("SYS-1"), Relation.DEPLOYED_AS, ItemId("TC-9"))]),
     InvalidLink),
    (TraceChange(links=[TraceLink(ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-2"),
                                  (result(Verdict.FAILED, 500),))],
                 remove_links=[(ItemId("ML-2"), Relation.VERIFIED_BY, ItemId("TC-1"))]),
     LinkNotFound),
    (TraceChange(items=[Artifact(ItemId("TC-1"), ArtifactKind.MODEL)]), InvalidLink),
    (TraceChange(items=[Artifact(ItemId("TC-9"), ArtifactKind.TEST)],
                 suspect_from=[ItemId("nope")]), ItemNotFound),
]
INVALID_IDS = ["unknown-endpoint", "kinds-not-allowed", "remove-missing-link",
               "rekinded-item-under-links", "unknown-suspect-root"]


def assert_same_answers(store: TraceStore, reference: TraceGraph) -> None:
    """Every query of ``store`` answers as ``reference`` does."""
    ids = sorted(reference.items)
    assert store.items() == [reference.items[i] for i in ids]
    assert store.links() == [reference.links[k] for k in sorted(reference.links)]
    for item_id in ids:
        assert store.forward(item_id) == reference.forward(item_id), item_id
        assert store.backward(item_id) == reference.backward(item_id), item_id
        assert store.impact(item_id) == reference.impact(item_id), item_id
    assert store.coverage_facts() == reference.coverage_facts()
    counts = {kind.value: 0 for kind in ItemKind}
    for item in reference.items.values():
        counts[item_kind(item).value] += 1
    assert store.counts() == {**counts, "links": len(reference.links)}


def snapshot(store: TraceStore) -> tuple[list[TraceItem], list[TraceLink]]:
    """Everything a store holds, for before/after comparisons."""
    return store.items(), store.links()


class _StoreFixtures:
    """The fixtures both contracts build on ``store_factory``."""

    @pytest.fixture(name="make_store")
    def fx_make_store(self, store_factory: Callable[[], TraceStore],
                      ) -> Iterator[Callable[[], TraceStore]]:
        """Fresh stores from the subclass's ``store_factory``, closed after the test."""
        opened: list[TraceStore] = []

        def make() -> TraceStore:
            store = store_factory()
            opened.append(store)
            return store

        yield make
        for store in opened:
            store.close()  # closing twice is allowed: a test may have closed it already

    @pytest.fixture(name="store")
    def fx_store(self, make_store: Callable[[], TraceStore]) -> TraceStore:
        """One fresh, empty store."""
        return make_store()

    @pytest.fixture(name="aeb")
    def fx_aeb(self, store: TraceStore) -> tuple[TraceStore, TraceGraph]:
        """A store holding the AEB example, and the reference analysis of the same graph."""
        items, links = aeb_graph()
        store.apply(TraceChange(items=items, links=links))
        return store, TraceGraph(items, links)


class TraceStoreContract(_StoreFixtures):
    """What every trace store must answer; subclass it and provide ``store_factory``."""

    random_graphs = 30
    """How many random graphs the property check draws."""

    def test_every_answer_equals_the_reference_on_the_aeb_example(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """Every answer equals the reference on the AEB example."""
        assert_same_answers(*aeb)

    def test_every_answer_equals_the_reference_on_random_graphs(
            self, make_store: Callable[[], TraceStore]) -> None:
        """Every answer equals the reference on random graphs (needs hypothesis)."""
        hypothesis = pytest.importorskip("hypothesis")
        from edgedeploy.plugins.testing.trace_strategies import trace_graphs

        @hypothesis.settings(  # type: ignore[untyped-decorator]
            max_examples=self.random_graphs, deadline=None,
            suppress_health_check=[hypothesis.HealthCheck.too_slow])
        @hypothesis.given(graph=trace_graphs())  # type: ignore[untyped-decorator]
        def check(graph: tuple[list[TraceItem], list[TraceLink]]) -> None:
            items, links = graph
            store = make_store()
            store.apply(TraceChange(items=items, links=links))
            assert_same_answers(store, TraceGraph(items, links))

        check()

    def test_items_round_trip_every_field(self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """Items round trip every field."""
        store, reference = aeb
        for item_id, item in reference.items.items():
            assert store.get_item(item_id) == item
        sys1 = store.get_item(ItemId("SYS-1"))
        assert isinstance(sys1, Requirement)
        assert sys1.text.startswith("<xhtml:div>Brake when a <b>pedestrian</b> &amp;")
        assert sys1.attributes[2] == ("Owner", "second value, kept in order")
        assert store.get_item(ItemId("missing")) is None

    def test_links_round_trip_with_evidence_in_order(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """Links round trip with evidence in order."""
        store, reference = aeb
        for key, expected in reference.links.items():
            assert store.get_link(key) == expected
        link = store.get_link((ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-1")))
        assert link is not None
        assert [e.verdict for e in link.evidence] == [Verdict.FAILED, Verdict.PASSED,
                                                      Verdict.PASSED]
        assert link.evidence[2].recorded_at.utcoffset() is not None
        assert link.evidence[2].note == "checked \"all\" cases\nline 2"
        assert store.get_link((ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-3"))) is None

    def test_items_of_one_kind_are_sorted_by_id(self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """Items of one kind are sorted by id."""
        store, _ = aeb
        assert [i.id for i in store.items(ItemKind.TEST)] == ["TC-1", "TC-2", "TC-3", "TC-4"]
        assert [i.id for i in store.items(ItemKind.DEPLOYMENT)] == ["ecu-front/slot-0"]

    def test_the_latest_test_result_wins_in_both_directions(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """The latest test result wins in both directions."""
        store, _ = aeb
        facts = {f.requirement: f for f in store.coverage_facts()}
        # SYS-1 -> TC-1 failed then passed; ML-1 -> TC-1 passed then failed.
        assert facts[ItemId("SYS-1")].passing_verifications == 2
        assert facts[ItemId("SYS-1")].methods == (VerificationMethod.FAULT_INJECTION,
                                                  VerificationMethod.TEST)
        assert facts[ItemId("ML-1")].failing_tests == ("TC-1",)
        assert facts[ItemId("ML-1")].passing_verifications == 1  # the analysis on TC-4
        assert facts[ItemId("ML-1")].methods == ()  # that analysis names no method
        assert facts[ItemId("ML-3")].passing_verifications == 0
        assert facts[ItemId("ML-3")].failing_tests == ()  # inconclusive is neither

    def test_reviews_count_only_passed_ones_and_independence_separately(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """Reviews count only passed ones and independence separately."""
        store, _ = aeb
        facts = {f.requirement: f for f in store.coverage_facts()}
        assert (facts[ItemId("SYS-1")].reviews, facts[ItemId("SYS-1")].independent_reviews) == (
            3, 2)
        assert facts[ItemId("ML-3")].reviews == 0  # its only review failed

    def test_asil_inheritance_facts_flag_only_undecomposed_drops(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """ASIL inheritance facts flag only undecomposed drops."""
        store, _ = aeb
        facts = {f.requirement: f for f in store.coverage_facts()}
        assert facts[ItemId("ML-1")].parent_asils == (ASIL.D,)
        assert facts[ItemId("ML-1")].decomposition is not None
        assert facts[ItemId("DS-1")].parent_asils == (ASIL.A,)
        gaps = assess_coverage(store.coverage_facts()).gaps
        inherited = {g.item for g in gaps if g.code is GapCode.ASIL_NOT_INHERITED}
        # ML-3 (A) under SYS-1 (D) without decomposition; ML-1 and ML-2 are decomposed.
        assert "ML-3" in inherited
        assert not inherited & {"ML-1", "ML-2"}

    def test_scoped_facts_skip_unknown_ids_and_artifacts(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """Scoped facts skip unknown ids and artifacts."""
        store, reference = aeb
        scope = [ItemId("ML-2"), ItemId("TC-1"), ItemId("nope"), ItemId("ML-1")]
        assert store.coverage_facts(scope) == reference.coverage_facts(scope)
        assert [f.requirement for f in store.coverage_facts(scope)] == ["ML-1", "ML-2"]
        assert store.coverage_facts([]) == []

    def test_a_large_scope_gives_the_same_facts_as_the_whole_graph(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """A large scope gives the same facts as the whole graph."""
        store, reference = aeb
        scope = [*reference.items, *(ItemId(f"X-{i}") for i in range(400))]
        assert store.coverage_facts(scope) == reference.coverage_facts()

    def test_suspect_marks_every_downstream_link_once_and_counts_them(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """Suspect marks every downstream link once and counts them."""
        store, reference = aeb
        downstream = reference.forward(ItemId("ML-1")).links
        already = sum(1 for key in downstream if reference.links[key].suspect)
        assert store.apply(TraceChange(suspect_from=[ItemId("ML-1")])) == len(downstream) - already
        for key in downstream:
            link = store.get_link(key)
            assert link is not None and link.suspect
        assert store.apply(TraceChange(suspect_from=[ItemId("ML-1")])) == 0
        untouched = store.get_link((ItemId("SYS-1"), Relation.DERIVES, ItemId("ML-1")))
        assert untouched is not None and not untouched.suspect

    def test_suspect_follows_links_added_in_the_same_change(self, store: TraceStore) -> None:
        """Suspect follows links added in the same change."""
        items, _ = aeb_graph()
        store.apply(TraceChange(items=items))
        marked = store.apply(TraceChange(
            links=[TraceLink(ItemId("ML-1"), Relation.IMPLEMENTED_BY,
                             ItemId("aeb-detector@1.4.0")),
                   TraceLink(ItemId("aeb-detector@1.4.0"), Relation.DEPLOYED_AS,
                             ItemId("ecu-front/slot-0"))],
            suspect_from=[ItemId("ML-1")]))
        assert marked == 2
        assert all(link.suspect for link in store.links())

    def test_a_review_clears_a_suspect_link_when_the_link_is_written_again(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """A review clears a suspect link when the link is written again."""
        store, _ = aeb
        key = (ItemId("ML-1"), Relation.VERIFIED_BY, ItemId("TC-4"))
        link = store.get_link(key)
        assert link is not None and link.suspect
        cleared = link.reviewed(review(90))
        store.apply(TraceChange(links=[cleared]))
        assert store.get_link(key) == cleared
        assert {f.requirement: f for f in store.coverage_facts()}[ItemId("ML-1")].suspect_links == 0

    def test_upserts_replace_items_and_links_instead_of_merging(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """Upserts replace items and links instead of merging."""
        store, reference = aeb
        sys1 = reference.items[ItemId("SYS-1")]
        assert isinstance(sys1, Requirement)
        new = replace(sys1, title="Brake for pedestrians and cyclists", text="", attributes=(),
                      version=4)
        key = (ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-1"))
        link = TraceLink(*key, evidence=(result(Verdict.FAILED, 99),))
        store.apply(TraceChange(items=[new], links=[link]))
        assert store.get_item(ItemId("SYS-1")) == new
        assert store.get_link(key) == link
        links = {**reference.links, key: link}
        items = {**reference.items, new.id: new}
        assert_same_answers(store, TraceGraph(items.values(), links.values()))

    def test_removing_a_link_removes_its_evidence_too(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """Removing a link removes its evidence too."""
        store, reference = aeb
        key = (ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-1"))
        store.apply(TraceChange(remove_links=[key]))
        assert store.get_link(key) is None
        links = [link for k, link in reference.links.items() if k != key]
        assert_same_answers(store, TraceGraph(reference.items.values(), links))

    @pytest.mark.parametrize("change, error", INVALID_CHANGES, ids=INVALID_IDS)
    def test_an_invalid_change_leaves_the_store_unchanged(
            self, aeb: tuple[TraceStore, TraceGraph], change: TraceChange,
            error: type[Exception]) -> None:
        """An invalid change leaves the store unchanged."""
        store, reference = aeb
        before = snapshot(store)
        with pytest.raises(error):
            store.apply(change)
        assert snapshot(store) == before
        assert_same_answers(store, reference)

    def test_an_item_may_change_kind_when_its_links_still_fit(self, store: TraceStore) -> None:
        """An item may change kind when its links still fit."""
        store.apply(TraceChange(items=[Artifact(ItemId("A-1"), ArtifactKind.DATASET)]))
        store.apply(TraceChange(items=[Artifact(ItemId("A-1"), ArtifactKind.MODEL)]))
        assert [i.id for i in store.items(ItemKind.MODEL)] == ["A-1"]
        assert store.items(ItemKind.DATASET) == []

    def test_an_empty_store_answers_with_nothing(self, store: TraceStore) -> None:
        """An empty store answers with nothing."""
        assert store.items() == []
        assert store.links() == []
        assert store.coverage_facts() == []
        assert store.counts() == {**{k.value: 0 for k in ItemKind}, "links": 0}
        assert store.forward(ItemId("X")).items == ()
        assert store.apply(TraceChange()) == 0

    def test_evidence_round_trips_every_awkward_field(self, store: TraceStore) -> None:
        """Evidence round trips every awkward field."""
        items, _ = aeb_graph()
        store.apply(TraceChange(items=items))
        nepal = timezone(timedelta(hours=5, minutes=45))
        records = (
            Evidence(EvidenceKind.REVIEW, Verdict.PASSED, "Jana \"JN\" Novák\\safety",
                     datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=CET),
                     note='quotes " and \' and \\, lines\nand\ttabs, \x01 control, ü ≥ 🚗, '
                          '["json", 1]', independent=True),
            Evidence(EvidenceKind.TEST_RESULT, Verdict.FAILED, "ci", at(1, nepal),
                     artifact_digest="sha256:" + "AB" * 32),  # upper case: kept verbatim
            Evidence(EvidenceKind.ANALYSIS, Verdict.PASSED, "ci", at(1),
                     artifact_digest="report.pdf#page=3", method=None),
            Evidence(EvidenceKind.REPORT, Verdict.INCONCLUSIVE, "bot", at(2),
                     artifact_digest=""),
            Evidence(EvidenceKind.TEST_RESULT, Verdict.PASSED, "ci", at(3),
                     artifact_digest=DIGEST, method=VerificationMethod.BACK_TO_BACK,
                     note="#!@"),
        )
        link = TraceLink(ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-3"), records,
                         suspect=True)
        store.apply(TraceChange(links=[link]))
        stored = store.get_link(link.key)
        assert stored == link
        assert [e.recorded_at.utcoffset() for e in stored.evidence] == [
            e.recorded_at.utcoffset() for e in records]
        assert [e.artifact_digest for e in stored.evidence] == [
            e.artifact_digest for e in records]
        assert store.links() == [link]

    def test_signed_records_round_trip_their_signature_and_key(self, store: TraceStore) -> None:
        """Signed records round trip their signature and key id, byte for byte.

        A store holds signatures as opaque text; it need not verify them, only give back
        exactly what was written, so that ``audit verify`` can (an unsigned record stays
        unsigned).
        """
        items, _ = aeb_graph()
        store.apply(TraceChange(items=items))
        nepal = timezone(timedelta(hours=5, minutes=45))
        records = (
            replace(result(Verdict.FAILED, 1), signature="A" * 86 + "==",
                    key_id="sha256:" + "0f" * 32),
            replace(review(2, independent=True), signature="b/+9" * 22,
                    key_id="SHA256:Upper-Case key"),  # not packable: kept verbatim
            result(Verdict.PASSED, 3),
            Evidence(EvidenceKind.ANALYSIS, Verdict.PASSED, "ci", at(4, nepal), note="",
                     signature="c2ln", key_id="sha256:" + "ee" * 32),
        )
        link = TraceLink(ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-3"), records)
        store.apply(TraceChange(links=[link]))
        stored = store.get_link(link.key)
        assert stored is not None
        assert [(e.signature, e.key_id) for e in stored.evidence] == [
            (e.signature, e.key_id) for e in records]
        assert stored == link
        assert store.links() == [link]

    def test_the_first_of_equally_recent_results_wins(self, store: TraceStore) -> None:
        """The first of equally recent results wins."""
        items, _ = aeb_graph()
        links = [
            TraceLink(ItemId("ML-3"), Relation.VERIFIED_BY, ItemId("TC-3"),
                      (result(Verdict.PASSED, 5, VerificationMethod.SIMULATION),
                       result(Verdict.FAILED, 5))),
            TraceLink(ItemId("ML-3"), Relation.VERIFIED_BY, ItemId("TC-4"),
                      (result(Verdict.FAILED, 5), result(Verdict.PASSED, 5))),
        ]
        store.apply(TraceChange(items=items, links=links))
        facts = {f.requirement: f for f in store.coverage_facts()}[ItemId("ML-3")]
        assert (facts.passing_verifications, facts.methods, facts.failing_tests) == (
            1, (VerificationMethod.SIMULATION,), ("TC-4",))
        assert store.coverage_facts() == TraceGraph(items, links).coverage_facts()

    def test_suspect_flags_round_trip_with_and_without_evidence(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """Suspect flags round trip with and without evidence."""
        store, reference = aeb
        bare = TraceLink(ItemId("DS-1"), Relation.SATISFIED_BY, ItemId("data/night#v2?x=1"),
                         suspect=True)
        store.apply(TraceChange(links=[bare]))
        assert store.get_link(bare.key) == bare
        facts = {f.requirement: f for f in store.coverage_facts()}
        assert facts[ItemId("DS-1")].suspect_links == 1
        cleared = replace(bare, suspect=False)
        store.apply(TraceChange(links=[cleared]))
        assert store.get_link(bare.key) == cleared
        assert_same_answers(store, reference)

    def test_a_requirement_given_another_asil_changes_its_childrens_parent_asils(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """A requirement given another ASIL changes its children's parent ASILs."""
        store, reference = aeb
        sys1 = reference.items[ItemId("SYS-1")]
        assert isinstance(sys1, Requirement)
        lowered = replace(sys1, asil=ASIL.A)
        store.apply(TraceChange(items=[lowered]))
        facts = {f.requirement: f for f in store.coverage_facts()}
        assert facts[ItemId("ML-3")].parent_asils == (ASIL.A,)
        assert_same_answers(store, TraceGraph({**reference.items, lowered.id: lowered}.values(),
                                              reference.links.values()))

    def test_an_item_that_stops_being_a_requirement_leaves_the_gap_report(
            self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """An item that stops being a requirement leaves the gap report."""
        store, reference = aeb
        test = Artifact(ItemId("ORPHAN-1"), ArtifactKind.TEST, "now a test")
        store.apply(TraceChange(items=[test]))
        assert ItemId("ORPHAN-1") not in {f.requirement for f in store.coverage_facts()}
        assert_same_answers(store, TraceGraph({**reference.items, test.id: test}.values(),
                                              reference.links.values()))

    def test_the_store_satisfies_the_port(self, store: TraceStore) -> None:
        """The store satisfies the port."""
        assert isinstance(store, TraceStore)


class TraceStoreExportContract(_StoreFixtures):
    """RDF export and life cycle; subclass it beside :class:`TraceStoreContract`."""

    @pytest.mark.parametrize("fmt", ["turtle", "json-ld", "n-triples"])
    def test_every_format_exports_a_document_rdflib_reads(
            self, aeb: tuple[TraceStore, TraceGraph], fmt: str) -> None:
        """Every format exports a document rdflib reads, with a triple per item at least."""
        rdflib = pytest.importorskip("rdflib")
        store, reference = aeb
        graph = rdflib.Graph().parse(data=store.export_rdf(fmt),
                                     format={"n-triples": "nt"}.get(fmt, fmt))
        assert len(graph) >= len(reference.items)

    def test_a_removed_link_leaves_the_export(self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """A removed link leaves the export."""
        store, _ = aeb
        before = store.export_rdf("n-triples")
        store.apply(TraceChange(remove_links=[(ItemId("SYS-1"), Relation.VERIFIED_BY,
                                               ItemId("TC-1"))]))
        assert len(store.export_rdf("n-triples").splitlines()) < len(before.splitlines())

    @pytest.mark.parametrize("change, error", INVALID_CHANGES, ids=INVALID_IDS)
    def test_an_invalid_change_leaves_the_export_unchanged(
            self, aeb: tuple[TraceStore, TraceGraph], change: TraceChange,
            error: type[Exception]) -> None:
        """An invalid change leaves the export unchanged."""
        store, _ = aeb
        exported = store.export_rdf("n-triples")
        with pytest.raises(error):
            store.apply(change)
        assert sorted(store.export_rdf("n-triples").splitlines()) == sorted(
            exported.splitlines())

    def test_an_unknown_format_is_refused(self, aeb: tuple[TraceStore, TraceGraph]) -> None:
        """An unknown format is refused, naming it."""
        store, _ = aeb
        with pytest.raises(InvalidInput, match="rdf/xml"):
            store.export_rdf("rdf/xml")

    def test_a_closed_store_says_so(self, store: TraceStore) -> None:
        """A closed store says so."""
        store.close()
        with pytest.raises(BackendUnavailable, match="closed"):
            store.counts()
