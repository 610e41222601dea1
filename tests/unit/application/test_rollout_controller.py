"""Roll-out use cases against in-memory fakes of the journal, the fleet and the release gate."""

from __future__ import annotations

from dataclasses import replace

import pytest

from edgedeploy.application.messagebus import MessageBus
from edgedeploy.application.rollout import (
    AbortRollout,
    ApproveStage,
    ExportDecisionLog,
    ReleaseNotReady,
    ResumeRollout,
    RollbackRollout,
    RolloutEngine,
    RolloutNotFound,
    RolloutStatus,
    RunOptions,
    RunRollout,
    StartRollout,
    StartRolloutCommand,
    TickRollout,
)
from edgedeploy.domain.asil_rules import ASIL_STAGE_FLOORS
from edgedeploy.domain.audit import AuditChainBroken, verify_chain
from edgedeploy.domain.events import RolloutFinished
from edgedeploy.domain.identity import Forbidden, SeparationOfDutiesViolation
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import (
    RolloutAction,
    RolloutPhase,
    RolloutPlan,
    StageTransitionRefused,
)
from edgedeploy.domain.safety import ASIL
from tests.builders import ENGINEER, MANAGER, OPERATOR, SECOND_MANAGER, STARTER
from tests.fakes.clock import ManualClock
from tests.fakes.persistence import InMemoryDatabase
from tests.fakes.rollout import (
    DIGEST_A,
    DIGEST_B,
    DIGEST_C,
    InMemoryFleet,
    InMemoryRolloutJournal,
    ScriptedHealth,
    ScriptedReadiness,
)

OLD, NEW, NEWER = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1"), ModelRef("aeb", "1.2")
GOOD = ScriptedHealth(inferences=20_000)
BAD = ScriptedHealth(inferences=20_000, errors=400)


class Harness:
    def __init__(self, size: int = 20, canary: ScriptedHealth = GOOD) -> None:
        self.fleet = InMemoryFleet(size, OLD, {OLD: GOOD, NEW: canary, NEWER: GOOD})
        self.journal = InMemoryRolloutJournal()
        self.database = InMemoryDatabase(rollouts=self.journal)
        self.clock = ManualClock()
        self.bus = MessageBus()
        self.finished: list[RolloutFinished] = []
        self.bus.subscribe(RolloutFinished, self.finished.append)
        self.engine = RolloutEngine(self.database.unit_of_work, self.fleet, self.clock,
                                    bus=self.bus)
        self.readiness = ScriptedReadiness({NEW, NEWER})
        self.start = StartRollout(self.engine, self.readiness)
        self.tick = TickRollout(self.engine)
        self.run = RunRollout(self.tick)

    def begin(self, asil: ASIL = ASIL.QM, model: ModelRef = NEW, digest: str = DIGEST_B):
        return self.start(StartRolloutCommand("fleet-1", model, digest,
                                              RolloutPlan.for_asil(asil), STARTER, OLD,
                                              DIGEST_A))

    def drive(self, rollout_id: str, ticks: int = 50):
        return self.run(rollout_id, RunOptions(max_ticks=ticks, interval_s=60,
                                               sleep=self.clock.advance))

    def on(self, model: ModelRef) -> int:
        return sum(1 for m in self.fleet.models.values() if m == str(model))


@pytest.fixture(name="h")
def fx_harness() -> Harness:
    return Harness()


def test_a_version_failing_the_release_gate_is_refused_before_any_device_is_touched(h):
    h.readiness.ready.clear()
    with pytest.raises(ReleaseNotReady) as err:
        h.begin()
    assert err.value.code == "RELEASE_NOT_READY"
    assert "SR-7" in err.value.reasons[0]
    assert h.fleet.accepted == [] and h.journal.rollouts == {}


def test_a_healthy_version_goes_through_every_stage_once_to_the_whole_fleet(h):
    view = h.begin()
    result = h.drive(view.rollout_id)
    assert result.view.phase == "completed" and result.converged
    assert h.on(NEW) == 20
    actions = [e.action for e in h.journal.decisions(view.rollout_id)]
    assert actions == ["create", "start_stage", "promote", "promote", "promote", "promote"]
    assert verify_chain(h.journal.decisions(view.rollout_id)) == 6


