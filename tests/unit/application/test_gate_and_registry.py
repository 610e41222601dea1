import pytest

from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.application.traceability import AssessReadiness
from edgedeploy.domain.coverage import GapCode, SafetyTraceGapError
from edgedeploy.domain.models import DigestMismatch, ModelRef, ModelVersionNotFound
from edgedeploy.domain.requirements import ArtifactKind as K
from edgedeploy.domain.requirements import RequirementLevel as L
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import DuplicateTraceLink, InvalidLink, ItemNotFound
from edgedeploy.domain.traceability import Relation as R
from edgedeploy.domain.traceability import VerificationMethod as M
from tests.builders import ENGINEER, REVIEWER, art, link, req, result, review

MODEL = ModelRef("aeb", "1.0.0")


def seed(store, register, asil=ASIL.C):
    register(MODEL, b"onnx-bytes", "release.engineer")
    store.apply(TraceChange(
        items=[req("SYS-1", asil), req("MLR-1", asil, L.ML), art("TC-1", K.TEST),
               art("TC-2", K.TEST)],
        links=[link("SYS-1", R.DERIVES, "MLR-1"), link("MLR-1", R.IMPLEMENTED_BY, str(MODEL)),
               link("SYS-1", R.VERIFIED_BY, "TC-2", result(), review(independent=True)),
               link("MLR-1", R.VERIFIED_BY, "TC-1", result(method=M.SIMULATION), review())]))


def test_a_complete_trace_lets_the_model_through_and_is_logged(store, register, gate, uow):
    seed(store, register)
    report = gate(MODEL, "release.engineer")
    assert report.passed, report.gaps
    assert report.scope == ("MLR-1", "SYS-1")
    assert report.score == 1.0
    with uow() as u:
        entries = u.audit.entries()
    assert [(e.subject, e.outcome) for e in entries] == [("aeb@1.0.0", "passed")]
    assert report.audit_sequence == 1


def test_an_asil_d_requirement_without_independent_review_blocks_the_model(store, register,
                                                                            gate):
    seed(store, register, ASIL.D)
    report = gate(MODEL)
    assert not report.passed
    assert (("MLR-1", GapCode.NO_INDEPENDENT_REVIEW) in
            {(g.item, g.code) for g in report.gaps})
    with pytest.raises(SafetyTraceGapError, match=r"NO_INDEPENDENT_REVIEW"):
        report.raise_for_gaps()


def test_an_unrealised_sibling_requirement_blocks_the_model(store, register, gate):
    seed(store, register)
    store.apply(TraceChange(items=[req("MLR-2", ASIL.C, L.ML)],
                            links=[link("SYS-1", R.DERIVES, "MLR-2")]))
    report = gate(MODEL)
    assert {("MLR-2", GapCode.NOT_REALIZED), ("MLR-2", GapCode.NOT_VERIFIED)} <= {
        (g.item, g.code) for g in report.gaps}


def test_a_model_without_any_requirement_is_blocked(register, gate):
    register(MODEL, b"onnx-bytes", "release.engineer")
    report = gate(MODEL)
    assert [g.code for g in report.gaps] == [GapCode.MODEL_NOT_TRACED]


def test_an_unregistered_model_cannot_be_gated(gate):
    with pytest.raises(ModelVersionNotFound, match=r"aeb@1\.0\.0 is not registered"):
        gate(MODEL)


def test_registering_the_same_bytes_twice_is_idempotent_and_other_bytes_are_refused(register):
    first = register(MODEL, b"onnx-bytes", "a")
    assert register(MODEL, b"onnx-bytes", "b") == first
    with pytest.raises(DigestMismatch):
        register(MODEL, b"other-bytes", "c")


def test_readiness_lists_every_check_without_logging(store, register, gate, uow):
    seed(store, register)
    readiness = AssessReadiness(gate, uow)(MODEL)
    assert readiness.ready
    assert [c.name for c in readiness.checks] == ["registered", "trace complete",
                                                  "audit log intact"]
    with uow() as u:
        assert u.audit.entries() == []


def test_links_are_checked_before_they_are_written(store, link_items):
    store.apply(TraceChange(items=[req("SYS-1"), req("MLR-1"), art("TC-1", K.TEST)]))
    link_items("SYS-1", R.DERIVES, "MLR-1", actor=ENGINEER)
    with pytest.raises(DuplicateTraceLink):
        link_items("SYS-1", R.DERIVES, "MLR-1", actor=ENGINEER)
    with pytest.raises(InvalidLink, match="cycle"):
        link_items("MLR-1", R.DERIVES, "SYS-1", actor=ENGINEER)
    with pytest.raises(ItemNotFound, match="TC-404"):
        link_items("SYS-1", R.VERIFIED_BY, "TC-404", actor=ENGINEER)


def test_a_passed_review_clears_a_suspect_link(store, link_items):
    store.apply(TraceChange(items=[req("SYS-1"), art("TC-1", K.TEST)],
                            links=[link("SYS-1", R.VERIFIED_BY, "TC-1", suspect=True)]))
    updated = link_items("SYS-1", R.VERIFIED_BY, "TC-1", review(REVIEWER.name),
                         actor=REVIEWER)
    assert not updated.suspect
    assert not store.get_link(("SYS-1", R.VERIFIED_BY, "TC-1")).suspect
