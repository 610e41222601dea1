"""Probation and quarantine of model versions on an edge device, as pure values."""

from __future__ import annotations

import pytest

from edgedeploy.domain.edge_policy import (
    EPOCH_WINDOW,
    EpochOutOfRange,
    Probation,
    ProbationLimits,
    ProbationState,
    Quarantine,
    QuarantinePolicy,
    admit_epoch,
)
from edgedeploy.domain.errors import InvariantViolation

LIMITS = ProbationLimits(inferences=10, max_errors=1, max_timeouts=0)


def serve(probation: Probation, n: int, latency_ms: float = 2.0, **kwargs) -> Probation:
    for _ in range(n):
        probation = probation.observe(latency_ms, **kwargs)
    return probation


def test_a_clean_version_is_watched_until_every_inference_is_served_then_passes():
    probation = serve(Probation(LIMITS, p99_budget_ms=10.0), 9)
    assert probation.state is ProbationState.WATCHING and probation.remaining == 1
    assert serve(probation, 1).state is ProbationState.PASSED


def test_a_batched_request_counts_once_per_row():
    probation = Probation(LIMITS).observe(2.0, rows=10)
    assert probation.served == 10 and probation.state is ProbationState.PASSED
    assert Probation(LIMITS).observe(2.0, rows=2, error=True).errors == 2


def test_errors_beyond_the_tolerance_fail_at_once_without_waiting_for_the_rest():
    probation = serve(Probation(LIMITS), 1, error=True)
    assert probation.state is ProbationState.WATCHING  # one error is tolerated
    state, reason = serve(probation, 1, error=True).verdict()
    assert state is ProbationState.FAILED and reason == "2 errors during probation"


def test_a_single_timeout_fails_when_none_is_tolerated():
    state, reason = Probation(LIMITS).observe(2.0, timed_out=True).verdict()
    assert state is ProbationState.FAILED and "timeouts" in reason


def test_a_p99_over_budget_fails_once_probation_is_complete():
    slow = serve(Probation(LIMITS, p99_budget_ms=5.0), 10, latency_ms=20.0)
    state, reason = slow.verdict()
    assert state is ProbationState.FAILED and "over budget 5.00 ms" in reason
    assert serve(Probation(LIMITS), 10, latency_ms=20.0).state is ProbationState.PASSED


def test_observing_leaves_the_previous_value_unchanged():
    start = Probation(LIMITS)
    start.observe(3.0, error=True)
    assert start.served == 0 and start.errors == 0


def test_quarantine_doubles_with_each_failure_up_to_its_ceiling():
    policy = QuarantinePolicy(base_s=30.0, max_s=100.0)
    q = Quarantine()
    periods = []
    for failure in range(1, 5):
        q = q.failed("aeb@2.0", 1_000.0, policy)
        assert q.failures("aeb@2.0") == failure
        periods.append(q.remaining("aeb@2.0", 1_000.0))
    assert periods == [30.0, 60.0, 100.0, 100.0]


def test_a_quarantined_version_is_listed_until_its_period_ends():
    q = Quarantine().failed("aeb@2.0", 1_000.0, QuarantinePolicy(30.0, 60.0))
    assert q.active(1_010.0) == {"aeb@2.0": 1_030.0}
    assert q.remaining("aeb@2.0", 1_030.0) == 0.0 and q.active(1_030.0) == {}
    assert q.remaining("aeb@1.0", 1_010.0) == 0.0
    assert q.failures("aeb@2.0") == 1  # the count survives the period, so the next is longer


@pytest.mark.parametrize("make", [
    lambda: ProbationLimits(inferences=0),
    lambda: ProbationLimits(max_errors=-1),
    lambda: QuarantinePolicy(base_s=0.0),
    lambda: QuarantinePolicy(base_s=60.0, max_s=30.0),
])
def test_limits_that_would_disable_the_policy_are_refused(make):
    with pytest.raises(InvariantViolation):
        make()


def test_an_epoch_just_above_the_agents_is_new_and_the_same_epoch_is_a_re_send():
    assert admit_epoch(7, 8) is True
    assert admit_epoch(7, 7 + EPOCH_WINDOW) is True
    assert admit_epoch(7, 7) is False


@pytest.mark.parametrize("epoch", [6, 0, -1, 7 + EPOCH_WINDOW + 1, 2**63 - 1])
def test_an_older_epoch_or_one_beyond_the_window_is_refused_naming_the_range(epoch):
    with pytest.raises(EpochOutOfRange, match=r"accepts 8\.\.1007") as refused:
        admit_epoch(7, epoch)
    assert refused.value.code == "EDGE_EPOCH_OUT_OF_RANGE"
