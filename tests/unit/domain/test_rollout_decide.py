"""The controller's policy as a pure function: decide(rollout, judgement, now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edgedeploy.domain.asil_rules import (
    ASIL_INCONCLUSIVE_LIMITS,
    InconclusiveLimit,
    InconclusiveOutcome,
    check_inconclusive_limits,
)
from edgedeploy.domain.canary_judge import HealthJudgement, Verdict
from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.events import RolloutFinished, rollout_events
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import (
    CONTROLLER,
    DeviceInfo,
    HoldReason,
    Rollout,
    RolloutAction,
    RolloutDecision,
    RolloutPhase,
    RolloutPlan,
    RolloutStage,
    decide,
    hold_deadline,
    new_rollout,
)
from edgedeploy.domain.safety import ASIL

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OLD, NEW = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1")
BASELINE = HealthWindow(inferences=30_000, devices=5)


def judged(verdict: Verdict, reason: str = "because") -> HealthJudgement:
    return HealthJudgement(verdict, (), (reason,), HealthWindow(inferences=30_000, devices=5),
                           BASELINE)


def baking(asil: ASIL = ASIL.QM, *, stage: int = 0) -> Rollout:
    devices = [f"d{i:02d}" for i in range(40)]
    rollout = new_rollout("r1", "fleet", NEW, "sha256:" + "b" * 64, OLD, "sha256:" + "a" * 64,
                          RolloutPlan.for_asil(asil), [DeviceInfo(d) for d in devices], 1,
                          NOW).start(NOW)
    for _ in range(stage):
        rollout = rollout.passed(NOW, BASELINE)
        if rollout.stage is RolloutStage.AWAITING_APPROVAL:
            rollout = rollout.approve(NOW)
    return rollout


def after_bake(rollout: Rollout, extra_s: float = 1.0) -> datetime:
    assert rollout.stage_started_at is not None
    return rollout.stage_started_at + timedelta(seconds=rollout.spec.bake_seconds + extra_s)


def test_a_pending_stage_starts_without_a_judgement():
    pending = new_rollout("r1", "fleet", NEW, "sha256:" + "b" * 64, OLD, "sha256:" + "a" * 64,
                          RolloutPlan.for_asil(ASIL.QM),
                          [DeviceInfo("d0"), DeviceInfo("d1")], 1, NOW)
    decision = decide(pending, None, NOW)
    assert decision.action is RolloutAction.START_STAGE
    assert decision.outcome is RolloutStage.BAKING and decision.actor == CONTROLLER
    assert decision.after is not None and decision.after.stage is RolloutStage.BAKING
    assert decision.epoch == pending.epoch + 1


def test_a_failed_judgement_rolls_back_even_before_the_bake_time_is_over():
    decision = decide(baking(ASIL.B), judged(Verdict.ROLLBACK, "error_rate: 3x"), NOW)
    assert decision.action is RolloutAction.ROLLBACK
    assert decision.after is not None and decision.after.phase is RolloutPhase.ROLLED_BACK
    assert decision.reason == "error_rate: 3x"


def test_a_healthy_stage_holds_until_its_bake_time_is_over_then_is_promoted():
    rollout = baking(ASIL.B)
    early = decide(rollout, judged(Verdict.PROMOTE), NOW + timedelta(seconds=10))
    assert early.action is RolloutAction.HOLD and early.details["hold"] == HoldReason.BAKE
    assert early.after == rollout and early.epoch == rollout.epoch
    done = decide(rollout, judged(Verdict.PROMOTE), after_bake(rollout))
    assert done.action is RolloutAction.PROMOTE and done.outcome is RolloutStage.PROMOTED
    assert done.after is not None and done.after.current == 1
    assert done.after.reference == BASELINE


def test_a_reference_judgement_does_not_replace_the_kept_reference():
    rollout = baking(ASIL.QM, stage=3)
    decision = decide(rollout, judged(Verdict.PROMOTE), after_bake(rollout),
                      matched_baseline=False)
    assert decision.after is not None and decision.after.phase is RolloutPhase.COMPLETED
    assert decision.after.reference == rollout.reference


def test_a_healthy_asil_c_stage_asks_for_an_approval_and_stays_watched():
    rollout = baking(ASIL.C)
    asked = decide(rollout, judged(Verdict.PROMOTE), after_bake(rollout))
    assert asked.action is RolloutAction.REQUEST_APPROVAL
    waiting = asked.after
    assert waiting is not None and waiting.phase is RolloutPhase.AWAITING_APPROVAL
    watched = decide(waiting, judged(Verdict.HOLD), after_bake(rollout, 10 * 24 * 3600))
    assert watched.action is RolloutAction.AWAIT_APPROVAL and watched.after == waiting
    failed = decide(waiting, judged(Verdict.ROLLBACK), after_bake(rollout))
    assert failed.action is RolloutAction.ROLLBACK


def test_an_inconclusive_canary_holds_for_data_until_its_deadline():
    rollout = baking(ASIL.QM)
    limit = ASIL_INCONCLUSIVE_LIMITS[ASIL.QM]
    deadline = hold_deadline(rollout, limit)
    assert deadline == NOW + timedelta(seconds=rollout.spec.bake_seconds
                                       + limit.max_hold_seconds)
    held = decide(rollout, judged(Verdict.HOLD, "too little data"),
                  deadline - timedelta(seconds=1))
    assert held.action is RolloutAction.HOLD and held.details["hold"] == HoldReason.DATA
    assert held.details["hold_deadline"] == deadline.isoformat()


def test_past_its_deadline_an_inconclusive_asil_c_canary_is_rolled_back():
    rollout = baking(ASIL.C)
    deadline = hold_deadline(rollout, ASIL_INCONCLUSIVE_LIMITS[ASIL.C])
    assert deadline is not None
    decision = decide(rollout, judged(Verdict.HOLD, "too little data"), deadline)
    assert decision.action is RolloutAction.ROLLBACK
    assert decision.after is not None and decision.after.phase is RolloutPhase.ROLLED_BACK
    assert "hold deadline" in decision.reason and "too little data" in decision.reason
    assert decision.after.canary_size == 0


def test_past_its_deadline_an_inconclusive_qm_canary_is_escalated_to_a_human():
    rollout = baking(ASIL.QM)
    deadline = hold_deadline(rollout, ASIL_INCONCLUSIVE_LIMITS[ASIL.QM])
    assert deadline is not None
    decision = decide(rollout, judged(Verdict.HOLD), deadline + timedelta(hours=1))
    assert decision.action is RolloutAction.ESCALATE
    escalated = decision.after
    assert escalated is not None and escalated.phase is RolloutPhase.AWAITING_APPROVAL
    assert escalated.epoch == rollout.epoch  # devices keep what they run until a human acts
    approved = escalated.approve(deadline)
    assert approved.current == 1


def test_a_stricter_limit_table_shortens_the_deadline():
    rollout = baking(ASIL.QM)
    strict = {**ASIL_INCONCLUSIVE_LIMITS,
              ASIL.QM: InconclusiveLimit(60.0, InconclusiveOutcome.ROLLBACK)}
    decision = decide(rollout, judged(Verdict.HOLD), after_bake(rollout, 61), limits=strict)
    assert decision.action is RolloutAction.ROLLBACK


def test_a_final_rollout_gets_no_decision_and_a_baking_one_needs_a_judgement():
    rolled_back = baking().failed("bad")
    assert decide(rolled_back, None, NOW).action is RolloutAction.NONE
    with pytest.raises(InvariantViolation):
        decide(baking(), None, NOW)


def test_decisions_refuse_an_action_the_log_does_not_know():
    with pytest.raises(ValueError, match="promote_anyway"):
        RolloutDecision("r1", "promote_anyway", RolloutStage.BAKING,  # type: ignore[arg-type]
                        "alice", "5%", 1, "")
    logged = RolloutDecision("r1", "abort", RolloutStage.ABORTED,  # type: ignore[arg-type]
                             "alice", "5%", 1, "")
    assert logged.action is RolloutAction.ABORT


def test_only_a_change_into_a_final_phase_raises_rollout_finished():
    rollout = baking()
    assert rollout_events(rollout, rollout.hold()) == ()
    (event,) = rollout_events(rollout, rollout.failed("bad"))
    assert isinstance(event, RolloutFinished) and event.phase is RolloutPhase.ROLLED_BACK
    done = baking(stage=3).passed(NOW, None)
    assert done.phase is RolloutPhase.COMPLETED
    assert [e.phase for e in rollout_events(baking(stage=3), done)] == [RolloutPhase.COMPLETED]
    # A completed roll-out rolled back by hand changes what the fleet runs: a new event.
    assert [e.phase for e in rollout_events(done, done.rolled_back("field report"))] == [
        RolloutPhase.ROLLED_BACK]


@pytest.mark.parametrize("asil", list(ASIL))
def test_no_asil_holds_an_inconclusive_canary_for_more_than_a_day(asil):
    assert ASIL_INCONCLUSIVE_LIMITS[asil].max_hold_seconds <= 24 * 3600


def test_c_and_d_roll_back_an_inconclusive_canary_and_a_laxer_table_is_refused():
    assert [a for a in ASIL if ASIL_INCONCLUSIVE_LIMITS[a].on_expiry
            is InconclusiveOutcome.ROLLBACK] == [ASIL.C, ASIL.D]
    check_inconclusive_limits(ASIL_INCONCLUSIVE_LIMITS)
    lax = {**ASIL_INCONCLUSIVE_LIMITS,
           ASIL.D: InconclusiveLimit(48 * 3600.0, InconclusiveOutcome.ESCALATE)}
    with pytest.raises(InvariantViolation) as err:
        check_inconclusive_limits(lax)
    assert "ASIL D" in str(err.value) and "rolled back" in str(err.value)
    with pytest.raises(InvariantViolation):
        InconclusiveLimit(0.0, InconclusiveOutcome.ROLLBACK)
