"""``edgedeploy deploy``, ``edgedeploy rollout ...`` and ``edgedeploy agent serve``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from edgedeploy.adapters.fleet import FleetDescription, SimulatedFleet
from edgedeploy.application.ports.system import Clock
from edgedeploy.application.rollout import RolloutView, RunOptions, TickResult
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import RolloutDecision
from edgedeploy.entrypoints.cli.context import (
    CliState,
    command_errors,
    json_option,
    pass_state,
    to_json,
)
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.rollout_container import (
    RolloutControls,
    chain_hooks,
    require_ready,
    start_command,
)


@contextmanager
def fleet_controls(container: Container, fleet_file: str | None,
                   on_decision: Callable[[Any, RolloutDecision], None] | None = None,
                   ) -> Iterator[tuple[RolloutControls, FleetDescription | None]]:
    """Use cases bound to the fleet a FLEET.yaml names (or to the journal alone), closed after.

    A simulated fleet keeps its own clock, so the controller reads that clock: its health
    windows are stamped in simulated time.
    """
    rollout = container.rollout
    if fleet_file is None:
        yield rollout.controls(), None
        return
    fleet = rollout.fleet(fleet_file)
    clock: Clock = (fleet.target.clock if isinstance(fleet.target, SimulatedFleet)
                    else container.clock())
    hook = chain_hooks(rollout.evidence_hook(), on_decision)
    engine = rollout.engine(target=fleet.target, clock=clock, on_decision=hook)
    try:
        yield rollout.controls(engine=engine), fleet
    finally:
        close = getattr(fleet.target, "close", None)
        if close is not None:
            close()


def waiter(fleet: FleetDescription | None) -> Callable[[float], None]:
    """Wait between ticks: real time, or one simulated health window on a simulated fleet."""
    if fleet is not None and isinstance(fleet.target, SimulatedFleet):
        target = fleet.target
        return lambda _seconds: target.advance()
    return time.sleep


def print_view(state: CliState, view: RolloutView) -> None:
    """A roll-out's state in a few lines."""
    state.console.print(Text.assemble(
        (f"{view.rollout_id} ", "bold"), f"{view.model} on {view.fleet} (ASIL {view.asil}, "
        f"baseline {view.baseline}): ", (view.phase, "bold cyan"),
        f", stage {view.current_stage} {view.stage_state}, {view.canary_devices}/"
        f"{view.fleet_size} devices, epoch {view.epoch}, {view.decisions} decisions"))
    if view.reason:
        state.console.print(f"  reason: {view.reason}")
    for stage in view.stages:
        state.console.print(f"  {stage.name:>5} {stage.state}"
                            + ("  (approval required)" if stage.approval_required else ""))


def tick_printer(state: CliState) -> Callable[[TickResult], None]:
    """Live progress: stage, share, decision and the health statistics of each tick."""
    def show(result: TickResult) -> None:
        view = result.view
        line = (f"[{view.current_stage:>4}] {view.canary_devices}/{view.fleet_size} devices  "
                f"{result.action:<16} {view.phase}")
        judgement = result.judgement
        if judgement is not None:
            failed = [m.metric for m in judgement.metrics if m.failed]
            line += (f"  verdict={judgement.verdict.value} canary n="
                     f"{judgement.canary.inferences} ({judgement.canary.devices} devices)"
                     f" baseline n={judgement.baseline.inferences}"
                     + (f" failed={','.join(failed)}" if failed else ""))
        if result.unreachable:
            line += f"  unreachable={len(result.unreachable)}"
        state.console.print(line, highlight=False)
    return show


def decision_printer(state: CliState) -> Callable[[Any, RolloutDecision], None]:
    """Every journaled decision as it is made."""
    def show(_rollout: Any, decision: RolloutDecision) -> None:
        state.console.print(Text.assemble(("  decision ", "dim"), (decision.action, "bold"),
                                          f" -> {decision.outcome}: {decision.reason}"))
    return show


@click.command()
@click.argument("model_version")
@click.option("--fleet", "fleet_file", required=True, type=click.Path(dir_okay=False),
              help="FLEET.yaml describing the devices.")
@click.option("--baseline", default=None, metavar="NAME@VERSION",
              help="The version the fleet runs now (default: from the fleet's history).")
@click.option("--wait/--no-wait", default=True,
              help="Drive the roll-out until it ends or awaits an approval.")
@click.option("--interval", type=float, default=1.0, show_default=True,
              help="Seconds between controller ticks.")
@click.option("--max-ticks", type=int, default=10_000, show_default=True)
@json_option
@pass_state
@command_errors
def deploy(state: CliState, model_version: str, fleet_file: str, baseline: str | None,
           wait: bool, interval: float, max_ticks: int, as_json: bool) -> None:
    """Roll MODEL_VERSION out to a fleet in canary stages, gated by trace and verification.

    Exit 3 with every reason when the version is not ready for release; no device is touched.
    """
    container = state.container
    ref = ModelRef.parse(model_version)
    base = ModelRef.parse(baseline) if baseline else None
    require_ready(container.rollout.readiness(), ref)
    with fleet_controls(container, fleet_file,
                        None if as_json else decision_printer(state)) as (controls, fleet):
        name = fleet.name if fleet is not None else Path(fleet_file).stem
        view = controls.start(start_command(
            container.uow, container.evaluate_gate(), container.trace_store(), name,
            ref, base, container.config.actor()))
        if not as_json:
            print_view(state, view)
        if wait:
            result = controls.run(view.rollout_id, RunOptions(
                interval_s=interval, max_ticks=max_ticks, sleep=waiter(fleet),
                on_tick=None if as_json else tick_printer(state)))
            view = result.view
    if as_json:
        click.echo(to_json(view.to_dict()))
        return
    print_view(state, view)
    if view.phase == "awaiting_approval":
        state.console.print(f"stage {view.current_stage} awaits a recorded approval: "
                            f"edgedeploy rollout approve {view.rollout_id} --by NAME "
                            f"--fleet {fleet_file}")


