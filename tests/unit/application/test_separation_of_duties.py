"""Roles and separation of duties on the trace: refusals write nothing and move no gate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.application.traceability import RecordArtifact
from edgedeploy.domain.identity import Forbidden, Role, SeparationOfDutiesViolation
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import ArtifactKind, ItemId
from edgedeploy.domain.requirements import RequirementLevel as L
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.separation import EvidenceMissing
from edgedeploy.domain.traceability import Evidence, EvidenceKind, Verdict
from edgedeploy.domain.traceability import Relation as R
from edgedeploy.domain.traceability import VerificationMethod as M
from tests.builders import ENGINEER, REVIEWER, T0, art, link, person, req

MODEL = ModelRef("aeb", "1.0.0")
DIGEST = "sha256:" + "cd" * 32
BOTH = person("m.both", Role.ENGINEER, Role.SAFETY_REVIEWER, unit="development/perception")


def _evidence(kind: EvidenceKind, agent: str, *, verdict: Verdict = Verdict.PASSED,
              digest: str | None = DIGEST, independent: bool = False,
              method: M | None = None, at: int = 0) -> Evidence:
    return Evidence(kind, verdict, agent, T0 + timedelta(minutes=at), digest, method,
                    independent)


@pytest.fixture(name="world")
def fx_world(store, register, link_items):
    register(MODEL, b"onnx-bytes", "release.engineer")
    store.apply(TraceChange(
        items=[req("SYS-1", ASIL.D), req("MLR-1", ASIL.D, L.ML)],
        links=[link("SYS-1", R.DERIVES, "MLR-1"), link("MLR-1", R.IMPLEMENTED_BY, str(MODEL))]))
    record = RecordArtifact(store)
    record(art("TC-1", ArtifactKind.TEST), actor=ENGINEER)
    record(art("TC-2", ArtifactKind.TEST), actor=BOTH)
    link_items(ItemId("MLR-1"), R.VERIFIED_BY, ItemId("TC-1"),
               _evidence(EvidenceKind.TEST_RESULT, ENGINEER.name), actor=ENGINEER)
    return store


def _gate_state(gate):
    report = gate(MODEL, record=False)
    return report.passed, report.score, sorted((g.item, g.code) for g in report.gaps)


def _refused(world, gate, link_items, error, source, target, evidence, actor, match):
    before_gate, before_link = _gate_state(gate), world.get_link((source, R.VERIFIED_BY, target))
    with pytest.raises(error, match=match):
        link_items(ItemId(source), R.VERIFIED_BY, ItemId(target), evidence, actor=actor)
    assert world.get_link((source, R.VERIFIED_BY, target)) == before_link
    assert _gate_state(gate) == before_gate


def test_an_artifact_records_who_recorded_it(world):
    assert world.get_item(ItemId("TC-1")).recorded_by == ENGINEER.name
    with pytest.raises(Forbidden, match="record-artifact"):
        RecordArtifact(world)(art("TC-9", ArtifactKind.TEST), actor=REVIEWER)
    assert world.get_item(ItemId("TC-9")) is None


def test_an_engineer_cannot_record_an_independent_review(world, gate, link_items):
    _refused(world, gate, link_items, Forbidden, "MLR-1", "TC-1",
             _evidence(EvidenceKind.REVIEW, ENGINEER.name, independent=True), ENGINEER,
             "independent-review")


def test_a_reviewer_cannot_independently_review_an_item_they_recorded(world, gate,
                                                                       link_items):
    link_items(ItemId("MLR-1"), R.VERIFIED_BY, ItemId("TC-2"), actor=BOTH)
    with pytest.raises(SeparationOfDutiesViolation, match="authored or recorded"):
        link_items(ItemId("MLR-1"), R.VERIFIED_BY, ItemId("TC-2"),
                   _evidence(EvidenceKind.REVIEW, BOTH.name, independent=True), actor=BOTH)


def test_a_reviewer_cannot_independently_review_evidence_they_recorded(world, gate,
                                                                        link_items):
    link_items(ItemId("MLR-1"), R.VERIFIED_BY, ItemId("TC-1"),
               _evidence(EvidenceKind.TEST_RESULT, BOTH.name, method=M.SIMULATION, at=1),
               actor=BOTH)
    _refused(world, gate, link_items, SeparationOfDutiesViolation, "MLR-1", "TC-1",
             _evidence(EvidenceKind.REVIEW, BOTH.name, independent=True, at=2), BOTH,
             "authored or recorded")


def test_an_independent_reviewer_may_review_and_that_closes_the_gap(world, gate, link_items):
    updated = link_items(ItemId("MLR-1"), R.VERIFIED_BY, ItemId("TC-1"),
                         _evidence(EvidenceKind.REVIEW, REVIEWER.name, independent=True),
                         actor=REVIEWER)
    assert updated.latest(EvidenceKind.REVIEW).independent


def test_a_passed_test_result_without_evidence_is_refused(world, gate, link_items):
    _refused(world, gate, link_items, EvidenceMissing, "MLR-1", "TC-1",
             _evidence(EvidenceKind.TEST_RESULT, ENGINEER.name, digest=None, at=3), ENGINEER,
             "needs its evidence")


def test_a_reviewer_cannot_record_test_results(world, gate, link_items):
    _refused(world, gate, link_items, Forbidden, "MLR-1", "TC-1",
             _evidence(EvidenceKind.TEST_RESULT, REVIEWER.name, at=3), REVIEWER,
             "record-test-result")


def test_evidence_in_another_persons_name_is_refused(world, gate, link_items):
    _refused(world, gate, link_items, Forbidden, "MLR-1", "TC-1",
             _evidence(EvidenceKind.REVIEW, REVIEWER.name, independent=True), ENGINEER,
             "in the name of")


def test_a_link_without_evidence_needs_the_right_to_record_artifacts(world, link_items):
    with pytest.raises(Forbidden, match="record-artifact"):
        link_items(ItemId("SYS-1"), R.VERIFIED_BY, ItemId("TC-2"), actor=REVIEWER)
    assert world.get_link((ItemId("SYS-1"), R.VERIFIED_BY, ItemId("TC-2"))) is None


def test_a_stricter_table_asks_independence_from_another_unit(world):
    from dataclasses import replace

    from edgedeploy.application.traceability import LinkItems
    from edgedeploy.domain.asil_rules import (
        ASIL_SEPARATION_RULES,
        Independence,
        check_separation_rules,
    )
    from edgedeploy.domain.errors import InvariantViolation

    strict = {**ASIL_SEPARATION_RULES,
              ASIL.D: replace(ASIL_SEPARATION_RULES[ASIL.D], review_independence=Independence.I2)}
    check_separation_rules(strict)  # stricter than the defaults: accepted
    units = {ENGINEER.name: "development/perception"}
    linking = LinkItems(world, strict, unit_of=lambda name: units.get(name, ""))
    colleague = person("r.colleague", Role.SAFETY_REVIEWER, unit="development/perception")
    with pytest.raises(SeparationOfDutiesViolation, match="both in unit"):
        linking(ItemId("MLR-1"), R.VERIFIED_BY, ItemId("TC-1"),
                _evidence(EvidenceKind.REVIEW, colleague.name, independent=True),
                actor=colleague)
    assessor = person("a.assessor", Role.SAFETY_REVIEWER, unit="safety/assessment")
    reviewed = linking(ItemId("MLR-1"), R.VERIFIED_BY, ItemId("TC-1"),
                       _evidence(EvidenceKind.REVIEW, assessor.name, independent=True),
                       actor=assessor)
    assert reviewed.evidence[-1].agent == assessor.name and reviewed.evidence[-1].independent
    with pytest.raises(InvariantViolation, match="independence I0 is below I1"):
        check_separation_rules({**ASIL_SEPARATION_RULES, ASIL.D: replace(
            ASIL_SEPARATION_RULES[ASIL.D], review_independence=Independence.I0)})