def test_every_device_receives_each_epoch_at_most_once(h):
    view = h.begin()
    h.drive(view.rollout_id)
    sent = [(d, e) for d, e, _ in h.fleet.accepted]
    assert len(sent) == len(set(sent))


def test_a_bad_canary_is_rolled_back_automatically_and_no_device_is_left_on_it():
    h = Harness(canary=BAD)
    view = h.begin()
    result = h.drive(view.rollout_id)
    assert result.view.phase == "rolled_back"
    assert h.on(NEW) == 0
    last = h.journal.decisions(view.rollout_id)[-1]
    assert last.action == "rollback"
    failed = [m for m in last.details["health"]["metrics"] if m["failed"]]
    assert failed[0]["metric"] == "error_rate" and failed[0]["p_value"] < 1e-4
    assert last.details["policy"]["alpha"] == 1e-4


def test_a_stage_is_held_until_its_bake_time_is_over():
    h = Harness()
    view = h.begin(ASIL.A)  # 60 s bake per stage
    h.tick(view.rollout_id)  # start
    held = h.tick(view.rollout_id)
    reason = h.journal.decisions(view.rollout_id)[-1].details["reason"]
    assert held.action == "hold" and "bake time" in reason
    h.clock.advance(61)
    assert h.tick(view.rollout_id).action == "promote"


def test_asil_c_waits_for_a_named_approval_to_leave_each_stage():
    h = Harness()
    view = h.begin(ASIL.C)
    h.tick(view.rollout_id)
    h.clock.advance(901)
    result = h.drive(view.rollout_id)
    assert result.view.phase == "awaiting_approval"
    first = ApproveStage(h.engine)(view.rollout_id, MANAGER, "reviewed health evidence")
    assert first.current_stage == "5%" and first.stage_state == "awaiting_approval"
    approved = ApproveStage(h.engine)(view.rollout_id, SECOND_MANAGER, "agreed")
    assert approved.current_stage == "25%" and approved.stage_state == "baking"
    partial, entry = h.journal.decisions(view.rollout_id)[-2:]
    assert (partial.action, partial.actor, partial.outcome) == (
        "approve", "bob", "awaiting_approval")
    assert partial.details["approvals"] == 1 and partial.details["approvals_required"] == 2
    assert (entry.action, entry.actor) == ("approve", "dana")
    assert entry.details["approved_by"] == ["bob", "dana"]


def test_approving_a_stage_that_is_not_waiting_is_refused(h):
    view = h.begin(ASIL.C)
    with pytest.raises(StageTransitionRefused):
        ApproveStage(h.engine)(view.rollout_id, MANAGER)


@pytest.mark.parametrize("ticks", [0, 1, 2])
def test_abort_works_in_any_running_state_within_the_call(ticks):
    h = Harness()
    view = h.begin(ASIL.C)
    for _ in range(ticks):
        h.clock.advance(901)
        h.tick(view.rollout_id)
    aborted = AbortRollout(h.engine)(view.rollout_id, OPERATOR, "recall")
    assert aborted.phase == "aborted"
    assert h.on(NEW) == 0


def test_abort_of_a_completed_rollout_is_refused_but_rollback_is_allowed(h):
    view = h.begin()
    h.drive(view.rollout_id)
    with pytest.raises(StageTransitionRefused):
        AbortRollout(h.engine)(view.rollout_id, OPERATOR)
    rolled = RollbackRollout(h.engine)(view.rollout_id, OPERATOR, "field reports")
    assert rolled.phase == "rolled_back" and h.on(NEW) == 0


def test_health_is_still_watched_at_one_hundred_percent(h):
    view = h.begin()
    for _ in range(4):  # start, 5 % -> 25 % -> 50 % -> 100 %
        h.tick(view.rollout_id)
    assert RolloutStatus(h.engine)(view.rollout_id).current_stage == "100%"
    h.fleet.health_of[NEW] = BAD
    result = h.tick(view.rollout_id)
    assert result.action == "rollback" and h.on(NEW) == 0
    assert h.journal.decisions(view.rollout_id)[-1].details["baseline_source"] == "reference"


def test_a_new_version_during_a_rollout_restarts_at_the_first_stage(h):
    first = h.begin()
    h.tick(first.rollout_id)
    h.tick(first.rollout_id)  # now at 25 %
    second = h.begin(model=NEWER, digest=DIGEST_C)
    assert RolloutStatus(h.engine)(first.rollout_id).phase == "aborted"
    assert second.current_stage == "5%" and second.baseline == str(OLD)
    assert h.on(NEW) == 0
    h.tick(second.rollout_id)
    assert h.on(NEWER) == 1