@click.group()
def rollout() -> None:
    """Follow and steer roll-outs."""


def _fleet_option(func: Any) -> Any:
    return click.option(
        "--fleet", "fleet_file", default=None, type=click.Path(dir_okay=False),
        help="FLEET.yaml to command now; without it the decision is journaled and reaches "
             "devices when the controller next reconciles (rollout resume).")(func)


def _finish(state: CliState, view: RolloutView, as_json: bool) -> None:
    if as_json:
        click.echo(to_json(view.to_dict()))
    else:
        print_view(state, view)


@rollout.command()
@click.argument("rollout_id")
@json_option
@pass_state
@command_errors
def status(state: CliState, rollout_id: str, as_json: bool) -> None:
    """Where a roll-out stands."""
    _finish(state, state.container.rollout.rollout_status()(rollout_id), as_json)


@rollout.command()
@click.argument("rollout_id")
@click.option("--by", "approver", required=True, help="Who approves (recorded).")
@click.option("--note", default="", help="Why, for the decision log.")
@_fleet_option
@json_option
@pass_state
@command_errors
def approve(state: CliState, rollout_id: str, approver: str, note: str,
            fleet_file: str | None, as_json: bool) -> None:
    """Record the approval a stage awaits (ASIL C/D); the next stage starts."""
    with fleet_controls(state.container, fleet_file) as (controls, _fleet):
        view = controls.approve(rollout_id, approver, note)
    _finish(state, view, as_json)


@rollout.command()
@click.argument("rollout_id")
@click.option("--reason", default="", help="Why, for the decision log.")
@_fleet_option
@json_option
@pass_state
@command_errors
def abort(state: CliState, rollout_id: str, reason: str, fleet_file: str | None,
          as_json: bool) -> None:
    """Stop a running roll-out; every device returns to the baseline."""
    with fleet_controls(state.container, fleet_file) as (controls, _fleet):
        view = controls.abort(rollout_id, state.container.config.actor(), reason)
    _finish(state, view, as_json)


@rollout.command()
@click.argument("rollout_id")
@click.option("--reason", default="", help="Why, for the decision log.")
@_fleet_option
@json_option
@pass_state
@command_errors
def rollback(state: CliState, rollout_id: str, reason: str, fleet_file: str | None,
             as_json: bool) -> None:
    """Send every device back to the baseline, also after completion."""
    with fleet_controls(state.container, fleet_file) as (controls, _fleet):
        view = controls.rollback(rollout_id, state.container.config.actor(), reason)
    _finish(state, view, as_json)


@rollout.command()
@click.argument("rollout_id")
@click.option("--fleet", "fleet_file", required=True, type=click.Path(dir_okay=False),
              help="FLEET.yaml of the roll-out's fleet.")
@click.option("--wait/--no-wait", default=True, help="Drive it on after reconciling.")
@click.option("--interval", type=float, default=1.0, show_default=True)
@json_option
@pass_state
@command_errors
def resume(state: CliState, rollout_id: str, fleet_file: str, wait: bool, interval: float,
           as_json: bool) -> None:
    """Re-send the journaled state to every device, then drive the roll-out on."""
    with fleet_controls(state.container, fleet_file,
                        None if as_json else decision_printer(state)) as (controls, fleet):
        view, applied = controls.resume(rollout_id)
        if not as_json:
            state.console.print(f"reconciled: {len(applied.acknowledged)} acknowledged, "
                                f"{len(applied.unreachable)} unreachable")
        if wait:
            view = controls.run(rollout_id, RunOptions(
                interval_s=interval, sleep=waiter(fleet),
                on_tick=None if as_json else tick_printer(state))).view
    _finish(state, view, as_json)


@click.group()
def agent() -> None:
    """Run an edge agent (the on-device side of a roll-out)."""


@agent.command("serve")
@click.option("--device-id", required=True, help="This device's id in its fleet.")
@click.option("--port", type=int, required=True, help="Port on 127.0.0.1.")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Agent state directory (default .edgedeploy/agents/DEVICE_ID).")
@click.option("--backend", default="onnxruntime", show_default=True)
@click.option("--repository", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Model package repository (default HOME/repository).")
@command_errors
def agent_serve(device_id: str, port: int, home: Path | None, backend: str,
                repository: Path | None) -> None:
    """Serve the edge agent until interrupted."""
    from edgedeploy.entrypoints.agent.serve import serve_agent

    serve_agent(device_id, port, home or Path(".edgedeploy") / "agents" / device_id, backend,
                repository=repository)


__all__ = ["agent", "deploy", "rollout"]
