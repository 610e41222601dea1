"""The canary judge: a canary cohort's health against its matched baseline cohort.

Each metric has its own test (MLE.5 runtime monitoring, SR_ROLL_020..024):

* rare-event rates (errors, timeouts, fallbacks, the safety proxy): the exact conditional
  binomial test for two Poisson rates, one-sided, against a non-inferiority margin, so that
  sparse counts are neither passed nor failed on a normal approximation;
* latency: a one-sided Mann-Whitney U test with Cliff's delta as effect size, and a tail test
  (share of canary latencies above the baseline's p99, again an exact binomial test) with the
  p99 ratio as effect size, because a degraded tail barely moves the rank statistic.

A failed metric needs both significance and a material effect. Too little data is never a
pass: the verdict is HOLD until both cohorts reach the stage's minimum sample; how long a
stage may hold is the roll-out policy's business (:func:`edgedeploy.domain.rollout.decide`).
Pure Python (``math`` only), so the domain stays free of numerical libraries.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.health import LATENCY_EDGES_MS, HealthWindow, latency_bucket

# --- exact tests ---------------------------------------------------------------------------


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), exactly: the regularized incomplete beta I_p(k, n-k+1).

    Evaluated with the continued fraction of Numerical Recipes (modified Lentz), which
    converges in O(sqrt(n)) steps, so it stays cheap for the event counts of a whole fleet.
    """
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    return _betainc(float(k), float(n - k + 1), p)


def _betainc(a: float, b: float, x: float) -> float:
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def rate_ratio_test(canary_events: int, canary_n: int, baseline_events: int, baseline_n: int,
                    margin: float) -> float:
    """One-sided exact p-value that the canary's event rate exceeds ``margin`` x baseline's.

    Conditional on the total count, the canary's share of events is binomial with
    p = margin*n_c / (margin*n_c + n_b) under the null hypothesis "rate ratio <= margin"
    (the classic conditional test for two Poisson rates).
    """
    total = canary_events + baseline_events
    if total == 0 or canary_n == 0 or baseline_n == 0:
        return 1.0
    p0 = margin * canary_n / (margin * canary_n + baseline_n)
    return binomial_upper_tail(canary_events, total, p0)


@dataclass(frozen=True, slots=True)
class MannWhitney:
    """Result of a one-sided Mann-Whitney U test (canary slower than baseline)."""

    u: float
    z: float
    p_value: float
    cliffs_delta: float


def mann_whitney_histograms(canary: Sequence[int], baseline: Sequence[int]) -> MannWhitney:
    """Mann-Whitney U on two histograms over the same buckets, with tie correction.

    Observations in one bucket are ties. U counts pairs where the canary is slower (ties
    count half); the normal approximation with continuity correction is exact enough for the
    hundreds of observations a stage needs. Cliff's delta = 2U/(n1 n2) - 1 in [-1, 1].
    """
    n1, n2 = sum(canary), sum(baseline)
    if n1 == 0 or n2 == 0:
        return MannWhitney(0.0, 0.0, 1.0, 0.0)
    u, below, tie_term = 0.0, 0, 0.0
    for c, b in zip(canary, baseline, strict=True):
        u += c * (below + 0.5 * b)
        below += b
        t = c + b
        tie_term += t * t * t - t
    n = n1 + n2
    mean = n1 * n2 / 2.0
    var = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    if var <= 0:
        return MannWhitney(u, 0.0, 1.0, 0.0)
    z = (u - mean - 0.5) / math.sqrt(var)
    p_value = 0.5 * math.erfc(z / math.sqrt(2.0))
    return MannWhitney(u, z, p_value, 2.0 * u / (n1 * n2) - 1.0)


# --- the judgement -------------------------------------------------------------------------


class Verdict(enum.StrEnum):
    """What the health evidence supports: promote, wait for more data, or roll back."""

    PROMOTE = "promote"
    HOLD = "hold"
    ROLLBACK = "rollback"