def test_devices_offline_during_a_rollback_converge_when_they_reconnect():
    h = Harness(canary=BAD)
    view = h.begin()
    h.tick(view.rollout_id)
    canary = [d for d, m in h.fleet.models.items() if m == str(NEW)]
    h.fleet.set_offline(canary)
    result = h.tick(view.rollout_id)
    assert result.action == "rollback" and set(result.unreachable) == set(canary)
    h.fleet.set_offline(canary, offline=False)
    settled = h.tick(view.rollout_id)
    assert settled.converged and h.on(NEW) == 0


def test_a_restarted_controller_resends_the_stored_epoch_without_applying_anything_twice(h):
    view = h.begin()
    h.tick(view.rollout_id)
    before = list(h.fleet.accepted)
    fresh = RolloutEngine(h.database.unit_of_work, h.fleet, h.clock)
    _, result = ResumeRollout(fresh)(view.rollout_id)
    assert len(result.acknowledged) == 20
    assert h.fleet.accepted == before


def test_the_decision_log_exports_as_verified_evidence_and_tampering_is_detected(h):
    view = h.begin()
    h.drive(view.rollout_id)
    export = ExportDecisionLog(h.engine)(view.rollout_id)
    assert export.digest.startswith("sha256:") and export.model == str(NEW)
    assert b'"promote"' in export.content
    entries = h.journal.entries[view.rollout_id]
    entries[2] = replace(entries[2], outcome="rolled_back")
    with pytest.raises(AuditChainBroken):
        ExportDecisionLog(h.engine)(view.rollout_id)


def test_an_unknown_rollout_is_not_found(h):
    with pytest.raises(RolloutNotFound):
        RolloutStatus(h.engine)("nope")


def test_a_finished_rollout_raises_one_event_after_its_decision_is_stored(h):
    view = h.begin()
    h.drive(view.rollout_id)
    assert [(e.rollout_id, e.phase) for e in h.finished] == [
        (view.rollout_id, RolloutPhase.COMPLETED)]
    assert h.database.events == h.finished  # handed out only as committed events
    RollbackRollout(h.engine)(view.rollout_id, OPERATOR, "field reports")
    assert [e.phase for e in h.finished] == [RolloutPhase.COMPLETED, RolloutPhase.ROLLED_BACK]


def test_a_failing_event_handler_does_not_keep_a_rollback_from_the_fleet():
    h = Harness(canary=BAD)

    def broken(event: RolloutFinished) -> None:
        raise RuntimeError("trace store unreachable")

    h.bus.subscribe(RolloutFinished, broken)
    view = h.begin()
    result = h.drive(view.rollout_id)
    assert result.view.phase is RolloutPhase.ROLLED_BACK and h.on(NEW) == 0
    assert [e.phase for e in h.finished] == [RolloutPhase.ROLLED_BACK]


def test_no_event_is_raised_while_a_rollout_is_still_running(h):
    view = h.begin(ASIL.C)
    h.tick(view.rollout_id)
    h.clock.advance(901)
    assert h.drive(view.rollout_id).view.phase is RolloutPhase.AWAITING_APPROVAL
    assert h.finished == []


def test_an_asil_c_canary_that_stays_inconclusive_is_rolled_back_at_its_hold_deadline():
    h = Harness(canary=ScriptedHealth(inferences=10))  # far below the ASIL C sample floor
    h.fleet.health_of[OLD] = ScriptedHealth(inferences=10)
    view = h.begin(ASIL.C)
    h.tick(view.rollout_id)
    h.clock.advance(3600)
    assert h.tick(view.rollout_id).action is RolloutAction.HOLD
    h.clock.advance(6 * 3600)  # past bake time + the ASIL C limit
    result = h.tick(view.rollout_id)
    assert result.action is RolloutAction.ROLLBACK
    assert result.view.phase is RolloutPhase.ROLLED_BACK and h.on(NEW) == 0
    last = h.journal.decisions(view.rollout_id)[-1]
    assert "hold deadline" in last.details["reason"]
    assert last.details["inconclusive_limit"]["on_expiry"] == "rollback"


