"""Linking a verification report's checks to requirements, and the compliance figure."""

import pytest

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.application.traceability import (
    BuildTraceMatrix,
    DeploymentSpecification,
    LinkVerificationEvidence,
    RecordArtifact,
    VerificationTest,
)
from edgedeploy.domain.coverage import GapCode
from edgedeploy.domain.identity import Forbidden
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import ItemId
from edgedeploy.domain.requirements import RequirementLevel as L
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import EvidenceKind, Verdict
from edgedeploy.domain.traceability import Relation as R
from edgedeploy.domain.traceability import VerificationMethod as M
from tests.builders import CI, ENGINEER, REVIEWER, link, req

MODEL = ModelRef("aeb", "1.0.0")
DIGEST = "sha256:" + "ab" * 32

TESTS = (
    VerificationTest("TC-1", "ML-1", "accuracy floor", M.TEST, "min_accuracy"),
    VerificationTest("B2B-1", "ML-1", "agreement", M.BACK_TO_BACK, "top1_agreement"),
    VerificationTest("TC-2", "ML-2", "latency", M.TEST, "latency_budget"),
    VerificationTest("TC-3", "DS-1", "split", M.ANALYSIS, "heldout_independence"),
)


def _report(**passed: bool) -> dict:
    names = ("min_accuracy", "top1_agreement", "latency_budget", "heldout_independence")
    checks = [{"name": n, "passed": passed.get(n, True), "message": f"{n} measured",
               "applicable": True} for n in names]
    return {"verdict": {"checks": checks}}


@pytest.fixture(name="seeded")
def fx_seeded(store):
    store.apply(TraceChange(
        items=[req("SYS-1", ASIL.D), req("SYS-2", ASIL.QM), req("ML-1", ASIL.C, L.ML),
               req("ML-2", ASIL.D, L.ML), req("DS-1", ASIL.C, L.DATASET)],
        links=[link("SYS-1", R.DERIVES, "ML-1"), link("SYS-1", R.DERIVES, "ML-2"),
               link("ML-1", R.DERIVES, "DS-1")]))
    return store


@pytest.fixture(name="link_evidence")
def fx_link_evidence(seeded, link_items, clock):
    return LinkVerificationEvidence(seeded, link_items, RecordArtifact(seeded), clock)


def _verdicts(store, source):
    out = {}
    for li in store.links():
        if li.source == source and li.relation is R.VERIFIED_BY:
            records = [e for e in li.evidence
                       if e.kind in (EvidenceKind.TEST_RESULT, EvidenceKind.ANALYSIS)]
            out[li.target] = records[-1].verdict
    return out


def test_each_test_takes_exactly_its_checks_verdict(link_evidence, seeded):
    rows = link_evidence(TESTS, _report(latency_budget=False), DIGEST, CI,
                         analyst=ENGINEER)
    by_test = {r.test: r.passed for r in rows}
    assert by_test["TC-1"] and by_test["B2B-1"] and by_test["TC-3"]
    assert not by_test["TC-2"]
    assert _verdicts(seeded, "ML-2") == {"TC-2": Verdict.FAILED}
    assert _verdicts(seeded, "ML-1") == {"TC-1": Verdict.PASSED, "B2B-1": Verdict.PASSED}
    assert {r.detail for r in rows if r.test == "TC-2"} == {"latency_budget measured"}


def test_a_check_missing_from_the_report_or_not_applicable_is_a_failed_test(link_evidence):
    report = _report()
    report["verdict"]["checks"] = [c for c in report["verdict"]["checks"]
                                   if c["name"] != "min_accuracy"]
    report["verdict"]["checks"][-1]["applicable"] = False
    rows = {r.test: r for r in link_evidence(TESTS, report, DIGEST, CI)}
    assert not rows["TC-1"].passed
    assert "no 'min_accuracy' check" in rows["TC-1"].detail
    assert not rows["TC-3"].passed


def test_safety_relevant_system_requirements_get_an_analysis_of_their_derived_results(
        link_evidence, seeded):
    rows = link_evidence(TESTS, _report(top1_agreement=False), DIGEST, CI,
                         analyst=ENGINEER, inspector=ENGINEER)
    analyses = {r.test: r for r in rows if r.method is M.ANALYSIS and r.test.startswith("AN-")}
    assert set(analyses) == {"AN-SYS-1"}  # SYS-2 is QM: no analysis
    assert not analyses["AN-SYS-1"].passed  # ML-1 failed one test
    inspections = [r for r in rows if r.method is M.INSPECTION]
    assert [(r.requirement, r.test) for r in inspections] == [("SYS-1", "IN-SYS-1")]
    evidence = seeded.get_link((ItemId("SYS-1"), R.VERIFIED_BY, ItemId("IN-SYS-1"))).evidence
    assert evidence[-1].agent == ENGINEER.name
    assert seeded.get_item(ItemId("IN-SYS-1")).recorded_by == ENGINEER.name
    assert seeded.get_item(ItemId("TC-1")).recorded_by == CI.name