RATE_METRICS: Mapping[str, str] = {
    "error_rate": "errors",
    "timeout_rate": "timeouts",
    "fallback_rate": "fallbacks",
    "safety_proxy_rate": "low_confidence",
}


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """Thresholds of the health judgement; each decision records them.

    Attributes:
        latency_min_shift_ms: a latency difference (median or p99) smaller than this is not
            material, however significant: sub-millisecond jitter is not a regression.
        detect_ratio: a rate metric's sample counts as sufficient only once a canary rate of
            this many times the pooled rate would have been significant (power, not just size).
        alpha: significance level of each one-sided test. Small, because a rollout looks
            at several metrics in many windows (multiple comparisons).
        rate_margins: per rate metric, the rate ratio tolerated before a rollback (the
            non-inferiority margin of the exact test).
        latency_min_delta: Cliff's delta below which a significant latency shift is not
            material.
        p99_tolerance: relative p99 increase tolerated (0.10 = +10 %).
        tail_margin: tolerated ratio of the canary's share above the baseline p99.
    """

    alpha: float = 1e-4
    rate_margins: Mapping[str, float] = field(default_factory=lambda: {
        "error_rate": 1.25, "timeout_rate": 1.25, "fallback_rate": 1.25,
        "safety_proxy_rate": 1.25})
    latency_min_delta: float = 0.1
    p99_tolerance: float = 0.10
    tail_margin: float = 1.5
    detect_ratio: float = 2.0
    latency_min_shift_ms: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 0.5:
            raise InvariantViolation(f"alpha {self.alpha} must lie in (0, 0.5)")
        if any(m < 1.0 for m in self.rate_margins.values()):
            raise InvariantViolation("rate margins below 1 would fail identical cohorts")
        if self.detect_ratio <= max(self.rate_margins.values(), default=1.0):
            raise InvariantViolation("the ratio a sample must be able to detect has to exceed "
                                     "every rate margin")

    def to_dict(self) -> dict[str, Any]:
        """The thresholds as recorded in a decision."""
        return {"alpha": self.alpha, "rate_margins": dict(self.rate_margins),
                "latency_min_delta": self.latency_min_delta,
                "p99_tolerance": self.p99_tolerance, "tail_margin": self.tail_margin,
                "detect_ratio": self.detect_ratio,
                "latency_min_shift_ms": self.latency_min_shift_ms}


