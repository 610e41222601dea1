"""Roll-out use cases bound to fleets, the start-rollout preparation and the background ticker."""

from __future__ import annotations

import pytest

from edgedeploy.adapters.fleet import JournalOnlyTarget
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.messagebus import MessageBus
from edgedeploy.application.ports.rollout import FleetDriver, FleetSource, RolloutTarget
from edgedeploy.application.rollout import (
    PrepareRollout,
    ReleaseNotReady,
    RolloutFleets,
    RolloutTicker,
    RunOptions,
    StartRolloutCommand,
)
from edgedeploy.domain.identity import Forbidden
from edgedeploy.domain.models import ModelRef, ModelVersionNotFound
from edgedeploy.domain.rollout import RolloutPlan
from edgedeploy.domain.safety import ASIL
from tests.builders import ENGINEER, MANAGER, STARTER
from tests.fakes.clock import ManualClock
from tests.fakes.persistence import InMemoryDatabase, InMemoryEvidenceStore
from tests.fakes.rollout import (
    DIGEST_A,
    DIGEST_B,
    InMemoryFleet,
    InMemoryFleetDriver,
    InMemoryRolloutJournal,
    ScriptedHealth,
    ScriptedReadiness,
)
from tests.unit.application.test_gate_and_registry import MODEL, seed

OLD, NEW = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1")
GOOD = ScriptedHealth(inferences=20_000)


class Opener:
    """Opens the scripted fleets by name; records what it was asked for."""

    def __init__(self, **fleets: InMemoryFleetDriver) -> None:
        self.fleets, self.asked = fleets, []

    def __call__(self, source: FleetSource) -> FleetDriver:
        self.asked.append(source)
        if source not in self.fleets:
            raise InvalidInput(f"fleet file '{source}' is not a file", code="FLEET_INVALID")
        return self.fleets[str(source)]


@pytest.fixture(name="journal")
def fx_journal() -> InMemoryRolloutJournal:
    return InMemoryRolloutJournal()


@pytest.fixture(name="driver")
def fx_driver() -> InMemoryFleetDriver:
    return InMemoryFleetDriver("bench", InMemoryFleet(20, OLD, {OLD: GOOD, NEW: GOOD}),
                               ManualClock())


def fleets_over(journal: InMemoryRolloutJournal, opener: Opener,
                controller_clock: ManualClock | None = None,
                detached: RolloutTarget | None = None) -> RolloutFleets:
    database = InMemoryDatabase(rollouts=journal)
    return RolloutFleets(database.unit_of_work, controller_clock or ManualClock(),
                         ScriptedReadiness({NEW}), InMemoryEvidenceStore(),
                         detached or JournalOnlyTarget(), opener, bus=MessageBus())


def command(fleet: str) -> StartRolloutCommand:
    return StartRolloutCommand(fleet, NEW, DIGEST_B, RolloutPlan.for_asil(ASIL.QM), STARTER,
                               OLD, DIGEST_A)


def test_a_session_runs_on_the_fleets_own_clock_and_closes_the_fleet_after(
        journal, driver) -> None:
    controller_clock = ManualClock()
    fleets = fleets_over(journal, Opener(bench=driver), controller_clock)

    with fleets.session("bench") as session:
        view = session.controls.start(command(session.name or "?"))
        result = session.controls.run(view.rollout_id, RunOptions(
            interval_s=60, max_ticks=200, sleep=session.pace))

    assert result.view.phase == "completed"
    assert driver.closed
    assert driver.paced and set(driver.paced) == {60}
    # Bake time passed on the fleet's clock; the controller's own clock never moved.
    assert controller_clock.current == ManualClock().current
    assert driver.clock.current > controller_clock.current


def test_a_session_closes_its_fleet_when_a_command_fails(journal, driver) -> None:
    fleets = fleets_over(journal, Opener(bench=driver))

    with pytest.raises(ReleaseNotReady), fleets.session("bench") as session:
        session.controls.start(StartRolloutCommand(
            "bench", ModelRef("aeb", "9.9"), DIGEST_B, RolloutPlan.for_asil(ASIL.QM), STARTER,
            OLD, DIGEST_A))

    assert driver.closed