def test_no_inspection_is_recorded_when_no_inspector_is_named(link_evidence):
    rows = link_evidence(TESTS, _report(), DIGEST, CI, analyst=ENGINEER)
    assert not [r for r in rows if r.method is M.INSPECTION]


def test_the_matrix_of_a_release_shows_the_gates_figure_over_the_gates_scope(
        seeded, register, gate, link_items, clock):
    register(MODEL, b"onnx-bytes", "release.engineer")
    seeded.apply(TraceChange(links=[link("ML-1", R.IMPLEMENTED_BY, str(MODEL))]))
    LinkVerificationEvidence(seeded, link_items, RecordArtifact(seeded), clock)(
        TESTS, _report(), DIGEST, CI, analyst=ENGINEER)
    report = gate(MODEL, record=False)
    matrix = BuildTraceMatrix(seeded, clock)("release", report)
    assert matrix.score == report.score
    assert matrix.gap_count == len(report.gaps)
    assert tuple(r.requirement.id for r in matrix.rows) == report.scope
    assert "SYS-2" not in report.scope  # QM and unrelated to the model
    everything = BuildTraceMatrix(seeded, clock)("all")
    assert "SYS-2" in {r.requirement.id for r in everything.rows}
    gap_rows = {r.requirement.id: {g.code for g in r.gaps} for r in matrix.rows}
    assert GapCode.NO_REVIEW in gap_rows["ML-1"]


SPEC = {
    "deployment": "aeb",
    "verification": {"min_accuracy": 95.0, "min_calibration_samples": 256},
    "latency": {"batch": 1, "budget_ms": 10.0, "max_ratio_to_reference": 2.0,
                "confidence": 0.95, "runs": 200},
    "tests": [{"id": "TC-1", "requirement": "ML-1", "method": "test",
               "check": "min_accuracy", "title": "accuracy"}],
}


def test_a_deployment_specification_declares_the_limits_as_data():
    spec = DeploymentSpecification.from_dict(SPEC, "deployment.yaml")
    assert spec.thresholds.latency_budget_ms == 10.0
    assert spec.thresholds.max_latency_ratio == 2.0
    assert spec.thresholds.min_accuracy == 95.0
    assert spec.latency_runs == 200
    assert spec.tests == (VerificationTest("TC-1", "ML-1", "accuracy", M.TEST, "min_accuracy"),)


@pytest.mark.parametrize(("change", "message"), [
    ({"latency": {"budget_ms": -1}}, "latency_budget_ms must be positive"),
    ({"latency": {"budget_ms": "fast"}}, "latency.budget_ms must be a number"),
    ({"latency": {"runs": 5}}, "at least 20"),
    ({"verification": {"min_acuracy": 95}}, "unknown verification field"),
    ({"tests": [{"id": "T", "requirement": "R", "method": "guess", "check": "c",
                 "title": "t"}]}, "method 'guess'"),
    ({"tests": []}, "at least one test"),
    ({"deployment": ""}, "'deployment' must name"),
])
def test_an_invalid_specification_is_refused_naming_the_field(change, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        DeploymentSpecification.from_dict({**SPEC, **change}, "deployment.yaml")
    assert caught.value.code == "DEPLOYMENT_SPEC_INVALID"
    assert "deployment.yaml" in caught.value.message


def test_the_bundled_example_specification_is_valid_and_covers_every_ml_requirement():
    import yaml

    from edgedeploy.entrypoints.demo.flow import EXAMPLE_DEPLOYMENT, load_deployment

    spec = load_deployment()
    assert spec.thresholds.latency_budget_ms == yaml.safe_load(
        EXAMPLE_DEPLOYMENT.read_text())["latency"]["budget_ms"]
    assert {t.requirement for t in spec.tests} >= {
        "ML-AEB-001", "ML-AEB-002", "ML-AEB-003", "ML-AEB-004", "ML-AEB-005", "ML-AEB-006",
        "DS-AEB-001", "DS-AEB-002"}



def test_the_rollout_thresholds_are_declared_beside_the_verification_limits():
    spec = DeploymentSpecification.from_dict(
        {**SPEC, "rollout": {"latency_min_shift_ms": 25.6, "p99_tolerance": 0.5,
                             "detect_ratio": 4.0}})
    assert spec.rollout.latency_min_shift_ms == 25.6
    assert spec.rollout.p99_tolerance == 0.5
    assert spec.rollout.detect_ratio == 4.0
    assert DeploymentSpecification.from_dict(SPEC).rollout.latency_min_shift_ms == 0.5
    with pytest.raises(InvalidInput, match="unknown rollout field"):
        DeploymentSpecification.from_dict({**SPEC, "rollout": {"latency": 3}})
    with pytest.raises(InvalidInput, match="alpha"):
        DeploymentSpecification.from_dict({**SPEC, "rollout": {"alpha": 0.9}})


def test_a_principal_without_the_role_cannot_record_test_results(link_evidence, seeded):
    with pytest.raises(Forbidden, match="record-artifact"):
        link_evidence(TESTS, _report(), DIGEST, REVIEWER)
    assert seeded.get_item(ItemId("TC-1")) is None
