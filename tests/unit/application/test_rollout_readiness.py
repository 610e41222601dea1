"""Release readiness before a roll-out: the trace gate and the verification report."""

from __future__ import annotations

import json

import pytest

from edgedeploy.application.optimization.release import VERIFICATION_REPORT
from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.application.rollout.readiness import TraceAndVerificationReadiness
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact
from edgedeploy.domain.safety import ASIL
from tests.fakes.persistence import InMemoryEvidenceStore
from tests.unit.application.test_gate_and_registry import MODEL, seed


@pytest.fixture(name="evidence")
def fx_evidence():
    return InMemoryEvidenceStore()


@pytest.fixture(name="readiness")
def fx_readiness(gate, store, evidence):
    return TraceAndVerificationReadiness(gate, store, evidence)


def attach_report(store, evidence, report):
    digest = evidence.put(json.dumps(report).encode())
    item = store.get_item(MODEL.item_id)
    store.apply(TraceChange(items=[Artifact(item.id, item.kind, item.title, item.digest,
                                            (*item.attributes, (VERIFICATION_REPORT, digest)))]))
    return digest


def test_a_traced_model_with_a_passed_verification_report_is_ready(store, register, evidence,
                                                                    readiness, uow):
    seed(store, register)
    attach_report(store, evidence, {"passed": True, "checks": []})

    assert readiness.check(MODEL).ready
    with uow() as u:
        assert u.audit.entries() == []  # checking readiness records no gate decision


def test_a_model_without_a_verification_report_is_not_ready(store, register, readiness):
    seed(store, register)

    result = readiness.check(MODEL)

    assert not result.ready
    assert result.reasons == ("verification: aeb@1.0.0 has no verification report "
                              "(run edgedeploy verify)",)


def test_a_failed_report_and_trace_gaps_are_all_reported_together(store, register, evidence,
                                                                  readiness):
    seed(store, register, asil=ASIL.D)  # ASIL D needs an independent review on MLR-1
    digest = attach_report(store, evidence, {"passed": False, "checks": [
        {"name": "accuracy", "passed": True}, {"name": "latency_p99", "passed": False}]})

    result = readiness.check(MODEL)

    assert not result.ready
    assert any(r.startswith("trace gate: MLR-1") for r in result.reasons)
    assert result.reasons[-1] == (f"verification: report {digest} did not pass "
                                  "(failed checks: latency_p99)")


def test_a_report_missing_from_the_evidence_store_is_not_trusted(store, register, evidence,
                                                                  readiness):
    seed(store, register)
    digest = attach_report(store, evidence, {"passed": True})
    evidence.blobs.clear()

    assert readiness.check(MODEL).reasons == (
        f"verification: report {digest} is not in the evidence store",)


def test_an_unregistered_model_is_not_ready_and_says_why(readiness):
    result = readiness.check(ModelRef("aeb", "9.9.9"))

    assert not result.ready
    assert result.reasons == ("trace gate: model version aeb@9.9.9 is not registered",)
