"""The statistical health judgement: exact tests, Mann-Whitney, too little data means hold."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgedeploy.domain.canary_judge import (
    HealthPolicy,
    Verdict,
    binomial_upper_tail,
    judge_health,
    mann_whitney_histograms,
    rate_ratio_test,
)
from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.health import (
    LATENCY_BUCKETS,
    HealthWindow,
    InvalidHealthWindow,
    latency_bucket,
)

POLICY = HealthPolicy()


def latencies(values: list[float]) -> tuple[int, ...]:
    hist = [0] * LATENCY_BUCKETS
    for v in values:
        hist[latency_bucket(v)] += 1
    return tuple(hist)


def window(n: int, errors: int = 0, *, median: float = 10.0, sigma: float = 0.2,
           seed: int = 1, low_confidence: int = 0, devices: int = 10,
           latency_samples: int | None = None) -> HealthWindow:
    rng = random.Random(seed)
    samples = min(n, 20_000) if latency_samples is None else latency_samples
    return HealthWindow(n, errors, 0, 0, low_confidence,
                        latencies([median * math.exp(rng.gauss(0, sigma))
                                   for _ in range(samples)]), devices)


def test_binomial_tail_matches_a_direct_sum():
    n, p = 40, 0.1
    for k in (0, 1, 4, 10, 25, 40):
        direct = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
        assert binomial_upper_tail(k, n, p) == pytest.approx(direct, rel=1e-9, abs=1e-300)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.integers(1, 300), st.floats(0.001, 0.999))
def test_binomial_tail_is_a_probability_and_falls_as_k_grows(k, n, p):
    a, b = binomial_upper_tail(k, n, p), binomial_upper_tail(k + 1, n, p)
    assert 0.0 <= b <= a <= 1.0 + 1e-12


def test_the_rate_test_is_one_sided_and_honours_its_margin():
    assert rate_ratio_test(90, 10_000, 30, 10_000, margin=1.25) < 1e-4
    assert rate_ratio_test(10, 10_000, 30, 10_000, margin=1.25) > 0.99
    assert rate_ratio_test(12, 10_000, 10, 10_000, margin=1.25) > 0.3


def test_mann_whitney_sees_a_slower_canary_and_not_a_faster_one():
    slow = mann_whitney_histograms(window(800, median=13.0).latency_histogram,
                                   window(800, seed=2).latency_histogram)
    fast = mann_whitney_histograms(window(800, median=8.0).latency_histogram,
                                   window(800, seed=2).latency_histogram)
    assert slow.p_value < 1e-10 and slow.cliffs_delta > 0.5
    assert fast.p_value > 0.99 and fast.cliffs_delta < 0


def test_identical_cohorts_are_promoted_with_every_statistic_recorded():
    j = judge_health(window(200_000, 400, seed=3), window(200_000, 410, seed=4), POLICY,
                     min_inferences=2000)
    assert j.verdict is Verdict.PROMOTE
    assert {m.metric for m in j.metrics} == {"error_rate", "timeout_rate", "fallback_rate",
                                             "safety_proxy_rate", "latency", "latency_p99"}
    for m in j.metrics:
        assert m.canary_n > 0 and m.baseline_n > 0 and m.threshold and m.sufficient


def test_clean_cohorts_with_no_events_at_all_are_promoted_on_the_minimum_sample():
    j = judge_health(window(2000, seed=3), window(2000, seed=4), POLICY, min_inferences=2000)
    assert j.verdict is Verdict.PROMOTE


def test_no_data_is_a_hold_never_a_promotion():
    j = judge_health(HealthWindow(), HealthWindow(), POLICY, min_inferences=100)
    assert j.verdict is Verdict.HOLD
    assert "too little data" in j.reasons[0]


def test_a_small_clean_sample_below_the_minimum_is_held():
    j = judge_health(window(500), window(500, seed=9), POLICY, min_inferences=2000)
    assert j.verdict is Verdict.HOLD


def test_sparse_events_without_power_to_see_a_doubling_are_held():
    # 3 errors vs 2 in 2 000 inferences each: nothing significant, nothing to promote on.
    j = judge_health(window(2000, 3), window(2000, 2, seed=5), POLICY, min_inferences=2000)
    assert j.verdict is Verdict.HOLD
    assert "error_rate" in j.reasons[0]


def test_a_tripled_error_rate_is_rolled_back_with_its_p_value():
    j = judge_health(window(100_000, 600, seed=6), window(100_000, 200, seed=7), POLICY,
                     min_inferences=2000)
    assert j.verdict is Verdict.ROLLBACK
    failed = [m for m in j.metrics if m.failed]
    assert [m.metric for m in failed] == ["error_rate"]
    assert failed[0].p_value < POLICY.alpha and failed[0].effect == pytest.approx(3.0)


def test_a_many_times_worse_canary_is_rolled_back_even_below_the_minimum_sample():
    j = judge_health(window(300, 40), window(300, 0, seed=8), POLICY, min_inferences=2000)
    assert j.verdict is Verdict.ROLLBACK


def test_a_wider_latency_tail_is_caught_by_the_p99_test():
    base = window(20_000, median=10.0, sigma=0.2, seed=11)
    canary = window(20_000, median=10.0, sigma=0.2 + math.log(1.3) / 2.326, seed=12)
    j = judge_health(canary, base, POLICY, min_inferences=2000)
    assert j.verdict is Verdict.ROLLBACK
    tail = next(m for m in j.metrics if m.metric == "latency_p99")
    assert tail.failed and tail.effect is not None and tail.effect > 1.15


def test_a_doubled_safety_proxy_rate_is_rolled_back():
    j = judge_health(window(200_000, low_confidence=200, seed=13),
                     window(200_000, low_confidence=100, seed=14), POLICY, min_inferences=2000)
    assert j.verdict is Verdict.ROLLBACK
    assert [m.metric for m in j.metrics if m.failed] == ["safety_proxy_rate"]


def test_windows_add_up_and_survive_a_round_trip_through_json_form():
    a, b = window(100, 2, seed=1), window(50, 1, seed=2, devices=3)
    total = a + b
    assert total.inferences == 150 and total.errors == 3 and total.devices == 13
    assert total.latency_count == 150
    assert HealthWindow.from_dict(total.to_dict()) == total


def test_contradictory_counts_are_refused():
    with pytest.raises(InvalidHealthWindow):
        HealthWindow(inferences=5, errors=6)


def test_a_policy_whose_margin_is_below_one_is_refused():
    with pytest.raises(InvariantViolation):
        HealthPolicy(rate_margins={"error_rate": 0.9})