def test_a_qm_canary_that_stays_inconclusive_is_escalated_to_a_human():
    h = Harness(canary=ScriptedHealth(inferences=1))
    h.fleet.health_of[OLD] = ScriptedHealth(inferences=1)
    view = h.begin(ASIL.QM)
    h.tick(view.rollout_id)
    h.clock.advance(25 * 3600)
    result = h.tick(view.rollout_id)
    assert result.action is RolloutAction.ESCALATE
    assert result.view.phase is RolloutPhase.AWAITING_APPROVAL and h.on(NEW) == 1
    approved = ApproveStage(h.engine)(view.rollout_id, MANAGER, "accepted on field evidence")
    assert approved.current_stage == "25%"


def test_two_rollouts_started_at_the_same_instant_keep_distinct_decision_logs():
    first = Harness()
    second = Harness()
    second.clock = first.clock
    view_a, view_b = first.begin(), second.begin()
    entry_a = first.journal.entries[view_a.rollout_id][0]
    entry_b = second.journal.entries[view_b.rollout_id][0]
    assert entry_a.recorded_at == entry_b.recorded_at
    assert entry_a.entry_hash != entry_b.entry_hash
    assert entry_a.details["rollout"] == view_a.rollout_id


def _awaiting(asil: ASIL) -> tuple[Harness, str]:
    h = Harness()
    view = h.begin(asil)
    h.tick(view.rollout_id)
    h.clock.advance(ASIL_STAGE_FLOORS[asil].min_bake_seconds + 1)
    assert h.drive(view.rollout_id).view.phase == "awaiting_approval"
    return h, view.rollout_id


def test_the_starter_cannot_approve_their_own_asil_d_rollout():
    h, rollout_id = _awaiting(ASIL.D)
    before = len(h.journal.decisions(rollout_id))
    with pytest.raises(SeparationOfDutiesViolation, match="started this roll-out"):
        ApproveStage(h.engine)(rollout_id, STARTER)
    assert len(h.journal.decisions(rollout_id)) == before
    assert h.engine.load(rollout_id).stage.value == "awaiting_approval"


def test_the_same_manager_cannot_approve_an_asil_d_stage_twice():
    h, rollout_id = _awaiting(ASIL.D)
    ApproveStage(h.engine)(rollout_id, MANAGER)
    before = len(h.journal.decisions(rollout_id))
    with pytest.raises(SeparationOfDutiesViolation, match="already approved"):
        ApproveStage(h.engine)(rollout_id, MANAGER)
    assert len(h.journal.decisions(rollout_id)) == before
    assert h.engine.load(rollout_id).stage.value == "awaiting_approval"


def test_two_distinct_release_managers_release_an_asil_d_stage():
    h, rollout_id = _awaiting(ASIL.D)
    assert ApproveStage(h.engine)(rollout_id, MANAGER).current_stage == "5%"
    released = ApproveStage(h.engine)(rollout_id, SECOND_MANAGER)
    assert released.current_stage == "25%" and released.stage_state == "baking"


def test_one_approval_by_another_manager_releases_an_escalated_qm_stage():
    h = Harness(canary=ScriptedHealth(inferences=1))
    h.fleet.health_of[OLD] = ScriptedHealth(inferences=1)
    view = h.begin(ASIL.QM)
    h.tick(view.rollout_id)
    h.clock.advance(25 * 3600)
    h.tick(view.rollout_id)
    with pytest.raises(SeparationOfDutiesViolation):
        ApproveStage(h.engine)(view.rollout_id, STARTER)
    assert ApproveStage(h.engine)(view.rollout_id, MANAGER).current_stage == "25%"


def test_an_engineer_may_not_approve_abort_roll_back_or_start():
    h, rollout_id = _awaiting(ASIL.C)
    for act in (ApproveStage(h.engine), AbortRollout(h.engine), RollbackRollout(h.engine)):
        with pytest.raises(Forbidden, match="release-manager"):
            act(rollout_id, ENGINEER)
    with pytest.raises(Forbidden):
        h.start(StartRolloutCommand("fleet-1", NEWER, DIGEST_C,
                                    RolloutPlan.for_asil(ASIL.QM), ENGINEER, OLD, DIGEST_A))
    assert h.engine.load(rollout_id).stage.value == "awaiting_approval"
