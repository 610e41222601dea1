"""The roll-out stage state machine, ASIL floors, cohorts and desired state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edgedeploy.domain.asil_rules import (
    ASIL_STAGE_FLOORS,
    FloorViolated,
    StageFloor,
    validate_floor_table,
)
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import (
    DeviceInfo,
    InvalidRolloutPlan,
    RolloutPhase,
    RolloutPlan,
    RolloutStage,
    StageEvent,
    StageSpec,
    StageTransitionRefused,
    new_rollout,
    next_stage,
)
from edgedeploy.domain.safety import ASIL

NOW = datetime(2026, 3, 1, tzinfo=UTC)
OLD, NEW = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1")
DA, DB = "sha256:" + "a" * 64, "sha256:" + "b" * 64


def fleet(n: int) -> list[DeviceInfo]:
    return [DeviceInfo(f"d{i:03d}", {"hw": "x" if i % 3 else "y"}) for i in range(n)]


def rollout(asil: ASIL = ASIL.QM, n: int = 40):
    return new_rollout("r1", "f", NEW, DB, OLD, DA, RolloutPlan.for_asil(asil), fleet(n), 1,
                       NOW)


@pytest.mark.parametrize(("stage", "event", "expected"), [
    (RolloutStage.PENDING, StageEvent.START, RolloutStage.BAKING),
    (RolloutStage.BAKING, StageEvent.HOLD, RolloutStage.BAKING),
    (RolloutStage.BAKING, StageEvent.PASS, RolloutStage.PROMOTED),
    (RolloutStage.BAKING, StageEvent.FAIL, RolloutStage.ROLLED_BACK),
    (RolloutStage.BAKING, StageEvent.ESCALATE, RolloutStage.AWAITING_APPROVAL),
    (RolloutStage.AWAITING_APPROVAL, StageEvent.APPROVE, RolloutStage.PROMOTED),
    (RolloutStage.AWAITING_APPROVAL, StageEvent.FAIL, RolloutStage.ROLLED_BACK),
    (RolloutStage.PROMOTED, StageEvent.ROLLBACK, RolloutStage.ROLLED_BACK),
])
def test_each_allowed_event_leads_to_its_state(stage, event, expected):
    assert next_stage(stage, event) is expected


@pytest.mark.parametrize("stage", [s for s in RolloutStage if s not in (
    RolloutStage.ROLLED_BACK, RolloutStage.ABORTED, RolloutStage.PROMOTED)])
def test_abort_is_allowed_in_every_state_that_is_not_final(stage):
    assert next_stage(stage, StageEvent.ABORT) is RolloutStage.ABORTED


@pytest.mark.parametrize(("stage", "event"), [
    (RolloutStage.PENDING, StageEvent.PASS),
    (RolloutStage.BAKING, StageEvent.APPROVE),
    (RolloutStage.ROLLED_BACK, StageEvent.START),
    (RolloutStage.ABORTED, StageEvent.ROLLBACK),
    (RolloutStage.PROMOTED, StageEvent.ABORT),
    (RolloutStage.PENDING, StageEvent.ESCALATE),
    (RolloutStage.AWAITING_APPROVAL, StageEvent.ESCALATE),
])
def test_events_not_allowed_in_a_state_are_refused_with_a_conflict(stage, event):
    with pytest.raises(StageTransitionRefused) as err:
        next_stage(stage, event)
    assert err.value.code == "ROLLOUT_STAGE_TRANSITION_REFUSED"


def test_a_passing_stage_waits_for_approval_when_its_asil_requires_one():
    assert next_stage(RolloutStage.BAKING, StageEvent.PASS,
                      approval_required=True) is RolloutStage.AWAITING_APPROVAL


@pytest.mark.parametrize("asil", list(ASIL))
def test_default_plans_sit_exactly_on_the_floor_of_their_asil(asil):
    plan = RolloutPlan.for_asil(asil)
    floor = ASIL_STAGE_FLOORS[asil]
    assert [s.share for s in plan.stages] == [0.05, 0.25, 0.5, 1.0]
    assert all(s.bake_seconds == floor.min_bake_seconds for s in plan.stages)
    assert all(s.approval_required == floor.approval_required for s in plan.stages)


def test_floors_grow_with_the_asil_and_c_and_d_require_approval():
    levels = [ASIL_STAGE_FLOORS[a] for a in (ASIL.QM, ASIL.A, ASIL.B, ASIL.C, ASIL.D)]
    assert [f.min_bake_seconds for f in levels] == sorted(f.min_bake_seconds for f in levels)
    assert [f.min_inferences for f in levels] == sorted(f.min_inferences for f in levels)
    assert [a for a in ASIL if ASIL_STAGE_FLOORS[a].approval_required] == [ASIL.C, ASIL.D]


def test_a_plan_below_its_floor_is_refused_naming_every_violation():
    with pytest.raises(FloorViolated) as err:
        RolloutPlan(ASIL.C, (StageSpec("all", 1.0, 10.0, 1, 50, False),))
    text = str(err.value)
    assert "bake time 10s" in text and "50 inferences" in text and "approval" in text


def test_a_stricter_plan_than_the_floor_is_accepted():
    plan = RolloutPlan.for_asil(ASIL.D, bake_seconds=7200, min_inferences=100_000)
    assert plan.stages[0].bake_seconds == 7200


def test_a_floor_table_weaker_than_the_reference_is_refused():
    weak = dict(ASIL_STAGE_FLOORS)
    weak[ASIL.D] = StageFloor(0.0, 1, 1, False)
    with pytest.raises(FloorViolated, match="ASIL D"):
        validate_floor_table(weak)


@pytest.mark.parametrize("shares", [(0.5, 0.25, 1.0), (0.05, 0.5), (0.0, 1.0), (0.5, 1.2)])
def test_shares_must_grow_strictly_and_end_at_the_whole_fleet(shares):
    with pytest.raises(InvalidRolloutPlan):
        RolloutPlan.for_asil(ASIL.QM, shares)


def test_stages_are_nested_and_never_smaller_than_their_minimum_devices():
    r = rollout(ASIL.D, n=40).start(NOW)
    assert r.canary_size == 5  # 5 % of 40 is 2, the ASIL D floor is 5 devices
    canary, _ = r.cohorts()
    bigger = r.passed(NOW, None).approve(NOW)
    assert bigger.canary_size == 10
    assert set(canary) <= set(bigger.cohorts()[0])


def test_the_matched_baseline_has_the_same_mix_of_labels_as_the_canary():
    r = rollout(ASIL.QM, n=60).start(NOW)
    r = r.passed(NOW, None)  # 25 %
    canary, baseline = r.cohorts()
    labels = {d.device_id: d.stratum for d in r.devices}
    assert sorted(labels[d] for d in canary) == sorted(labels[d] for d in baseline)
    assert not set(canary) & set(baseline)


def test_every_change_of_desired_state_raises_the_epoch_and_a_hold_does_not():
    r = rollout()
    started = r.start(NOW)
    assert started.epoch == r.epoch + 1
    assert started.hold().epoch == started.epoch
    promoted = started.passed(NOW, HealthWindow(inferences=10))
    assert promoted.epoch == started.epoch + 1
    assert promoted.failed("bad").epoch == promoted.epoch + 1


def test_desired_state_puts_exactly_the_canary_devices_on_the_new_model():
    r = rollout(n=40).start(NOW)
    states = r.desired_states()
    on_new = [s for s in states if s.model == NEW]
    assert len(on_new) == r.canary_size == 2
    assert {s.epoch for s in states} == {r.epoch}


def test_a_failed_stage_skips_the_rest_and_sends_everyone_back_to_the_baseline():
    r = rollout().start(NOW).failed("error rate")
    assert r.phase is RolloutPhase.ROLLED_BACK
    assert r.stages[1:] == (RolloutStage.PENDING,) * 3
    assert all(s.model == OLD for s in r.desired_states())


def test_passing_the_last_stage_completes_the_rollout_with_everyone_on_the_new_model():
    r = rollout().start(NOW)
    for _ in range(4):
        r = r.passed(NOW, None)
    assert r.phase is RolloutPhase.COMPLETED
    assert all(s.model == NEW for s in r.desired_states())


def test_the_device_order_depends_only_on_the_rollout_id():
    a = new_rollout("same", "f", NEW, DB, OLD, DA, RolloutPlan.for_asil(ASIL.QM), fleet(30), 1,
                    NOW)
    b = new_rollout("same", "f", NEW, DB, OLD, DA, RolloutPlan.for_asil(ASIL.QM),
                    list(reversed(fleet(30))), 1, NOW)
    assert a.devices == b.devices


def test_a_rollout_of_the_baseline_onto_itself_is_refused():
    from edgedeploy.domain.errors import InvariantViolation
    with pytest.raises(InvariantViolation):
        new_rollout("r", "f", OLD, DA, OLD, DA, RolloutPlan.for_asil(ASIL.QM), fleet(3), 1, NOW)
