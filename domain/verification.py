"""Deployment verification (MLE.5): thresholds and the verdict on a deployed model.

A deployed model passes when, against the FP32 reference on the held-out split, it loses no more
accuracy than allowed, agrees on the top-1 class often enough, keeps its logits close, produces
no NaN or Inf, and (where a latency limit is set) answers fast enough. Each check is a pure rule;
the verdict lists every check, passed or not, so the report shows the whole picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from domain.errors import InvariantViolation
from domain.quantization import DEFAULT_ACCURACY_BUDGET


class InvalidVerificationThresholds(InvariantViolation):
    """Thresholds that no model could meet or that make no sense."""

    code = "VERIFICATION_THRESHOLDS_INVALID"


class DeploymentVerificationFailed(InvariantViolation):
    """A deployed model failed verification; the message names every failed check."""

    code = "DEPLOYMENT_VERIFICATION_FAILED"


@dataclass(frozen=True, slots=True)
class VerificationThresholds:
    """Limits a deployed model must meet (REQ ML-VER-001..005).

    Attributes:
        max_accuracy_drop: points of top-1 accuracy the deployed model may lose.
        min_top1_agreement: share (0-1) of held-out samples whose top-1 class must match FP32.
        max_abs_logit_diff: largest allowed absolute logit difference, or None for no limit.
        max_latency_p99_ms: p99 latency limit at batch 1, or None for no limit.
    """

    max_accuracy_drop: float = DEFAULT_ACCURACY_BUDGET
    min_top1_agreement: float = 0.99
    max_abs_logit_diff: float | None = None
    max_latency_p99_ms: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_accuracy_drop) and self.max_accuracy_drop >= 0):
            raise InvalidVerificationThresholds("max_accuracy_drop must be >= 0 points")
        if not 0.0 <= self.min_top1_agreement <= 1.0:
            raise InvalidVerificationThresholds("min_top1_agreement must be a share in [0, 1]")
        for name in ("max_abs_logit_diff", "max_latency_p99_ms"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise InvalidVerificationThresholds(f"{name} must be positive when set")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports."""
        return {"max_accuracy_drop": self.max_accuracy_drop,
                "min_top1_agreement": self.min_top1_agreement,
                "max_abs_logit_diff": self.max_abs_logit_diff,
                "max_latency_p99_ms": self.max_latency_p99_ms}


@dataclass(frozen=True, slots=True)
class VerificationMeasurements:
    """What was measured on the held-out split, reference vs deployed.

    Attributes:
        reference_accuracy: FP32 reference top-1 accuracy (%).
        deployed_accuracy: deployed model's top-1 accuracy (%) on the deployed runtime.
        top1_agreement: share (0-1) of samples with the same top-1 class.
        max_abs_logit_diff: largest absolute difference between the two models' logits.
        nonfinite_outputs: count of NaN or Inf values in the deployed model's outputs.
        latency_p99_ms: p99 latency at batch 1 on the deployed runtime, if measured.
        samples: how many held-out samples were compared.
    """

    reference_accuracy: float
    deployed_accuracy: float
    top1_agreement: float
    max_abs_logit_diff: float
    nonfinite_outputs: int
    samples: int
    latency_p99_ms: float | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One verification check: what was measured, against which limit, and the outcome."""

    name: str
    passed: bool
    measured: float | None
    limit: float | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports."""
        return {"name": self.name, "passed": self.passed, "measured": self.measured,
                "limit": self.limit, "message": self.message}


@dataclass(frozen=True, slots=True)
class VerificationVerdict:
    """Every check and whether the deployed model passes all of them."""

    checks: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if not c.passed)

    def raise_if_failed(self, model: str) -> None:
        """Refuse a model that failed.

        Raises:
            DeploymentVerificationFailed: naming every failed check.
        """
        if not self.passed:
            raise DeploymentVerificationFailed(
                f"{model} failed verification: " + "; ".join(c.message for c in self.failures))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``verification_report.json``."""
        return {"passed": self.passed, "checks": [c.to_dict() for c in self.checks]}


def check_accuracy_drop(m: VerificationMeasurements, t: VerificationThresholds) -> CheckResult:
    """Deployed accuracy within ``max_accuracy_drop`` points of the reference (ML-VER-001)."""
    drop = m.reference_accuracy - m.deployed_accuracy
    ok = math.isfinite(drop) and drop <= t.max_accuracy_drop + 1e-9
    return CheckResult("accuracy_drop", ok, drop, t.max_accuracy_drop,
                       f"deployed accuracy {m.deployed_accuracy:.2f}% vs reference "
                       f"{m.reference_accuracy:.2f}%: {drop:.2f} points lost "
                       f"(limit {t.max_accuracy_drop:g})")


def check_top1_agreement(m: VerificationMeasurements, t: VerificationThresholds) -> CheckResult:
    """Top-1 agreement with the reference at least ``min_top1_agreement`` (ML-VER-002)."""
    ok = m.top1_agreement >= t.min_top1_agreement
    return CheckResult("top1_agreement", ok, m.top1_agreement, t.min_top1_agreement,
                       f"top-1 agreement {m.top1_agreement:.4f} over {m.samples} samples "
                       f"(minimum {t.min_top1_agreement:g})")


def check_logit_difference(m: VerificationMeasurements,
                           t: VerificationThresholds) -> CheckResult:
    """Largest absolute logit difference within the limit, when one is set (ML-VER-003)."""
    limit = t.max_abs_logit_diff
    ok = math.isfinite(m.max_abs_logit_diff) and (limit is None or m.max_abs_logit_diff <= limit)
    bound = "no limit" if limit is None else f"limit {limit:g}"
    return CheckResult("max_abs_logit_diff", ok, m.max_abs_logit_diff, limit,
                       f"largest absolute logit difference {m.max_abs_logit_diff:.4f} ({bound})")


def check_finite_outputs(m: VerificationMeasurements, t: VerificationThresholds) -> CheckResult:
    """No NaN or Inf in any deployed output (ML-VER-004)."""
    del t
    return CheckResult("finite_outputs", m.nonfinite_outputs == 0, float(m.nonfinite_outputs), 0.0,
                       f"{m.nonfinite_outputs} NaN/Inf values in the deployed outputs")


def check_latency(m: VerificationMeasurements, t: VerificationThresholds) -> CheckResult:
    """p99 latency at batch 1 within the limit, when one is set (ML-VER-005)."""
    limit = t.max_latency_p99_ms
    if limit is None:
        return CheckResult("latency_p99", True, m.latency_p99_ms, None,
                           "no latency limit set")
    if m.latency_p99_ms is None:
        return CheckResult("latency_p99", False, None, limit,
                           f"latency limit {limit:g} ms set but latency was not measured")
    ok = m.latency_p99_ms <= limit
    return CheckResult("latency_p99", ok, m.latency_p99_ms, limit,
                       f"p99 latency {m.latency_p99_ms:.3f} ms at batch 1 (limit {limit:g} ms)")


def verify_deployment(m: VerificationMeasurements,
                      t: VerificationThresholds | None = None) -> VerificationVerdict:
    """Apply every check; the verdict lists them all, passed or not."""
    thresholds = t or VerificationThresholds()
    rules = (check_accuracy_drop, check_top1_agreement, check_logit_difference,
             check_finite_outputs, check_latency)
    return VerificationVerdict(tuple(rule(m, thresholds) for rule in rules))
