"""A roll-out controller process for the fault-injection suite.

Usage: ``python tests/faults/controller_process.py JOURNAL_URL FLEET_STATE SCENARIO``.
Starts roll-out ``fault-<SCENARIO>`` (or resumes it when the journal already has it) and
runs it to its end. With ``EDGEDEPLOY_FAULT_KILL_AFTER_WRITE=N`` it SIGKILLs itself right
after its Nth committed unit of work (each commits one journal decision): no clean-up, no
flush, as a power cut would.

``python tests/faults/controller_process.py --local FLEET.yaml [NAME@VERSION DIGEST]`` holds a
local fleet open through the CLI's fleet session (as ``edgedeploy deploy --wait`` does), tells
every device to run NAME@VERSION (epoch 1) when given, prints one JSON line (each device's
pid and status) and waits until it is signalled.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dependency_injector import providers  # noqa: E402

from edgedeploy.adapters.sql import SqlAlchemyUnitOfWorkFactory, upgrade_to_head  # noqa: E402
from edgedeploy.application.messagebus import MessageBus  # noqa: E402
from edgedeploy.application.rollout import (  # noqa: E402
    ResumeRollout,
    RunOptions,
    RunRollout,
    StartRollout,
    StartRolloutCommand,
    TickRollout,
)
from edgedeploy.domain.errors import NotFound  # noqa: E402
from edgedeploy.domain.identity import Principal, Role  # noqa: E402
from edgedeploy.domain.models import ModelRef  # noqa: E402
from edgedeploy.domain.rollout import RolloutPlan  # noqa: E402
from edgedeploy.domain.safety import ASIL  # noqa: E402
from edgedeploy.entrypoints.bootstrap import bootstrap  # noqa: E402
from edgedeploy.entrypoints.settings import Settings  # noqa: E402
from tests.fakes.rollout import (  # noqa: E402
    DIGEST_A,
    DIGEST_B,
    InMemoryFleet,
    ScriptedHealth,
    ScriptedReadiness,
)

OLD, NEW = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1")
FAULT_SUITE = Principal("fault-suite", frozenset({Role.RELEASE_MANAGER}))
SCENARIOS = {"good": ScriptedHealth(inferences=5_000),
             "bad": ScriptedHealth(inferences=5_000, errors=200)}


def hold_local_fleet(fleet_file: Path, release: list[str]) -> None:
    from edgedeploy.domain.rollout import DesiredState
    from edgedeploy.entrypoints.cli.rollout import fleet_controls

    home = fleet_file.parent / "controller"
    container = bootstrap(Settings(home=str(home), database_url=f"sqlite:///{home}/journal.db",
                                   log_level="error"))
    with fleet_controls(container, str(fleet_file)) as session:
        target = session.fleet.target  # type: ignore[union-attr]
        devices = [d.device_id for d in target.devices()]
        if release:
            result = target.apply([DesiredState(d, ModelRef.parse(release[0]), release[1], 1)
                                   for d in devices])
            assert not result.unreachable, result
        print(json.dumps({"pids": {d: target.pid(d) for d in devices},
                          "adopted": target.adopted(),
                          "status": {d: target.status(d) for d in devices}}), flush=True)
        while True:
            session.pace(0.2)


def main() -> None:
    if sys.argv[1] == "--local":
        hold_local_fleet(Path(sys.argv[2]), sys.argv[3:])
        return
    url, state_file, scenario = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    kill_after = int(os.environ.get("EDGEDEPLOY_FAULT_KILL_AFTER_WRITE", "0"))

    def after_write(count: int) -> None:
        if count == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    upgrade_to_head(url)
    units_of_work = SqlAlchemyUnitOfWorkFactory.for_url(url, after_write=after_write)
    fleet = InMemoryFleet(12, OLD, {OLD: ScriptedHealth(inferences=5_000),
                                    NEW: SCENARIOS[scenario]}, state_file=state_file)
    # The product's root on its system clock, with fault-injecting units of work, a scripted
    # release gate in place of the real ones, and no event handlers (no trace to link into).
    container = bootstrap(Settings(home=str(state_file.parent / "home"), database_url=url,
                                   log_level="error"),
                          uow=providers.Callable(units_of_work),
                          release_readiness=ScriptedReadiness({NEW}),
                          message_bus=MessageBus())
    engine = container.rollout_fleets().engine(fleet)
    rollout_id = f"fault-{scenario}"
    try:
        engine.journal.get(rollout_id)
        ResumeRollout(engine)(rollout_id)
    except NotFound:
        StartRollout(engine, ScriptedReadiness({NEW}))(StartRolloutCommand(
            "fault-fleet", NEW, DIGEST_B, RolloutPlan.for_asil(ASIL.QM), FAULT_SUITE, OLD,
            DIGEST_A, rollout_id=rollout_id))
    result = RunRollout(TickRollout(engine))(rollout_id, RunOptions(max_ticks=100))
    print(result.view.phase)


if __name__ == "__main__":
    main()
