"""Progressive roll-out of a model version to a fleet: stages, floors, desired state.

A roll-out moves a model version through stages (5 % -> 25 % -> 50 % -> 100 % by default).
Each stage follows the state machine of :func:`next_stage` (pending -> baking -> promoted |
rolled_back | aborted, with awaiting_approval for ASIL C/D or an escalated inconclusive canary).
Floors per ASIL (minimum bake time, devices and inferences per stage, human approval) and the
hold deadlines are data in :mod:`edgedeploy.domain.asil_rules`; :func:`validate_plan` refuses
any plan below the floors. :func:`decide` is the controller's policy: a pure function from a
roll-out, the canary judge's verdict and the time to the next :class:`RolloutDecision`.

Every change of what devices should run raises the roll-out's *epoch*; devices apply a desired
state only when its epoch is newer than the one they hold, so commands are idempotent and a
controller that resumes after a crash can simply send them again.
"""

from __future__ import annotations

import enum
import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NewType

from edgedeploy.domain.asil_rules import (
    ASIL_INCONCLUSIVE_LIMITS,
    ASIL_STAGE_FLOORS,
    FloorViolated,
    InconclusiveLimit,
    InconclusiveOutcome,
    StageFloor,
    floor_shortfalls,
    validate_floor_table,
)
from edgedeploy.domain.canary_judge import HealthJudgement, Verdict
from edgedeploy.domain.errors import Conflict, InvariantViolation
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.safety import ASIL


class StageTransitionRefused(Conflict):
    """The requested change is not allowed from the stage's current state."""

    code = "ROLLOUT_STAGE_TRANSITION_REFUSED"


class InvalidIdentifier(InvariantViolation):
    """A fleet name or device id is not a plain identifier."""

    code = "ROLLOUT_IDENTIFIER_INVALID"


class FleetTooSmall(InvariantViolation):
    """A fleet cannot hold a canary and a baseline cohort each as large as the ASIL's floor."""

    code = "ROLLOUT_FLEET_TOO_SMALL"


FleetName = NewType("FleetName", str)
DeviceId = NewType("DeviceId", str)

# Fleet names and device ids name journal rows, agent state directories and log files: one
# path segment of plain characters, so no value can climb out of a directory or name a file.
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _identifier(value: object, field_name: str) -> str:
    text = value if isinstance(value, str) else ""
    if not _IDENTIFIER.fullmatch(text) or ".." in text:
        raise InvalidIdentifier(
            f"{field_name} {value!r} is not an identifier: 1 to 64 characters from A-Z a-z "
            "0-9 . _ -, starting with a letter or digit, without '..'")
    return text


def fleet_name(value: object) -> FleetName:
    """``value`` as a fleet name.

    Raises:
        InvalidIdentifier: naming the field (fleet name).
    """
    return FleetName(_identifier(value, "fleet name"))


def device_id(value: object) -> DeviceId:
    """``value`` as a device id.

    Raises:
        InvalidIdentifier: naming the field (device id).
    """
    return DeviceId(_identifier(value, "device id"))


class InvalidRolloutPlan(InvariantViolation):
    """Stages are not a strictly growing sequence of fleet shares ending at 100 %."""

    code = "ROLLOUT_PLAN_INVALID"


class RolloutStage(enum.StrEnum):
    """State of one stage of a roll-out."""

    PENDING = "pending"
    BAKING = "baking"
    AWAITING_APPROVAL = "awaiting_approval"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled_back"
    ABORTED = "aborted"

    @property
    def is_terminal(self) -> bool:
        """True when no health event can change the stage any more."""
        return self in (RolloutStage.PROMOTED, RolloutStage.ROLLED_BACK, RolloutStage.ABORTED)


class StageEvent(enum.StrEnum):
    """What can happen to a stage."""

    START = "start"
    HOLD = "hold"
    PASS = "pass"
    APPROVE = "approve"
    FAIL = "fail"
    ESCALATE = "escalate"
    ROLLBACK = "rollback"
    ABORT = "abort"


