"""How the bundled example's requirements are verified: each is a criterion on measured figures.

This is the example's test specification (ISO 26262-8 clause 9): which measurement of the
deployment verification report decides each requirement, by which method, against which limit.
Verdicts are computed from the report; nothing here is a result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edgedeploy.domain.traceability import VerificationMethod

Report = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Criterion:
    """One test: the requirement it verifies, its method, and how to judge the report."""

    test_id: str
    requirement: str
    title: str
    method: VerificationMethod
    judge: Callable[[Report], tuple[bool, str]]


def _check(report: Report, name: str) -> dict[str, Any]:
    for check in report["verdict"]["checks"]:
        if check["name"] == name:
            return dict(check)
    return {"passed": False, "message": f"the report has no '{name}' check"}


def _from_check(name: str) -> Callable[[Report], tuple[bool, str]]:
    def judge(report: Report) -> tuple[bool, str]:
        check = _check(report, name)
        applicable = check.get("applicable", True)
        return bool(check["passed"]) and bool(applicable), str(check["message"])
    return judge


def _accuracy_at_least(limit: float) -> Callable[[Report], tuple[bool, str]]:
    def judge(report: Report) -> tuple[bool, str]:
        accuracy = float(report["deployed_runtime_accuracy"])
        return accuracy >= limit, f"deployed top-1 accuracy {accuracy:.2f}% (limit {limit}%)"
    return judge


def _latency_p99_at_most(limit_ms: float) -> Callable[[Report], tuple[bool, str]]:
    def judge(report: Report) -> tuple[bool, str]:
        p99 = float(report["latency_ms"]["batch_1"]["p99"])
        return p99 <= limit_ms, f"p99 latency at batch 1: {p99:.3f} ms (limit {limit_ms} ms)"
    return judge


CRITERIA: tuple[Criterion, ...] = (
    Criterion("TC-ML-001", "ML-AEB-001", "Held-out accuracy on the deployed runtime",
              VerificationMethod.TEST, _accuracy_at_least(95.0)),
    Criterion("TC-ML-002", "ML-AEB-002", "Per-class recall on the held-out set",
              VerificationMethod.TEST, _from_check("per_class_recall")),
    Criterion("B2B-ML-002", "ML-AEB-002", "Back-to-back agreement with the FP32 reference",
              VerificationMethod.BACK_TO_BACK, _from_check("top1_agreement")),
    Criterion("TC-ML-003", "ML-AEB-003", "Accuracy under sensor noise",
              VerificationMethod.FAULT_INJECTION, _from_check("noise_robustness")),
    Criterion("TC-ML-004", "ML-AEB-004", "Inference latency p99 at batch 1",
              VerificationMethod.TEST, _latency_p99_at_most(10.0)),
    Criterion("B2B-ML-004", "ML-AEB-004", "Finite outputs on every held-out input",
              VerificationMethod.BACK_TO_BACK, _from_check("finite_outputs")),
    Criterion("TC-ML-005", "ML-AEB-005", "Malformed inputs are rejected",
              VerificationMethod.FAULT_INJECTION, _from_check("input_validation")),
    Criterion("TC-ML-006", "ML-AEB-006", "Quantized accuracy within 0.5 points of FP32",
              VerificationMethod.BACK_TO_BACK, _from_check("accuracy_drop")),
    Criterion("TC-DS-001", "DS-AEB-001", "Held-out set shares no sample with training data",
              VerificationMethod.ANALYSIS, _from_check("heldout_independence")),
    Criterion("TC-DS-001B", "DS-AEB-001", "Every class holds its share of the held-out set",
              VerificationMethod.TEST, _from_check("heldout_class_share")),
    Criterion("TC-DS-002", "DS-AEB-002", "Calibration data covers every class",
              VerificationMethod.ANALYSIS, _from_check("calibration_coverage")),
)