@dataclass(frozen=True, slots=True)
class MetricResult:
    """One metric's test: the statistics, the thresholds, the sample sizes and the outcome."""

    metric: str
    test: str
    canary_value: float | None
    baseline_value: float | None
    effect: float | None
    p_value: float
    threshold: str
    canary_n: int
    baseline_n: int
    failed: bool
    sufficient: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the decision log."""
        return {"metric": self.metric, "test": self.test, "canary": self.canary_value,
                "baseline": self.baseline_value, "effect": self.effect,
                "p_value": self.p_value, "threshold": self.threshold,
                "canary_n": self.canary_n, "baseline_n": self.baseline_n,
                "failed": self.failed, "sufficient": self.sufficient}


@dataclass(frozen=True, slots=True)
class HealthJudgement:
    """The verdict with every metric's evidence and the reasons in words."""

    verdict: Verdict
    metrics: tuple[MetricResult, ...]
    reasons: tuple[str, ...]
    canary: HealthWindow
    baseline: HealthWindow

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the decision log."""
        return {"verdict": self.verdict.value, "reasons": list(self.reasons),
                "metrics": [m.to_dict() for m in self.metrics],
                "canary": {"inferences": self.canary.inferences,
                           "devices": self.canary.devices},
                "baseline": {"inferences": self.baseline.inferences,
                             "devices": self.baseline.devices}}


def _rate(events: int, n: int) -> float | None:
    return events / n if n else None


def judge_health(canary: HealthWindow, baseline: HealthWindow, policy: HealthPolicy,
                 *, min_inferences: int, min_devices: int = 1) -> HealthJudgement:
    """Judge a canary cohort against its matched baseline cohort (SR_ROLL_020).

    ROLLBACK when any metric is significantly and materially worse, even on a small sample
    (strong evidence of harm needs no minimum). Otherwise HOLD while either cohort is below
    the minimum sample or devices, and PROMOTE only when every metric had enough data.
    """
    results: list[MetricResult] = []
    enough = (canary.inferences >= min_inferences and baseline.inferences >= min_inferences
              and canary.devices >= min_devices)
    for metric, attr in RATE_METRICS.items():
        c_events, b_events = getattr(canary, attr), getattr(baseline, attr)
        margin = policy.rate_margins.get(metric, 1.25)
        p = rate_ratio_test(c_events, canary.inferences, b_events, baseline.inferences, margin)
        c_rate, b_rate = _rate(c_events, canary.inferences), _rate(b_events, baseline.inferences)
        ratio = (c_rate / b_rate if c_rate is not None and b_rate else None)
        results.append(MetricResult(
            metric, "exact conditional binomial (Poisson rates), one-sided", c_rate, b_rate,
            ratio, p, f"p < {policy.alpha} against rate ratio {margin}",
            canary.inferences, baseline.inferences, failed=p < policy.alpha,
            sufficient=enough and _detectable(canary.inferences, baseline.inferences,
                                              c_events + b_events, margin, policy)))
    results.extend(_latency_results(canary, baseline, policy, min_inferences))
    reasons: list[str] = []
    failed = [r for r in results if r.failed]
    if failed:
        reasons = [f"{r.metric}: canary {_fmt(r.canary_value)} vs baseline "
                   f"{_fmt(r.baseline_value)}, p={r.p_value:.2e} ({r.threshold})"
                   for r in failed]
        verdict = Verdict.ROLLBACK
    elif not enough or not all(r.sufficient for r in results):
        short = [r.metric for r in results if not r.sufficient]
        reasons = [f"too little data: canary {canary.inferences} inferences on "
                   f"{canary.devices} devices, baseline {baseline.inferences}; needs "
                   f"{min_inferences} inferences each, {min_devices} canary devices and "
                   f"enough events to detect a {policy.detect_ratio:g}x rate"
                   + (f" (short: {', '.join(short)})" if short else "")]
        verdict = Verdict.HOLD
    else:
        reasons = ["every metric within its threshold on a sufficient sample"]
        verdict = Verdict.PROMOTE
    return HealthJudgement(verdict, tuple(results), tuple(reasons), canary, baseline)


def _detectable(canary_n: int, baseline_n: int, events: int, margin: float,
                policy: HealthPolicy) -> bool:
    """Could this sample have caught a ``detect_ratio``-fold rate at ``alpha``?

    No events at all in either cohort is sufficient (the floors fix the sample size, and the
    rate is then bounded by about 3/n); otherwise the expected counts at the pooled rate are
    scaled by ``detect_ratio`` and tested as if observed.
    """
    if events == 0:
        return True
    pooled = events / (canary_n + baseline_n)
    expected_canary = math.ceil(policy.detect_ratio * canary_n * pooled)
    expected_baseline = round(baseline_n * pooled)
    return rate_ratio_test(expected_canary, canary_n, expected_baseline, baseline_n,
                           margin) < policy.alpha


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _latency_results(canary: HealthWindow, baseline: HealthWindow, policy: HealthPolicy,
                     min_inferences: int) -> list[MetricResult]:
    c_hist, b_hist = canary.latency_histogram, baseline.latency_histogram
    n1 = sum(c_hist) if c_hist else 0
    n2 = sum(b_hist) if b_hist else 0
    sufficient = n1 >= min_inferences and n2 >= min_inferences
    c_med, b_med = canary.percentile(50), baseline.percentile(50)
    if not c_hist or not b_hist:
        return [
            MetricResult("latency", "Mann-Whitney U, one-sided + Cliff's delta", c_med, b_med,
                         None, 1.0, "no latency data", n1, n2, False, False),
            MetricResult("latency_p99", "exact binomial on share above baseline p99",
                         canary.percentile(99), baseline.percentile(99), None, 1.0,
                         "no latency data", n1, n2, False, False)]
    mw = mann_whitney_histograms(c_hist, b_hist)
    shift_ms = (c_med - b_med) if c_med is not None and b_med is not None else 0.0
    shift_failed = (mw.p_value < policy.alpha and mw.cliffs_delta >= policy.latency_min_delta
                    and shift_ms >= policy.latency_min_shift_ms)
    shift = MetricResult(
        "latency", "Mann-Whitney U, one-sided + Cliff's delta", c_med, b_med,
        mw.cliffs_delta, mw.p_value,
        f"p < {policy.alpha}, Cliff's delta >= {policy.latency_min_delta} and median shift "
        f">= {policy.latency_min_shift_ms} ms", n1, n2, shift_failed, sufficient)
    # Tail: how many observations lie above the bucket holding the baseline's p99.
    b_p99, c_p99 = baseline.percentile(99), canary.percentile(99)
    cut = latency_bucket(b_p99) if b_p99 is not None else len(LATENCY_EDGES_MS)
    c_above, b_above = sum(c_hist[cut + 1:]), sum(b_hist[cut + 1:])
    p_tail = rate_ratio_test(c_above, n1, b_above, n2, policy.tail_margin)
    p99_ratio = c_p99 / b_p99 if c_p99 is not None and b_p99 else None
    tail_failed = (p_tail < policy.alpha and p99_ratio is not None
                   and p99_ratio >= 1.0 + policy.p99_tolerance
                   and c_p99 is not None and b_p99 is not None
                   and c_p99 - b_p99 >= policy.latency_min_shift_ms)
    tail = MetricResult(
        "latency_p99", "exact binomial on share above baseline p99 + p99 ratio", c_p99, b_p99,
        p99_ratio, p_tail,
        f"p < {policy.alpha} against share ratio {policy.tail_margin}, p99 ratio >= "
        f"{1.0 + policy.p99_tolerance:.2f} and p99 shift >= {policy.latency_min_shift_ms} ms",
        n1, n2, tail_failed, sufficient)
    return [shift, tail]