_S, _E = RolloutStage, StageEvent
_TRANSITIONS: Mapping[tuple[RolloutStage, StageEvent], RolloutStage] = {
    (_S.PENDING, _E.START): _S.BAKING,
    (_S.PENDING, _E.ABORT): _S.ABORTED,
    (_S.PENDING, _E.ROLLBACK): _S.ROLLED_BACK,
    (_S.BAKING, _E.HOLD): _S.BAKING,
    (_S.BAKING, _E.PASS): _S.PROMOTED,
    (_S.BAKING, _E.FAIL): _S.ROLLED_BACK,
    (_S.BAKING, _E.ESCALATE): _S.AWAITING_APPROVAL,
    (_S.BAKING, _E.ROLLBACK): _S.ROLLED_BACK,
    (_S.BAKING, _E.ABORT): _S.ABORTED,
    (_S.AWAITING_APPROVAL, _E.HOLD): _S.AWAITING_APPROVAL,
    (_S.AWAITING_APPROVAL, _E.PASS): _S.AWAITING_APPROVAL,
    (_S.AWAITING_APPROVAL, _E.APPROVE): _S.PROMOTED,
    (_S.AWAITING_APPROVAL, _E.FAIL): _S.ROLLED_BACK,
    (_S.AWAITING_APPROVAL, _E.ROLLBACK): _S.ROLLED_BACK,
    (_S.AWAITING_APPROVAL, _E.ABORT): _S.ABORTED,
    (_S.PROMOTED, _E.ROLLBACK): _S.ROLLED_BACK,
}


def next_stage(stage: RolloutStage, event: StageEvent, *,
               approval_required: bool = False) -> RolloutStage:
    """The stage state after ``event`` (SR_ROLL_001).

    A passing health check leads to ``awaiting_approval`` instead of ``promoted`` when the
    ASIL requires a recorded human approval to leave the stage.

    Raises:
        StageTransitionRefused: the event is not allowed in this state.
    """
    if stage is RolloutStage.BAKING and event is StageEvent.PASS and approval_required:
        return RolloutStage.AWAITING_APPROVAL
    try:
        return _TRANSITIONS[(stage, event)]
    except KeyError:
        raise StageTransitionRefused(
            f"a stage that is {stage.value} cannot '{event.value}'") from None


# --- plans (the floors they are checked against live in asil_rules) ----------------------


@dataclass(frozen=True, slots=True)
class StageSpec:
    """One stage: its name, share of the fleet and what it must show before it is left."""

    name: str
    share: float
    bake_seconds: float
    min_devices: int
    min_inferences: int
    approval_required: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "share": self.share, "bake_seconds": self.bake_seconds,
                "min_devices": self.min_devices, "min_inferences": self.min_inferences,
                "approval_required": self.approval_required}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StageSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(str(data["name"]), float(data["share"]), float(data["bake_seconds"]),
                   int(data["min_devices"]), int(data["min_inferences"]),
                   bool(data["approval_required"]))


DEFAULT_SHARES: tuple[float, ...] = (0.05, 0.25, 0.50, 1.0)


@dataclass(frozen=True, slots=True)
class RolloutPlan:
    """The stages of a roll-out, checked against the ASIL floors when built."""

    asil: ASIL
    stages: tuple[StageSpec, ...]

    def __post_init__(self) -> None:
        validate_plan(self, ASIL_STAGE_FLOORS)

    @classmethod
    def for_asil(cls, asil: ASIL, shares: Sequence[float] = DEFAULT_SHARES, *,
                 bake_seconds: float | None = None, min_devices: int | None = None,
                 min_inferences: int | None = None,
                 floors: Mapping[ASIL, StageFloor] = ASIL_STAGE_FLOORS) -> RolloutPlan:
        """A plan with the given shares; unset minimums default to the floor.

        Raises:
            FloorViolated: a given minimum is below the floor.
            InvalidRolloutPlan: the shares are not strictly growing up to 1.0.
        """
        validate_floor_table(floors)
        floor = floors[asil]
        stages = tuple(
            StageSpec(name=f"{round(share * 100):g}%", share=share,
                      bake_seconds=floor.min_bake_seconds if bake_seconds is None
                      else bake_seconds,
                      min_devices=floor.min_devices if min_devices is None else min_devices,
                      min_inferences=floor.min_inferences if min_inferences is None
                      else min_inferences,
                      approval_required=floor.approval_required)
            for share in shares)
        plan = cls(asil, stages)
        validate_plan(plan, floors)
        return plan

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"asil": self.asil.value, "stages": [s.to_dict() for s in self.stages]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RolloutPlan:
        """Inverse of :meth:`to_dict` (validated again)."""
        return cls(ASIL(data["asil"]), tuple(StageSpec.from_dict(s) for s in data["stages"]))


