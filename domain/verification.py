"""Deployment verification (MLE.5): thresholds and the verdict on a deployed model.

A deployed model passes when, against the FP32 reference on the held-out split, it loses no more
accuracy than allowed, agrees on the top-1 class often enough, keeps its logits close, produces
no NaN or Inf, (where a latency limit is set) answers fast enough, recognises every class well
enough, tolerates sensor noise, and sits behind an input guard that rejects what it must. Where
the data file declares how it was split, the held-out set's independence and balance and the
calibration set's coverage are judged too; where it does not, those checks say "not applicable"
and why, rather than failing. Each check is a pure rule; the verdict lists every check, passed or
not, so the report shows the whole picture.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.quantization import DEFAULT_ACCURACY_BUDGET


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
        min_class_recall: smallest recall (0-1) any class may have (ML-AEB-002).
        noise_sigma: standard deviation of the additive Gaussian input noise, as a share of
            the reference data's value range (ML-AEB-003).
        max_noise_drop_points: points of accuracy the deployed model may lose under that noise.
        min_heldout_class_share: smallest share (0-1) of each class's samples that must be in
            the held-out set (DS-AEB-001).
        min_calibration_samples: fewest calibration samples, which must cover every class
            (DS-AEB-002).
        min_accuracy: smallest deployed top-1 accuracy (%), or None for no floor (ML-AEB-001).
        latency_budget_ms: the deployment's declared per-frame budget at batch 1, or None. The
            check compares the upper confidence bound of the deployed model's median frame
            time with it: on a shared host the tail measures the scheduler, the median the
            model (ML-AEB-004).
        max_latency_ratio: largest allowed ratio of the deployed model's frame time to the
            FP32 reference's, both timed in alternation on the same host so that load slows
            both alike (upper confidence bound of the median ratio), or None.
        latency_confidence: one-sided confidence (0.5-1) of those bounds.
    """

    max_accuracy_drop: float = DEFAULT_ACCURACY_BUDGET
    min_top1_agreement: float = 0.99
    max_abs_logit_diff: float | None = None
    max_latency_p99_ms: float | None = None
    min_class_recall: float = 0.90
    noise_sigma: float = 0.1
    max_noise_drop_points: float = 2.0
    min_heldout_class_share: float = 0.10
    min_calibration_samples: int = 256
    min_accuracy: float | None = None
    latency_budget_ms: float | None = None
    max_latency_ratio: float | None = None
    latency_confidence: float = 0.95

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_accuracy_drop) and self.max_accuracy_drop >= 0):
            raise InvalidVerificationThresholds("max_accuracy_drop must be >= 0 points")
        for name in ("min_top1_agreement", "min_class_recall", "min_heldout_class_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InvalidVerificationThresholds(f"{name} must be a share in [0, 1]")
        if not (math.isfinite(self.noise_sigma) and self.noise_sigma > 0):
            raise InvalidVerificationThresholds("noise_sigma must be a positive share of the "
                                                "input range")
        if not (math.isfinite(self.max_noise_drop_points) and self.max_noise_drop_points >= 0):
            raise InvalidVerificationThresholds("max_noise_drop_points must be >= 0 points")
        if (isinstance(self.min_calibration_samples, bool)
                or not isinstance(self.min_calibration_samples, int)
                or self.min_calibration_samples < 1):
            raise InvalidVerificationThresholds("min_calibration_samples must be a whole "
                                                "number >= 1")
        if self.min_accuracy is not None and not (math.isfinite(self.min_accuracy)
                                                  and 0.0 <= self.min_accuracy <= 100.0):
            raise InvalidVerificationThresholds("min_accuracy must be a percentage in [0, 100]")
        if not (math.isfinite(self.latency_confidence) and 0.5 <= self.latency_confidence < 1):
            raise InvalidVerificationThresholds("latency_confidence must be in [0.5, 1)")
        for name in ("max_abs_logit_diff", "max_latency_p99_ms", "latency_budget_ms",
                     "max_latency_ratio"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise InvalidVerificationThresholds(f"{name} must be positive when set")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports."""
        return {"max_accuracy_drop": self.max_accuracy_drop,
                "min_top1_agreement": self.min_top1_agreement,
                "max_abs_logit_diff": self.max_abs_logit_diff,
                "max_latency_p99_ms": self.max_latency_p99_ms,
                "min_class_recall": self.min_class_recall,
                "noise_sigma": self.noise_sigma,
                "max_noise_drop_points": self.max_noise_drop_points,
                "min_heldout_class_share": self.min_heldout_class_share,
                "min_calibration_samples": self.min_calibration_samples,
                "min_accuracy": self.min_accuracy,
                "latency_budget_ms": self.latency_budget_ms,
                "max_latency_ratio": self.max_latency_ratio,
                "latency_confidence": self.latency_confidence}


def upper_quantile_bound(values: Sequence[float], q: float, confidence: float) -> float:
    """A distribution-free upper confidence bound of the ``q``-quantile of ``values``.

    The k-th smallest value exceeds the true quantile with probability P(Binomial(n, q) < k);
    k is chosen from the normal approximation of that binomial, so no shape of the timing
    distribution is assumed. Too few values for the bound give the largest value, which errs
    on the safe side.
    """
    if not values:
        raise ValueError("no values to bound")
    ordered = sorted(values)
    n = len(ordered)
    z = NormalDist().inv_cdf(confidence)
    k = math.ceil(n * q + z * math.sqrt(n * q * (1.0 - q)) + 0.5)
    return ordered[min(max(k, 1), n) - 1]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True, slots=True)
class InterleavedLatency:
    """Frame times of the FP32 reference and the deployed model, timed in alternation.

    Each pair is one iteration: both models run back to back (the order alternates), so a
    loaded host slows both alike and the ratio within a pair cancels the load (ML-AEB-004).

    Attributes:
        batch: the batch size timed.
        warmup: runs of each model before timing started.
        pairs: ``(reference_ms, deployed_ms)`` per iteration.
    """

    batch: int
    warmup: int
    pairs: tuple[tuple[float, float], ...]

    @property
    def deployed(self) -> tuple[float, ...]:
        """The deployed model's frame times (ms)."""
        return tuple(d for _, d in self.pairs)

    @property
    def ratios(self) -> tuple[float, ...]:
        """Deployed over reference time per iteration."""
        return tuple(d / r for r, d in self.pairs if r > 0)

    def deployed_median(self) -> float:
        """The deployed model's median frame time (ms)."""
        return _median(self.deployed)

    def ratio_median(self) -> float:
        """The median of the per-iteration ratios."""
        return _median(self.ratios)

    def to_dict(self, confidence: float) -> dict[str, Any]:
        """Plain data for reports: medians, their bounds, tails; not the raw pairs."""
        if not self.pairs:
            return {"batch": self.batch, "warmup": self.warmup, "runs": 0}
        reference = [r for r, _ in self.pairs]
        return {"batch": self.batch, "warmup": self.warmup, "runs": len(self.pairs),
                "confidence": confidence,
                "deployed_p50": self.deployed_median(),
                "deployed_p50_upper": upper_quantile_bound(self.deployed, 0.5, confidence),
                "deployed_p99": upper_quantile_bound(self.deployed, 0.99, 0.5),
                "reference_p50": _median(reference),
                "reference_p99": upper_quantile_bound(reference, 0.99, 0.5),
                "ratio_p50": self.ratio_median(),
                "ratio_p50_upper": upper_quantile_bound(self.ratios, 0.5, confidence)}


@dataclass(frozen=True, slots=True)
class NoiseRobustness:
    """Accuracy under additive Gaussian input noise, measured on the deployed runtime.

    Attributes:
        sigma: standard deviation as a share of the input range (the threshold's
            ``noise_sigma``).
        std: the absolute standard deviation used (``sigma`` times the range).
        seed: the noise generator's seed, so the figure can be reproduced.
        clean_accuracy: the deployed model's accuracy (%) without noise.
        noisy_accuracy: its accuracy (%) on the same samples with noise.
        reference_noisy_accuracy: the FP32 reference's accuracy (%) on the same noisy samples,
            which tells fragility of the model from fragility added by quantization.
    """

    sigma: float
    std: float
    seed: int
    clean_accuracy: float
    noisy_accuracy: float
    reference_noisy_accuracy: float | None = None

    @property
    def drop_points(self) -> float:
        """Points of accuracy lost to the noise."""
        return self.clean_accuracy - self.noisy_accuracy

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports."""
        return {"sigma": self.sigma, "std": self.std, "seed": self.seed,
                "clean_accuracy": self.clean_accuracy, "noisy_accuracy": self.noisy_accuracy,
                "drop_points": self.drop_points,
                "reference_noisy_accuracy": self.reference_noisy_accuracy}


@dataclass(frozen=True, slots=True)
class InputValidationCase:
    """One probe of the input guard: did it reject what it should and accept what it should.

    Attributes:
        name: e.g. ``valid_batch``, ``wrong_shape``, ``nan``.
        expect_rejection: True when the guard must refuse this input.
        rejected: True when it did.
        message: the guard's reason, or what happened instead.
    """

    name: str
    expect_rejection: bool
    rejected: bool
    message: str

    @property
    def passed(self) -> bool:
        """True when the guard behaved as expected."""
        return self.expect_rejection == self.rejected

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports."""
        return {"name": self.name, "expected_rejection": self.expect_rejection,
                "rejected": self.rejected, "passed": self.passed, "message": self.message}


@dataclass(frozen=True, slots=True)
class DatasetFacts:
    """How the data file says it was split, as counted from its arrays (DS-AEB-001, -002).

    Attributes:
        heldout_overlap: held-out samples also found in the training or calibration data.
        overlap_by_content: of those, found by identical sample content.
        overlap_by_source_index: of those, found by the same index in the source data set.
        heldout_class_share: class label -> share (0-1) of that class's samples held out.
        calibration_samples: size of the declared calibration set.
        calibration_classes: class labels the calibration set holds.
        classes: every class label in the data file.
    """

    heldout_overlap: int
    overlap_by_content: int
    overlap_by_source_index: int
    heldout_class_share: Mapping[str, float]
    calibration_samples: int
    calibration_classes: tuple[str, ...]
    classes: tuple[str, ...]

    @property
    def missing_calibration_classes(self) -> tuple[str, ...]:
        """Classes with no calibration sample."""
        present = set(self.calibration_classes)
        return tuple(c for c in self.classes if c not in present)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports."""
        return {"heldout_overlap": {"count": self.heldout_overlap,
                                    "by_content": self.overlap_by_content,
                                    "by_source_index": self.overlap_by_source_index},
                "heldout_class_share": dict(self.heldout_class_share),
                "calibration": {"samples": self.calibration_samples,
                                "classes": list(self.calibration_classes),
                                "missing_classes": list(self.missing_calibration_classes)},
                "classes": list(self.classes)}


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
        per_class_recall: class label -> the deployed model's recall (0-1), None if unmeasured.
        class_support: class label -> held-out samples of that class.
        noise: accuracy under input noise, None if unmeasured.
        input_validation: the input guard's probes, None if unmeasured.
        dataset: the split's facts, None when the data file does not declare its split.
        dataset_reason: why the dataset checks do not apply, when ``dataset`` is None.
        latency: the interleaved timing of reference and deployed model, None if unmeasured.
    """

    reference_accuracy: float
    deployed_accuracy: float
    top1_agreement: float
    max_abs_logit_diff: float
    nonfinite_outputs: int
    samples: int
    latency_p99_ms: float | None = None
    per_class_recall: Mapping[str, float] | None = None
    class_support: Mapping[str, int] | None = None
    noise: NoiseRobustness | None = None
    input_validation: tuple[InputValidationCase, ...] | None = None
    dataset: DatasetFacts | None = None
    dataset_reason: str = "the data file does not declare how it was split"
    latency: InterleavedLatency | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One verification check: what was measured, against which limit, and the outcome.

    A check that does not apply (``applicable`` False) counts as passed; its message says why
    it does not apply, so the report never hides a check.
    """

    name: str
    passed: bool
    measured: float | None
    limit: float | None
    message: str
    applicable: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports."""
        return {"name": self.name, "passed": self.passed, "measured": self.measured,
                "limit": self.limit, "message": self.message, "applicable": self.applicable}


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


def _unmeasured(name: str, limit: float, what: str) -> CheckResult:
    return CheckResult(name, False, None, limit, f"{what} was not measured")


def worst_class(recall: Mapping[str, float]) -> tuple[str, float] | None:
    """The class with the lowest recall (ties go to the first label), None when empty."""
    if not recall:
        return None
    label = min(recall, key=lambda k: (recall[k], k))
    return label, recall[label]


def check_per_class_recall(m: VerificationMeasurements,
                           t: VerificationThresholds) -> CheckResult:
    """Every class recognised with recall >= ``min_class_recall`` (ML-AEB-002).

    An aggregate accuracy can hide a class the model barely recognises; for emergency braking,
    a class missed is an obstacle missed, so the weakest class is what counts.
    """
    limit = t.min_class_recall
    worst = worst_class(m.per_class_recall or {})
    if worst is None:
        return _unmeasured("per_class_recall", limit, "per-class recall")
    label, recall = worst
    below = sorted(k for k, v in (m.per_class_recall or {}).items() if not v >= limit)
    support = (m.class_support or {}).get(label)
    over = f" over {support} samples" if support is not None else ""
    tail = f"; below the minimum: {', '.join(below)}" if below else ""
    return CheckResult("per_class_recall", not below, recall, limit,
                       f"worst class '{label}': recall {recall:.4f}{over} "
                       f"(minimum {limit:g}){tail}")


def check_noise_robustness(m: VerificationMeasurements,
                           t: VerificationThresholds) -> CheckResult:
    """Accuracy under input noise drops by at most ``max_noise_drop_points`` (ML-AEB-003)."""
    limit = t.max_noise_drop_points
    if m.noise is None:
        return _unmeasured("noise_robustness", limit, "accuracy under input noise")
    n = m.noise
    drop = n.drop_points
    ok = math.isfinite(drop) and drop <= limit + 1e-9
    return CheckResult("noise_robustness", ok, drop, limit,
                       f"accuracy under Gaussian noise (sigma {n.sigma:g} of the input range) "
                       f"{n.noisy_accuracy:.2f}% vs {n.clean_accuracy:.2f}% clean: "
                       f"{drop:.2f} points lost (limit {limit:g})")


def check_input_validation(m: VerificationMeasurements,
                           t: VerificationThresholds) -> CheckResult:
    """The input guard rejects every malformed probe and accepts the valid one (ML-AEB-005)."""
    del t
    cases = m.input_validation
    if not cases:
        return _unmeasured("input_validation", 0.0, "input validation")
    wrong = [c for c in cases if not c.passed]
    if not wrong:
        return CheckResult("input_validation", True, 0.0, 0.0,
                           f"all {len(cases)} input probes handled as required")
    detail = ", ".join(
        f"{c.name} ({'accepted' if c.expect_rejection else 'rejected'}, must be "
        f"{'rejected' if c.expect_rejection else 'accepted'})" for c in wrong)
    return CheckResult("input_validation", False, float(len(wrong)), 0.0,
                       f"input guard mishandled {len(wrong)} of {len(cases)} probes: {detail}")


def _not_applicable(name: str, limit: float, reason: str) -> CheckResult:
    return CheckResult(name, True, None, limit, f"not applicable: {reason}", applicable=False)


def check_heldout_independence(m: VerificationMeasurements,
                               t: VerificationThresholds) -> CheckResult:
    """No held-out sample is also a training or calibration sample (DS-AEB-001)."""
    del t
    if m.dataset is None:
        return _not_applicable("heldout_independence", 0.0, m.dataset_reason)
    d = m.dataset
    return CheckResult("heldout_independence", d.heldout_overlap == 0, float(d.heldout_overlap),
                       0.0, f"{d.heldout_overlap} held-out samples also in the training or "
                       f"calibration data ({d.overlap_by_content} by content, "
                       f"{d.overlap_by_source_index} by source index)")


def check_heldout_class_share(m: VerificationMeasurements,
                              t: VerificationThresholds) -> CheckResult:
    """The held-out set holds at least ``min_heldout_class_share`` of every class (DS-AEB-001)."""
    limit = t.min_heldout_class_share
    if m.dataset is None:
        return _not_applicable("heldout_class_share", limit, m.dataset_reason)
    worst = worst_class(m.dataset.heldout_class_share)
    if worst is None:
        return CheckResult("heldout_class_share", False, None, limit,
                           "the data file holds no classes")
    label, share = worst
    return CheckResult("heldout_class_share", share >= limit - 1e-12, share, limit,
                       f"smallest held-out share: class '{label}' with {share:.3f} of its "
                       f"samples (minimum {limit:g})")


def check_calibration_coverage(m: VerificationMeasurements,
                               t: VerificationThresholds) -> CheckResult:
    """At least ``min_calibration_samples`` samples covering every class (DS-AEB-002)."""
    limit = float(t.min_calibration_samples)
    if m.dataset is None:
        return _not_applicable("calibration_coverage", limit, m.dataset_reason)
    d = m.dataset
    missing = d.missing_calibration_classes
    ok = d.calibration_samples >= t.min_calibration_samples and not missing
    gap = f"; classes without a sample: {', '.join(missing)}" if missing else ""
    return CheckResult("calibration_coverage", ok, float(d.calibration_samples), limit,
                       f"{d.calibration_samples} calibration samples covering "
                       f"{len(d.calibration_classes)} of {len(d.classes)} classes "
                       f"(minimum {t.min_calibration_samples}){gap}")


def check_min_accuracy(m: VerificationMeasurements, t: VerificationThresholds) -> CheckResult:
    """Deployed top-1 accuracy at least ``min_accuracy`` %, when a floor is set (ML-AEB-001)."""
    limit = t.min_accuracy
    if limit is None:
        return CheckResult("min_accuracy", True, m.deployed_accuracy, None,
                           f"deployed top-1 accuracy {m.deployed_accuracy:.2f}% (no floor set)")
    ok = math.isfinite(m.deployed_accuracy) and m.deployed_accuracy >= limit
    return CheckResult("min_accuracy", ok, m.deployed_accuracy, limit,
                       f"deployed top-1 accuracy {m.deployed_accuracy:.2f}% over {m.samples} "
                       f"held-out samples (minimum {limit:g}%)")


def check_latency_budget(m: VerificationMeasurements, t: VerificationThresholds) -> CheckResult:
    """Frame time within the declared budget and close to the reference's (ML-AEB-004).

    Both figures are upper confidence bounds of medians over interleaved runs: a busy host
    stretches the tail of both models alike, and must not decide a release either way.
    """
    budget, max_ratio, confidence = (t.latency_budget_ms, t.max_latency_ratio,
                                     t.latency_confidence)
    if budget is None and max_ratio is None:
        return CheckResult("latency_budget", True, None, None, "no latency budget declared")
    lat = m.latency
    if lat is None or not lat.pairs:
        return _unmeasured("latency_budget", budget or max_ratio or 0.0,
                           "interleaved latency against the reference")
    median, bound = lat.deployed_median(), upper_quantile_bound(lat.deployed, 0.5, confidence)
    ratio, ratio_bound = lat.ratio_median(), upper_quantile_bound(lat.ratios, 0.5, confidence)
    within_budget = budget is None or bound <= budget
    within_ratio = max_ratio is None or ratio_bound <= max_ratio
    facts = lat.to_dict(confidence)
    parts = [f"median frame time at batch {lat.batch} {median:.3f} ms "
             f"({confidence:.0%} upper bound {bound:.3f} ms"
             + (f", budget {budget:g} ms)" if budget is not None else ")"),
             f"{ratio:.2f}x the FP32 reference timed in alternation ({confidence:.0%} upper "
             f"bound {ratio_bound:.2f}x"
             + (f", limit {max_ratio:g}x)" if max_ratio is not None else ")"),
             f"p99 {facts['deployed_p99']:.3f} ms vs reference p99 "
             f"{facts['reference_p99']:.3f} ms over {len(lat.pairs)} runs after "
             f"{lat.warmup} warm-up runs"]
    return CheckResult("latency_budget", within_budget and within_ratio, bound,
                       budget if budget is not None else max_ratio, "; ".join(parts))


def verify_deployment(m: VerificationMeasurements,
                      t: VerificationThresholds | None = None) -> VerificationVerdict:
    """Apply every check; the verdict lists them all, passed or not."""
    thresholds = t or VerificationThresholds()
    rules = (check_accuracy_drop, check_top1_agreement, check_logit_difference,
             check_finite_outputs, check_latency, check_per_class_recall,
             check_noise_robustness, check_input_validation, check_heldout_independence,
             check_heldout_class_share, check_calibration_coverage, check_min_accuracy,
             check_latency_budget)
    return VerificationVerdict(tuple(rule(m, thresholds) for rule in rules))
