"""Our trace stores and the in-memory fake run the kit third-party stores run.

The kit (:mod:`edgedeploy.plugins.testing.trace_store`) holds what every store must do; what
follows it here is specific to the two RDF stores: they exchange exports with each other, speak
the published vocabulary only, and hold the same compact internal triples.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from edgedeploy.adapters.rdf import OxigraphTraceStore, RdflibTraceStore
from edgedeploy.adapters.rdf import vocabulary as v
from edgedeploy.adapters.signing import Ed25519EvidenceSigner
from edgedeploy.application.audit import check_trace_evidence, sign_evidence
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.trace_store import TraceChange, TraceStore
from edgedeploy.domain.requirements import ItemId, ItemKind, Requirement
from edgedeploy.domain.trace_graph import TraceGraph
from edgedeploy.domain.traceability import Evidence, EvidenceKind, Relation, TraceLink, Verdict
from edgedeploy.plugins.testing import (
    TraceStoreContract,
    TraceStoreExportContract,
    assert_same_answers,
)
from edgedeploy.plugins.testing.trace_data import aeb_graph
from tests.fakes.trace_store import InMemoryTraceStore


class TestOxigraphTraceStore(TraceStoreContract, TraceStoreExportContract):
    @pytest.fixture(name="store_factory")
    def fx_store_factory(self) -> Callable[[], TraceStore]:
        return lambda: OxigraphTraceStore(None)


class TestRdflibTraceStore(TraceStoreContract, TraceStoreExportContract):
    @pytest.fixture(name="store_factory")
    def fx_store_factory(self) -> Callable[[], TraceStore]:
        return RdflibTraceStore


class TestInMemoryTraceStoreFake(TraceStoreContract):
    random_graphs = 10  # the fake is the reference analysis itself; a few graphs suffice

    @pytest.fixture(name="store_factory")
    def fx_store_factory(self) -> Callable[[], TraceStore]:
        return InMemoryTraceStore


RDF_STORES: dict[str, Callable[[], TraceStore]] = {
    "oxigraph": lambda: OxigraphTraceStore(None), "rdflib": RdflibTraceStore}


@pytest.fixture(name="aeb", params=sorted(RDF_STORES))
def fx_aeb(request: pytest.FixtureRequest) -> tuple[TraceStore, TraceGraph]:
    store = RDF_STORES[request.param]()
    items, links = aeb_graph()
    store.apply(TraceChange(items=items, links=links))
    request.addfinalizer(store.close)
    return store, TraceGraph(items, links)


@pytest.mark.parametrize("fmt", ["turtle", "json-ld", "n-triples"])
def test_an_export_imports_into_any_store_with_the_same_answers(
        aeb: tuple[TraceStore, TraceGraph], fmt: str) -> None:
    store, reference = aeb
    data = store.export_rdf(fmt)
    for other in (OxigraphTraceStore(None), RdflibTraceStore()):
        other.import_rdf(data, fmt)
        assert_same_answers(other, reference)
        other.close()


def test_an_unreadable_document_is_refused_and_changes_nothing(
        aeb: tuple[TraceStore, TraceGraph]) -> None:
    store, reference = aeb
    with pytest.raises(InvalidInput, match="turtle"):
        store.import_rdf(b"this is { not turtle", "turtle")  # type: ignore[attr-defined]
    assert_same_answers(store, reference)


def test_a_removed_link_takes_its_evidence_out_of_the_export(
        aeb: tuple[TraceStore, TraceGraph]) -> None:
    store, _ = aeb
    store.apply(TraceChange(remove_links=[(ItemId("SYS-1"), Relation.VERIFIED_BY,
                                           ItemId("TC-1"))]))
    assert b"SYS-1/verified_by/TC-1" not in store.export_rdf("n-triples")


def test_the_export_speaks_the_published_vocabulary_only(
        aeb: tuple[TraceStore, TraceGraph]) -> None:
    store, _ = aeb
    exported = store.export_rdf("n-triples").decode()
    for term in (v.ITEM_CLASSES[ItemKind.REQUIREMENT], v.GENERATED_AT, v.ATTRIBUTED_TO,
                 v.RDF_SUBJECT, v.HAS_EVIDENCE, v.SUSPECT, v.TITLE, v.TEXT):
        assert f"<{term}>" in exported
    for internal in (v.COVERAGE, v.LINK_STATE, *v.RECORD.values()):
        assert f"<{internal}>" not in exported


def _internal_triples(store: TraceStore) -> list[str]:
    """The triples a store holds (its compact internal form), as sorted N-Triples lines."""
    if isinstance(store, OxigraphTraceStore):
        import pyoxigraph as ox

        data = store.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        text = (data or b"").decode()
    else:
        assert isinstance(store, RdflibTraceStore)
        text = store.graph.serialize(format="nt", encoding="utf-8").decode()
    return sorted(line for line in text.splitlines() if line.strip())


def test_both_stores_hold_the_same_triples() -> None:
    items, links = aeb_graph()
    ox, rl = OxigraphTraceStore(None), RdflibTraceStore()
    for store in (ox, rl):
        store.apply(TraceChange(items=items, links=links))
        store.apply(TraceChange(suspect_from=[ItemId("ML-1")]))
    from rdflib import Graph
    from rdflib.compare import isomorphic

    graphs = [Graph().parse(data="\n".join(_internal_triples(s)), format="nt") for s in (ox, rl)]
    assert isomorphic(*graphs)


@pytest.mark.parametrize("make", [lambda: OxigraphTraceStore(None), RdflibTraceStore],
                         ids=["oxigraph", "rdflib"])
def test_the_internal_form_holds_one_triple_per_link_and_one_literal_per_source(
        make: Callable[[], TraceStore]) -> None:
    items, links = aeb_graph()
    store = make()
    store.apply(TraceChange(items=items, links=links))
    requirements = [i for i in items if isinstance(i, Requirement)]
    decomposed = [r for r in requirements if r.decomposition is not None]
    sources_with_state = {link.source for link in links if link.suspect or link.evidence}
    # item records, ASIL + coverage per requirement, decompositions, direct triples, link states
    expected = (len(items) + 2 * len(requirements) + len(decomposed) + len(links)
                + len(sources_with_state))
    assert len(_internal_triples(store)) == expected
    # Removing every link of ML-3 that has state drops its link-state literal with them.
    gone = [link.key for link in links if link.source == "ML-3" and link.evidence]
    store.apply(TraceChange(remove_links=gone))
    assert len(_internal_triples(store)) == expected - len(gone) - 1
    assert not [line for line in _internal_triples(store)
                if line.startswith(f"<{v.item_iri('ML-3')}> <{v.LINK_STATE}>")]
    store.close()


def test_who_recorded_an_artifact_is_published_as_prov_attribution(
        aeb: tuple[TraceStore, TraceGraph]) -> None:
    store, _ = aeb
    exported = store.export_rdf("n-triples").decode()
    test_iri, agent_iri = v.item_iri(ItemId("TC-1")), v.agent_iri("hil.bench")
    assert f"<{test_iri}> <{v.ATTRIBUTED_TO}> <{agent_iri}>" in exported
    assert store.get_item(ItemId("TC-1")).recorded_by == "hil.bench"  # type: ignore[union-attr]


@pytest.fixture(name="signer")
def fx_signer() -> Ed25519EvidenceSigner:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519EvidenceSigner(Ed25519PrivateKey.generate())


@pytest.mark.parametrize("fmt", ["turtle", "json-ld", "n-triples"])
def test_signed_evidence_still_verifies_after_the_internal_form_an_export_and_an_import(
        aeb: tuple[TraceStore, TraceGraph], signer: Ed25519EvidenceSigner, fmt: str) -> None:
    store, _ = aeb
    key = (ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-3"))
    nepal = timezone(timedelta(hours=5, minutes=45))
    records = tuple(sign_evidence(signer, key, e) for e in (
        Evidence(EvidenceKind.TEST_RESULT, Verdict.FAILED, "ci",
                 datetime(2026, 3, 1, 9, 0, 0, 120, tzinfo=nepal),
                 artifact_digest="sha256:" + "ab" * 32),
        Evidence(EvidenceKind.REVIEW, Verdict.PASSED, "Jana \"JN\" Novák",
                 datetime(2026, 3, 1, 9, 5, tzinfo=UTC), independent=True,
                 note="ü ≥ 🚗\nline 2")))
    store.apply(TraceChange(links=[TraceLink(*key, evidence=records)]))
    keys = {signer.key_id: signer}
    stored = store.get_link(key)
    assert stored is not None and stored.evidence == records
    report = check_trace_evidence([stored], keys)
    assert (report.records, report.signed, report.verified, report.problems) == (2, 2, 2, ())

    data = store.export_rdf(fmt)
    for other in (OxigraphTraceStore(None), RdflibTraceStore()):
        other.import_rdf(data, fmt)  # type: ignore[attr-defined]
        imported = other.get_link(key)
        other.close()
        assert imported is not None and imported.evidence == records
        assert check_trace_evidence([imported], keys).verified == 2