def validate_plan(plan: RolloutPlan, floors: Mapping[ASIL, StageFloor]) -> None:
    """No configuration goes below its floor (SR_ROLL_003).

    Raises:
        InvalidRolloutPlan: shares not strictly growing in (0, 1] and ending at 1.0.
        FloorViolated: any stage below its ASIL floor, every violation named.
    """
    if not plan.stages:
        raise InvalidRolloutPlan("a roll-out needs at least one stage")
    previous = 0.0
    for stage in plan.stages:
        if not previous < stage.share <= 1.0:
            raise InvalidRolloutPlan(
                f"stage {stage.name}: share {stage.share} must grow strictly within (0, 1]")
        previous = stage.share
    if plan.stages[-1].share != 1.0:
        raise InvalidRolloutPlan("the last stage must cover the whole fleet (share 1.0)")
    floor = floors[plan.asil]
    problems: list[str] = []
    for stage in plan.stages:
        problems += floor_shortfalls(f"stage {stage.name} (ASIL {plan.asil})",
                                     stage.bake_seconds, stage.min_devices,
                                     stage.min_inferences, stage.approval_required, floor)
    if problems:
        raise FloorViolated("; ".join(problems))


# --- devices, cohorts and desired state ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A device of the fleet and the labels that define comparable devices (its stratum)."""

    device_id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    stratum: str = field(init=False, repr=False, compare=False)
    """Devices with equal labels are compared with each other (matched baseline)."""

    def __post_init__(self) -> None:
        # Computed once: cohort matching reads it for every device on every tick.
        object.__setattr__(self, "stratum",
                           ",".join(f"{k}={v}" for k, v in sorted(self.labels.items())))


@dataclass(frozen=True, slots=True)
class DesiredState:
    """What one device should run, and the epoch that orders commands (newest wins)."""

    device_id: str
    model: ModelRef
    digest: str
    epoch: int


def rollout_order(rollout_id: str, devices: Iterable[DeviceInfo]) -> tuple[DeviceInfo, ...]:
    """A stable pseudo-random order of the fleet, so that stages are nested and spread.

    Derived from the roll-out id alone, so a resumed controller computes the same cohorts.
    """
    def key(device: DeviceInfo) -> str:
        return hashlib.sha256(f"{rollout_id}/{device.device_id}".encode()).hexdigest()
    return tuple(sorted(devices, key=key))


def canary_count(stage: StageSpec, fleet_size: int) -> int:
    """Devices on the canary in ``stage``: its share, but never below its minimum.

    Before the last stage the canary leaves at least ``min_devices`` on the baseline, so the
    judge always has a baseline cohort as large as the canary's floor to compare with; only
    the last stage (share 1.0) covers the whole fleet.
    """
    if stage.share >= 1.0:
        return fleet_size
    wanted = max(stage.min_devices, math.ceil(stage.share * fleet_size))
    return max(0, min(wanted, fleet_size - stage.min_devices))


def minimum_fleet_size(plan: RolloutPlan) -> int:
    """The smallest fleet ``plan`` can run on: a canary and a baseline cohort at the floor.

    A single-stage plan (straight to 100 %) has no canary to compare and needs its floor only.
    """
    if len(plan.stages) == 1:
        return plan.stages[0].min_devices
    return max(2 * stage.min_devices for stage in plan.stages[:-1])


