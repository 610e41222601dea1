"""Steps for features/rollout: release gate, ASIL floors and approvals, rollback, abort."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from edgedeploy.application.rollout import (
    AbortRollout,
    ApproveStage,
    RolloutEngine,
    RolloutStatus,
    RolloutView,
    RunOptions,
    RunRollout,
    StartRollout,
    StartRolloutCommand,
    TickRollout,
)
from edgedeploy.domain.asil_rules import ASIL_STAGE_FLOORS
from edgedeploy.domain.audit import verify_chain
from edgedeploy.domain.errors import DomainError
from edgedeploy.domain.identity import Principal, Role
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import RolloutPlan
from edgedeploy.domain.safety import ASIL
from tests.builders import OPERATOR, STARTER, person
from tests.fakes.clock import ManualClock
from tests.fakes.persistence import InMemoryDatabase
from tests.fakes.rollout import (
    DIGEST_A,
    DIGEST_B,
    InMemoryFleet,
    InMemoryRolloutJournal,
    ScriptedHealth,
    ScriptedReadiness,
)

scenarios("rollout/readiness_gate.feature")
scenarios("rollout/stage_floors.feature")
scenarios("rollout/automatic_rollback.feature")

HEALTHY = ScriptedHealth(inferences=20_000)


@dataclass
class RolloutWorld:
    fleet: InMemoryFleet | None = None
    journal: InMemoryRolloutJournal = field(default_factory=InMemoryRolloutJournal)
    clock: ManualClock = field(default_factory=ManualClock)
    readiness: ScriptedReadiness = field(default_factory=ScriptedReadiness)
    view: RolloutView | None = None
    error: DomainError | None = None
    plan: RolloutPlan | None = None

    @property
    def engine(self) -> RolloutEngine:
        assert self.fleet is not None
        return RolloutEngine(InMemoryDatabase(rollouts=self.journal).unit_of_work, self.fleet,
                             self.clock)

    def refresh(self) -> RolloutView:
        assert self.view is not None
        self.view = RolloutStatus(self.engine)(self.view.rollout_id)
        return self.view


@pytest.fixture(name="world")
def fx_world() -> RolloutWorld:
    return RolloutWorld()


@given(parsers.parse('a fleet of {size:d} devices running "{model}"'))
def fleet_running(world: RolloutWorld, size: int, model: str) -> None:
    ref = ModelRef.parse(model)
    world.fleet = InMemoryFleet(size, ref, {ref: HEALTHY})


@given(parsers.parse('"{model}" fails its release gate because "{reason}"'))
def gate_fails(world: RolloutWorld, model: str, reason: str) -> None:
    world.readiness.reasons = (f"trace gate: {reason}",)


@given(parsers.parse('"{model}" passes its release gate'))
def gate_passes(world: RolloutWorld, model: str) -> None:
    world.readiness.ready.add(ModelRef.parse(model))
    assert world.fleet is not None
    world.fleet.health_of.setdefault(ModelRef.parse(model), HEALTHY)


@given(parsers.parse('"{model}" fails {percent:d} % of its inferences where "{other}" '
                     'fails none'))
def canary_fails(world: RolloutWorld, model: str, percent: int, other: str) -> None:
    assert world.fleet is not None
    world.fleet.health_of[ModelRef.parse(model)] = ScriptedHealth(inferences=20_000,
                                                                  errors=200 * percent)


def _manager(name: str) -> Principal:
    return person(name, Role.RELEASE_MANAGER, unit="release")


def start(world: RolloutWorld, model: str, asil: str) -> None:
    try:
        world.view = StartRollout(world.engine, world.readiness)(StartRolloutCommand(
            "fleet", ModelRef.parse(model), DIGEST_B, RolloutPlan.for_asil(ASIL.parse(asil)),
            STARTER, ModelRef("aeb", "1.0"), DIGEST_A))
    except DomainError as exc:
        world.error = exc


@given(parsers.parse('a roll-out of "{model}" at ASIL "{asil}" has started'))
def rollout_started(world: RolloutWorld, model: str, asil: str) -> None:
    start(world, model, asil)
    assert world.error is None


@when(parsers.parse('the release engineer starts a roll-out of "{model}" at ASIL "{asil}"'))
def start_rollout(world: RolloutWorld, model: str, asil: str) -> None:
    start(world, model, asil)


@then(parsers.parse('the roll-out is refused with code "{code}"'))
def refused(world: RolloutWorld, code: str) -> None:
    assert world.error is not None and world.error.code == code


@then(parsers.parse('the refusal names "{text}"'))
def refusal_names(world: RolloutWorld, text: str) -> None:
    assert world.error is not None and text in world.error.message


@then("no device received a command")
def no_command(world: RolloutWorld) -> None:
    assert world.fleet is not None and world.fleet.accepted == []


@then(parsers.parse('the roll-out is "{phase}" with stages "{names}" all "{state}"'))
def stages_state(world: RolloutWorld, phase: str, names: str, state: str) -> None:
    view = world.refresh()
    assert view.phase == phase
    assert [s.name for s in view.stages] == [n.strip() for n in names.split(",")]
    assert {s.state for s in view.stages} == {state}


@when(parsers.parse('a plan at ASIL "{asil}" asks for a bake time of {bake:d} seconds per '
                    'stage'))
def plan_with_bake(world: RolloutWorld, asil: str, bake: int) -> None:
    try:
        world.plan = RolloutPlan.for_asil(ASIL.parse(asil), bake_seconds=bake)
    except DomainError as exc:
        world.error = exc


@then(parsers.parse('the plan is refused with code "{code}"'))
def plan_refused(world: RolloutWorld, code: str) -> None:
    assert world.plan is None and world.error is not None and world.error.code == code


@when(parsers.parse('the default plan at ASIL "{asil}" is built'))
def default_plan(world: RolloutWorld, asil: str) -> None:
    world.plan = RolloutPlan.for_asil(ASIL.parse(asil))


@then(parsers.parse("each stage bakes at least {bake:d} seconds on at least {devices:d} "
                    "devices and {inferences:d} inferences"))
def plan_floor(world: RolloutWorld, bake: int, devices: int, inferences: int) -> None:
    assert world.plan is not None
    floor = ASIL_STAGE_FLOORS[world.plan.asil]
    assert (floor.min_bake_seconds, floor.min_devices, floor.min_inferences) == (
        bake, devices, inferences)
    for stage in world.plan.stages:
        assert stage.bake_seconds >= bake and stage.min_devices >= devices
        assert stage.min_inferences >= inferences


@then(parsers.parse('approval to leave a stage is "{approval}"'))
def plan_approval(world: RolloutWorld, approval: str) -> None:
    assert world.plan is not None
    assert {s.approval_required for s in world.plan.stages} == {approval == "required"}


@when(parsers.parse("the first stage has baked {seconds:d} seconds with healthy figures"))
def first_stage_baked(world: RolloutWorld, seconds: int) -> None:
    assert world.view is not None
    tick = TickRollout(world.engine)
    tick(world.view.rollout_id)
    world.clock.advance(seconds)
    tick(world.view.rollout_id)


@then(parsers.parse('the roll-out is "{phase}" at stage "{stage}"'))
def phase_at_stage(world: RolloutWorld, phase: str, stage: str) -> None:
    view = world.refresh()
    assert (view.phase, view.current_stage) == (phase, stage)


@when(parsers.parse('"{person}" approves the stage'))
def approves(world: RolloutWorld, person: str) -> None:
    assert world.view is not None
    ApproveStage(world.engine)(world.view.rollout_id, _manager(person),
                               "health evidence reviewed")


@then(parsers.parse('the decision log records an "{action}" by "{actor}"'))
def log_records(world: RolloutWorld, action: str, actor: str) -> None:
    assert world.view is not None
    entries = world.journal.decisions(world.view.rollout_id)
    assert any(e.action == action and e.actor == actor for e in entries)


@when("the controller runs the roll-out to its end")
def run_to_end(world: RolloutWorld) -> None:
    assert world.view is not None
    RunRollout(TickRollout(world.engine))(
        world.view.rollout_id, RunOptions(max_ticks=50, sleep=world.clock.advance))


@then(parsers.parse('the roll-out is "{phase}"'))
def phase_is(world: RolloutWorld, phase: str) -> None:
    assert world.refresh().phase == phase


@then(parsers.parse('no device runs "{model}"'))
def none_on(world: RolloutWorld, model: str) -> None:
    assert world.fleet is not None
    assert model not in world.fleet.models.values()


@then(parsers.parse('every device runs "{model}"'))
def all_on(world: RolloutWorld, model: str) -> None:
    assert world.fleet is not None
    assert set(world.fleet.models.values()) == {model}


@then(parsers.parse('the rollback decision names the metric "{metric}" with its p-value and '
                    "sample sizes"))
def rollback_evidence(world: RolloutWorld, metric: str) -> None:
    assert world.view is not None
    last = world.journal.decisions(world.view.rollout_id)[-1]
    assert last.action == "rollback"
    failed = [m for m in last.details["health"]["metrics"] if m["failed"]]
    assert failed[0]["metric"] == metric
    assert failed[0]["p_value"] < last.details["policy"]["alpha"]
    assert failed[0]["canary_n"] > 0 and failed[0]["baseline_n"] > 0


@then("the decision log verifies")
def log_verifies(world: RolloutWorld) -> None:
    assert world.view is not None
    entries = world.journal.decisions(world.view.rollout_id)
    assert verify_chain(entries) == len(entries)


@then(parsers.parse('the stages were promoted in the order "{names}"'))
def promoted_order(world: RolloutWorld, names: str) -> None:
    assert world.view is not None
    stages = [e.details["stage"] for e in world.journal.decisions(world.view.rollout_id)
              if e.action == "promote"]
    assert stages == [n.strip() for n in names.split(",")]


@given(parsers.parse('the roll-out has been driven to "{state}"'))
def driven_to(world: RolloutWorld, state: str) -> None:
    assert world.view is not None
    tick = TickRollout(world.engine)
    if state in ("baking", "awaiting_approval"):
        tick(world.view.rollout_id)
    if state == "awaiting_approval":
        world.clock.advance(901)
        tick(world.view.rollout_id)
    assert world.refresh().stage_state == state


@when("the operator aborts the roll-out")
def operator_aborts(world: RolloutWorld) -> None:
    assert world.view is not None
    world.view = AbortRollout(world.engine)(world.view.rollout_id, OPERATOR, "recall")