def test_without_a_fleet_a_decision_is_journaled_and_owed_to_every_device(
        journal, driver) -> None:
    fleets = fleets_over(journal, Opener(bench=driver))
    with fleets.session("bench") as session:
        view = session.controls.start(command("bench"))
        session.controls.tick(view.rollout_id)  # the first stage: canaries get the new version
    assert str(NEW) in driver.target.models.values()
    accepted = len(driver.target.accepted)

    with fleets.session(None) as detached:
        assert detached.fleet is None and detached.name is None
        aborted = detached.controls.abort(view.rollout_id, MANAGER, "recall")

    assert aborted.phase == "aborted"
    assert journal.get(view.rollout_id).phase.value == "aborted"
    assert len(driver.target.accepted) == accepted  # no device was reached
    with fleets.session("bench") as session:
        session.controls.resume(view.rollout_id)
    assert set(driver.target.models.values()) == {str(OLD)}


def test_an_unknown_fleet_is_refused_before_anything_runs(journal) -> None:
    opener = Opener()
    with pytest.raises(InvalidInput, match="not a file"), \
            fleets_over(journal, opener).session("missing.yaml"):
        pytest.fail("no session may open")
    assert opener.asked == ["missing.yaml"]


def test_the_ticker_drives_a_launched_rollout_to_its_end_and_releases_the_fleet(
        journal, driver) -> None:
    ticker = RolloutTicker(fleets_over(journal, Opener(bench=driver)), interval_s=60)

    view = ticker.launch(driver, command)
    assert ticker.driving(view.rollout_id)
    for _ in range(200):
        if not ticker.driving(view.rollout_id):
            break
        ticker.tick_all()

    assert not ticker.driving(view.rollout_id)
    assert driver.closed
    assert journal.get(view.rollout_id).phase.value == "completed"
    # A finished roll-out is still commandable, over the journal alone.
    assert ticker.controls_for(view.rollout_id).status(view.rollout_id).phase == "completed"


def test_the_ticker_closes_the_fleet_and_drives_nothing_when_the_start_fails(
        journal, driver) -> None:
    ticker = RolloutTicker(fleets_over(journal, Opener(bench=driver)))

    def unregistered(_fleet: str) -> StartRolloutCommand:
        raise ModelVersionNotFound("model version aeb@1.1 is not registered")

    with pytest.raises(ModelVersionNotFound):
        ticker.launch(driver, unregistered)

    assert driver.closed
    ticker.stop()


def test_preparing_a_rollout_takes_registry_digests_and_the_strictest_asil_in_scope(
        store, register, gate, uow) -> None:
    seed(store, register, asil=ASIL.C)
    baseline = ModelRef("aeb", "0.9.0")
    register(baseline, b"older onnx bytes", "release.engineer")
    prepare = PrepareRollout(uow, gate, store, ScriptedReadiness({MODEL}))

    prepare.require_ready(MODEL)
    started = prepare("bench", MODEL, baseline, actor=STARTER)

    with uow() as work:
        digests = {ref: work.models.get(ref).digest for ref in (MODEL, baseline)}
    assert (started.digest, started.baseline_digest) == (digests[MODEL], digests[baseline])
    assert started.plan == RolloutPlan.for_asil(ASIL.C)
    assert (started.fleet, started.actor) == ("bench", STARTER)
    with pytest.raises(Forbidden, match="deploy"):
        prepare("bench", MODEL, actor=ENGINEER)


def test_preparing_refuses_an_unready_or_unregistered_version(store, register, gate,
                                                              uow) -> None:
    seed(store, register)
    readiness = ScriptedReadiness(reasons=("verification: no report", "trace gate: SR-7"))
    prepare = PrepareRollout(uow, gate, store, readiness)

    with pytest.raises(ReleaseNotReady) as refused:
        prepare.require_ready(MODEL)
    assert "verification: no report" in str(refused.value)
    assert "trace gate: SR-7" in str(refused.value)
    with pytest.raises(ModelVersionNotFound):
        prepare("bench", ModelRef("aeb", "7.0"), actor=STARTER)