def check_fleet_size(plan: RolloutPlan, fleet: str, fleet_size: int) -> None:
    """Refuse a fleet too small for the plan's canary and baseline floors (SR_ROLL_003).

    Raises:
        FleetTooSmall: with the fleet's size, the ASIL and the numbers it needs.
    """
    needed = minimum_fleet_size(plan)
    if fleet_size < needed:
        floor = max(s.min_devices for s in plan.stages)
        raise FleetTooSmall(
            f"fleet {fleet} has {fleet_size} devices; an ASIL {plan.asil} roll-out needs at "
            f"least {needed}: a canary of {floor} devices and a baseline cohort of {floor} "
            "devices to compare it with")


# --- the roll-out aggregate ---------------------------------------------------------------


class RolloutPhase(enum.StrEnum):
    """Where a roll-out as a whole stands."""

    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    COMPLETED = "completed"
    ROLLED_BACK = "rolled_back"
    ABORTED = "aborted"

    @property
    def is_final(self) -> bool:
        """True when the roll-out will not move on by itself."""
        return self in (RolloutPhase.COMPLETED, RolloutPhase.ROLLED_BACK,
                        RolloutPhase.ABORTED)


@dataclass(frozen=True, slots=True)
class Rollout:
    """A roll-out of ``model`` replacing ``baseline`` on a fleet.

    ``devices`` is the fleet in roll-out order; ``stages`` holds the state of each stage of
    ``plan``; ``current`` is the index of the stage in progress (or the last one reached).
    ``reference`` keeps the baseline cohort's health from the last stage that had one, to
    watch health at 100 % where no baseline devices remain.
    """

    rollout_id: str
    fleet: str
    model: ModelRef
    digest: str
    baseline: ModelRef
    baseline_digest: str
    plan: RolloutPlan
    devices: tuple[DeviceInfo, ...]
    stages: tuple[RolloutStage, ...]
    current: int
    epoch: int
    created_at: datetime
    stage_started_at: datetime | None = None
    reference: HealthWindow | None = None
    reason: str = ""
    _cohorts: tuple[tuple[str, ...], tuple[str, ...]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.stages) != len(self.plan.stages):
            raise InvariantViolation("one stage state per planned stage")
        if not 0 <= self.current < len(self.stages):
            raise InvariantViolation(f"stage index {self.current} out of range")
        if not self.devices:
            raise InvariantViolation("a roll-out needs at least one device")

    @property
    def stage(self) -> RolloutStage:
        """State of the current stage."""
        return self.stages[self.current]

    @property
    def spec(self) -> StageSpec:
        """The current stage's plan."""
        return self.plan.stages[self.current]

    @property
    def phase(self) -> RolloutPhase:
        """The roll-out's overall phase, derived from its stages."""
        if RolloutStage.ROLLED_BACK in self.stages:
            return RolloutPhase.ROLLED_BACK
        if RolloutStage.ABORTED in self.stages:
            return RolloutPhase.ABORTED
        if all(s is RolloutStage.PROMOTED for s in self.stages):
            return RolloutPhase.COMPLETED
        if self.stage is RolloutStage.AWAITING_APPROVAL:
            return RolloutPhase.AWAITING_APPROVAL
        return RolloutPhase.RUNNING

    @property
    def canary_size(self) -> int:
        """Devices that should run the new model now (0 once rolled back or aborted)."""
        status = self.phase
        if status in (RolloutPhase.ROLLED_BACK, RolloutPhase.ABORTED):
            return 0
        if status is RolloutPhase.COMPLETED:
            return len(self.devices)
        if self.stage is RolloutStage.PENDING:
            return 0 if self.current == 0 else canary_count(
                self.plan.stages[self.current - 1], len(self.devices))
        return canary_count(self.spec, len(self.devices))

    def desired_states(self) -> tuple[DesiredState, ...]:
        """What every device should run at this epoch."""
        k = self.canary_size
        return tuple(
            DesiredState(d.device_id, self.model if i < k else self.baseline,
                         self.digest if i < k else self.baseline_digest, self.epoch)
            for i, d in enumerate(self.devices))

    def cohorts(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(canary, matched baseline) device ids for the current stage.

        The baseline takes, for each stratum, as many non-canary devices as the canary has
        there (fewer if the stratum has no more), so both cohorts see the same mix of hardware
        and conditions.
        """
        if self._cohorts is not None:
            return self._cohorts
        k = self.canary_size
        canary = self.devices[:k]
        wanted: dict[str, int] = {}
        for d in canary:
            wanted[d.stratum] = wanted.get(d.stratum, 0) + 1
        baseline = []
        for d in self.devices[k:]:
            if wanted.get(d.stratum, 0) > 0:
                wanted[d.stratum] -= 1
                baseline.append(d.device_id)
        cohorts = tuple(d.device_id for d in canary), tuple(baseline)
        # The roll-out is immutable, so its cohorts can be kept with it.
        object.__setattr__(self, "_cohorts", cohorts)
        return cohorts

    def _with_stage(self, event: StageEvent, *, new_epoch: bool, **changes: Any) -> Rollout:
        state = next_stage(self.stage, event, approval_required=self.spec.approval_required)
        if state is self.stage and not new_epoch and not changes:
            return self
        stages = list(self.stages)
        stages[self.current] = state
        return replace(self, stages=tuple(stages),
                       epoch=self.epoch + 1 if new_epoch else self.epoch, **changes)

    def start(self, now: datetime) -> Rollout:
        """Begin baking the current (pending) stage: its devices get the new model."""
        return self._with_stage(StageEvent.START, new_epoch=True, stage_started_at=now)

    def hold(self) -> Rollout:
        """Keep the current stage as it is (too little data or bake time not over)."""
        return self._with_stage(StageEvent.HOLD, new_epoch=False)

    def passed(self, now: datetime, baseline_health: HealthWindow | None) -> Rollout:
        """Health passed: promote and start the next stage, or wait for an approval."""
        reference = baseline_health if baseline_health is not None else self.reference
        after = self._with_stage(StageEvent.PASS, new_epoch=False, reference=reference)
        if after.stage is RolloutStage.PROMOTED:
            return after._advance(now)
        return after

    def approve(self, now: datetime) -> Rollout:
        """A human approved leaving the stage (ASIL C/D)."""
        return self._with_stage(StageEvent.APPROVE, new_epoch=False)._advance(now)

    def _advance(self, now: datetime) -> Rollout:
        if self.current + 1 >= len(self.stages):
            return self
        return replace(self, current=self.current + 1).start(now)

    def escalated(self, reason: str) -> Rollout:
        """The canary stayed inconclusive too long: a human decides (approve or roll back)."""
        return self._with_stage(StageEvent.ESCALATE, new_epoch=False, reason=reason)

    def failed(self, reason: str) -> Rollout:
        """Health failed: every device goes back to the baseline; later stages are skipped."""
        return self._with_stage(StageEvent.FAIL, new_epoch=True, reason=reason)

    def rolled_back(self, reason: str) -> Rollout:
        """A human rolled the roll-out back, in any stage including after completion."""
        return self._with_stage(StageEvent.ROLLBACK, new_epoch=True, reason=reason)

    def aborted(self, reason: str) -> Rollout:
        """Stop now; devices return to the baseline, the version is not judged."""
        return self._with_stage(StageEvent.ABORT, new_epoch=True, reason=reason)

    def bake_elapsed(self, now: datetime) -> float:
        """Seconds the current stage has baked."""
        if self.stage_started_at is None:
            return 0.0
        return (now - self.stage_started_at).total_seconds()


def new_rollout(rollout_id: str, fleet: str, model: ModelRef, digest: str, baseline: ModelRef,
                baseline_digest: str, plan: RolloutPlan, devices: Iterable[DeviceInfo],
                first_epoch: int, created_at: datetime) -> Rollout:
    """A roll-out with every stage pending, devices in roll-out order.

    Raises:
        InvariantViolation: the new model is the baseline, or the fleet is empty.
        FleetTooSmall: the fleet cannot hold the plan's canary and baseline floors.
    """
    if model == baseline:
        raise InvariantViolation(f"{model} is already the baseline of fleet {fleet}")
    ordered = rollout_order(rollout_id, devices)
    if not ordered:
        raise InvariantViolation(f"fleet {fleet} has no devices")
    check_fleet_size(plan, fleet, len(ordered))
    return Rollout(rollout_id, fleet, model, digest, baseline, baseline_digest, plan, ordered,
                   tuple(RolloutStage.PENDING for _ in plan.stages), 0, first_epoch,
                   created_at)


# --- decisions ----------------------------------------------------------------------------


class RolloutAction(enum.StrEnum):
    """Every kind of decision the decision log records about a roll-out."""

    NONE = "none"
    """Nothing changed (the roll-out is final, or a tick only re-sent desired states)."""
    CREATE = "create"
    START_STAGE = "start_stage"
    HOLD = "hold"
    PROMOTE = "promote"
    REQUEST_APPROVAL = "request_approval"
    AWAIT_APPROVAL = "await_approval"
    ESCALATE = "escalate"
    ROLLBACK = "rollback"
    APPROVE = "approve"
    ABORT = "abort"
    SUPERSEDE = "supersede"
    MANUAL_ROLLBACK = "manual_rollback"

    @property
    def changes_state(self) -> bool:
        """False for the actions that leave the stored roll-out as it was."""
        return self not in (RolloutAction.NONE, RolloutAction.HOLD,
                            RolloutAction.AWAIT_APPROVAL)


class HoldReason(enum.StrEnum):
    """Why a baking stage was held."""

    DATA = "data"
    """The judge is inconclusive: too little data on either cohort."""
    BAKE = "bake"
    """Healthy on a sufficient sample, but the stage's bake time is not over."""


Outcome = RolloutStage | RolloutPhase
"""What a decision led to: a stage state, or the roll-out's phase."""


@dataclass(frozen=True, slots=True)
class RolloutDecision:
    """One decision about a roll-out, as it goes into the hash-chained decision log.

    ``after`` is the roll-out the decision leads to, when the decision was taken by
    :func:`decide` (use cases that build a decision themselves pass the state separately).
    """

    rollout_id: str
    action: RolloutAction
    outcome: Outcome
    actor: str
    stage: str
    epoch: int
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)
    after: Rollout | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # The log is read back as text; refusing unknown names here keeps it parseable.
        object.__setattr__(self, "action", RolloutAction(self.action))

    def log_details(self) -> dict[str, Any]:
        """What the audit entry stores besides action, outcome and actor."""
        return {"stage": self.stage, "epoch": self.epoch, "reason": self.reason,
                **dict(self.details)}


CONTROLLER = "controller"
"""The actor of every decision :func:`decide` takes."""


def hold_deadline(rollout: Rollout, limit: InconclusiveLimit) -> datetime | None:
    """The instant after which the current stage may no longer hold for lack of data.

    None while the stage has not started (nothing to judge yet).
    """
    if rollout.stage_started_at is None:
        return None
    return rollout.stage_started_at + timedelta(
        seconds=rollout.spec.bake_seconds + limit.max_hold_seconds)


def decide(rollout: Rollout, judgement: HealthJudgement | None, now: datetime, *,
           matched_baseline: bool = True,
           limits: Mapping[ASIL, InconclusiveLimit] = ASIL_INCONCLUSIVE_LIMITS,
           ) -> RolloutDecision:
    """The controller's next decision about ``rollout`` (SR_ROLL_020..026), pure.

    A pending stage starts. A baking stage is rolled back on a failed judgement, held while the
    judge is inconclusive or the bake time is not over, and promoted (or handed to a human at
    ASIL C/D) once it is healthy. A stage awaiting approval stays watched: a failed judgement
    still rolls it back. A canary that stays inconclusive past its hold deadline
    (:func:`hold_deadline`) is rolled back or escalated to a human, as its ASIL's
    :class:`~edgedeploy.domain.asil_rules.InconclusiveLimit` says; it is never held forever.

    Args:
        rollout: the stored roll-out.
        judgement: the canary judge's verdict on the current stage; None is allowed only for
            a pending stage or a final roll-out, where nothing is judged.
        now: the controller's clock.
        matched_baseline: False when the judge compared against the kept reference window
            (no baseline devices left at 100 %); only a matched cohort becomes the reference.
        limits: the inconclusive limits per ASIL.

    Raises:
        InvariantViolation: a baking or approval-awaiting stage was given no judgement.
    """
    spec = rollout.spec

    def decision(action: RolloutAction, after: Rollout, outcome: Outcome, reason: str,
                 details: Mapping[str, Any] | None = None) -> RolloutDecision:
        return RolloutDecision(rollout.rollout_id, action, outcome, CONTROLLER, spec.name,
                               after.epoch, reason, details or {}, after)

    if rollout.phase.is_final:
        return decision(RolloutAction.NONE, rollout, rollout.phase,
                        f"the roll-out is {rollout.phase.value}")
    if rollout.stage is RolloutStage.PENDING:
        after = rollout.start(now)
        return decision(RolloutAction.START_STAGE, after, RolloutStage.BAKING,
                        f"stage {spec.name}: {after.canary_size} devices get {rollout.model}")
    if judgement is None:
        raise InvariantViolation(
            f"stage {spec.name} is {rollout.stage.value}: deciding needs a health judgement")
    limit = limits[rollout.plan.asil]
    deadline = hold_deadline(rollout, limit)
    details: dict[str, Any] = {
        "health": judgement.to_dict(), "bake_elapsed_s": rollout.bake_elapsed(now),
        "bake_required_s": spec.bake_seconds, "inconclusive_limit": limit.to_dict(),
        "hold_deadline": None if deadline is None else deadline.isoformat()}
    if judgement.verdict is Verdict.ROLLBACK:
        reason = "; ".join(judgement.reasons)
        return decision(RolloutAction.ROLLBACK, rollout.failed(reason),
                        RolloutStage.ROLLED_BACK, reason, details)
    if rollout.stage is RolloutStage.AWAITING_APPROVAL:
        return decision(RolloutAction.AWAIT_APPROVAL, rollout, RolloutStage.AWAITING_APPROVAL,
                        f"stage {spec.name} awaits a recorded approval", details)
    if judgement.verdict is Verdict.HOLD:
        inconclusive = "; ".join(judgement.reasons)
        if deadline is not None and now >= deadline:
            reason = (f"stage {spec.name} still inconclusive at its hold deadline "
                      f"{deadline.isoformat()} ({inconclusive})")
            if limit.on_expiry is InconclusiveOutcome.ROLLBACK:
                return decision(RolloutAction.ROLLBACK, rollout.failed(reason),
                                RolloutStage.ROLLED_BACK, reason, details)
            return decision(RolloutAction.ESCALATE, rollout.escalated(reason),
                            RolloutStage.AWAITING_APPROVAL, reason, details)
        return decision(RolloutAction.HOLD, rollout.hold(), RolloutStage.BAKING, inconclusive,
                        {**details, "hold": HoldReason.DATA.value})
    if rollout.bake_elapsed(now) < spec.bake_seconds:
        reason = f"bake time {rollout.bake_elapsed(now):.0f}s of {spec.bake_seconds:.0f}s"
        return decision(RolloutAction.HOLD, rollout.hold(), RolloutStage.BAKING, reason,
                        {**details, "hold": HoldReason.BAKE.value})
    after = rollout.passed(now, judgement.baseline if matched_baseline else None)
    if after.stage is RolloutStage.AWAITING_APPROVAL:
        return decision(RolloutAction.REQUEST_APPROVAL, after, RolloutStage.AWAITING_APPROVAL,
                        f"stage {spec.name} healthy; a recorded approval is required", details)
    return decision(RolloutAction.PROMOTE, after, RolloutStage.PROMOTED,
                    f"stage {spec.name} healthy", details)


__all__ = [
    "CONTROLLER",
    "DEFAULT_SHARES",
    "DesiredState",
    "DeviceId",
    "DeviceInfo",
    "FleetName",
    "FleetTooSmall",
    "HoldReason",
    "InvalidIdentifier",
    "InvalidRolloutPlan",
    "Outcome",
    "Rollout",
    "RolloutAction",
    "RolloutDecision",
    "RolloutPhase",
    "RolloutPlan",
    "RolloutStage",
    "StageEvent",
    "StageSpec",
    "StageTransitionRefused",
    "canary_count",
    "check_fleet_size",
    "decide",
    "device_id",
    "fleet_name",
    "hold_deadline",
    "minimum_fleet_size",
    "new_rollout",
    "next_stage",
    "rollout_order",
    "validate_plan",
]
