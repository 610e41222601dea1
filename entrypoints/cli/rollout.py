"""``edgedeploy deploy``, ``edgedeploy rollout ...`` and ``edgedeploy agent serve``."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from edgedeploy.entrypoints.cli.context import (
    MODEL_VERSION,
    CliState,
    Command,
    Group,
    LazyChoice,
    command_errors,
    emit_json,
    json_option,
    pass_state,
)

if TYPE_CHECKING:
    from edgedeploy.application.rollout import (
        DecisionHook,
        FleetSession,
        RolloutView,
        TickResult,
    )
    from edgedeploy.domain.models import ModelRef
    from edgedeploy.domain.rollout import RolloutDecision
    from edgedeploy.entrypoints.container import Container

NOT_READY = 3  # the release gate refused the version (README exit codes)


def fleet_controls(container: Container, fleet_file: str | None,
                   on_decision: DecisionHook | None = None,
                   ) -> AbstractContextManager[FleetSession]:
    """Use cases bound to the fleet a FLEET.yaml names (or to the journal alone), closed after.

    The session paces ticks the way its fleet's time passes (``session.pace``). SIGTERM ends
    the command as Ctrl-C does, so the fleet is closed and local agents it started stop.
    """
    return _closed_on_sigterm(container.rollout_fleets().session(fleet_file, on_decision))


@contextmanager
def _closed_on_sigterm(session: AbstractContextManager[FleetSession]) -> Iterator[FleetSession]:
    if threading.current_thread() is not threading.main_thread():
        with session as opened:
            yield opened
        return

    def leave(signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut clean-up
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        with session as opened:
            yield opened
    finally:
        signal.signal(signal.SIGTERM, previous)


def print_view(state: CliState, view: RolloutView) -> None:
    """A roll-out's state in a few lines."""
    from rich.text import Text

    state.console.print(Text.assemble(
        (f"{view.rollout_id} ", "bold"), f"{view.model} on {view.fleet} (ASIL {view.asil}, "
        f"baseline {view.baseline}): ", (str(view.phase), "bold cyan"),
        f", stage {view.current_stage} {view.stage_state}, {view.canary_devices}/"
        f"{view.fleet_size} devices, epoch {view.epoch}, {view.decisions} decisions"))
    if view.reason:
        state.console.print(Text(f"  reason: {view.reason}"))
    for stage in view.stages:
        state.console.print(f"  {stage.name:>5} {stage.state}"
                            + ("  (approval required)" if stage.approval_required else ""),
                            highlight=False)


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
        from rich.text import Text

        state.console.print(Text.assemble(("  decision ", "dim"), (decision.action, "bold"),
                                          f" -> {decision.outcome}: {decision.reason}"))
    return show


@click.command(cls=Command, example="edgedeploy deploy aeb@1.0.0 --fleet fleet.yaml "
                                    "--baseline aeb@0.9.0", remote=True)
@click.argument("model_version", metavar="NAME@VERSION", type=MODEL_VERSION)
@click.option("--fleet", "fleet_file", required=True, type=click.Path(dir_okay=False),
              help="FLEET.yaml describing the devices.")
@click.option("--baseline", default=None, type=MODEL_VERSION,
              help="The version the fleet runs now (default: from the fleet's history).")
@click.option("--wait/--no-wait", default=True,
              help="Drive the roll-out until it ends or awaits an approval.")
@click.option("--interval", type=float, default=1.0, show_default=True,
              help="Seconds between controller ticks.")
@click.option("--max-ticks", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Stop driving after this many ticks (the roll-out stays journaled).")
@json_option
@pass_state
@command_errors
def deploy(state: CliState, model_version: ModelRef, fleet_file: str, baseline: ModelRef | None,
           wait: bool, interval: float, max_ticks: int, as_json: bool) -> None:
    """Roll NAME@VERSION out to a fleet in canary stages, gated by trace and verification.

    Exits 3 with every reason when the version is not ready for release; no device is touched.
    """
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.deploy(state, str(model_version), fleet_file,
                      str(baseline) if baseline else None, wait, interval, max_ticks,
                      as_json)
        return
    from edgedeploy.application.rollout import RunOptions
    from edgedeploy.domain.identity import Permission
    from edgedeploy.domain.rollout import RolloutPhase

    container = state.container
    principal = state.principal
    principal.require(Permission.DEPLOY)
    prepare = container.prepare_rollout()
    prepare.require_ready(model_version)
    with fleet_controls(container, fleet_file,
                        None if as_json else decision_printer(state)) as session:
        controls = session.controls
        view = controls.start(prepare(session.name or Path(fleet_file).stem, model_version,
                                      baseline, actor=principal))
        if not as_json:
            print_view(state, view)
        if wait:
            result = controls.run(view.rollout_id, RunOptions(
                interval_s=interval, max_ticks=max_ticks, sleep=session.pace,
                on_tick=None if as_json else tick_printer(state)))
            view = result.view
    if as_json:
        emit_json(view.to_dict())
        return
    print_view(state, view)
    if view.phase is RolloutPhase.AWAITING_APPROVAL:
        state.console.print(f"stage {view.current_stage} awaits a recorded approval: "
                            f"edgedeploy rollout approve {view.rollout_id} "
                            f"--fleet {fleet_file}", highlight=False)


@click.group(cls=Group, example="edgedeploy rollout list --phase running")
def rollout() -> None:
    """Follow and steer roll-outs."""


def _fleet_option(func: Any) -> Any:
    return click.option(
        "--fleet", "fleet_file", default=None, type=click.Path(dir_okay=False),
        help="FLEET.yaml to command now; without it the decision is journaled and reaches "
             "devices when the controller next reconciles (rollout resume).")(func)


def _finish(state: CliState, view: RolloutView, as_json: bool) -> None:
    if as_json:
        emit_json(view.to_dict())
    else:
        print_view(state, view)


@rollout.command("list", example="edgedeploy rollout list --fleet eu-aeb --json", remote=True)
@click.option("--fleet", default=None, help="Only roll-outs on this fleet (by name).")
@click.option("--phase", type=LazyChoice("edgedeploy.domain.rollout:RolloutPhase"),
              default=None, help="Only roll-outs in this phase.")
@json_option
@pass_state
@command_errors
def list_(state: CliState, fleet: str | None, phase: str | None, as_json: bool) -> None:
    """Every journaled roll-out, oldest first, with its id for the other commands."""
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.list_rollouts(state, fleet, phase, as_json)
        return
    from edgedeploy.domain.rollout import RolloutPhase

    found = state.container.list_rollouts()(fleet, RolloutPhase(phase) if phase else None)
    if as_json:
        emit_json([view.to_dict() for view in found])
        return
    from edgedeploy.entrypoints.cli.output import new_table, show

    table = new_table(f"{len(found)} roll-out(s)", "Roll-out", "Model", "Baseline", "Fleet",
                      "ASIL", "Phase", "Stage", "Devices", "Decisions")
    for view in found:
        table.add_row(view.rollout_id, view.model, view.baseline, view.fleet, view.asil,
                      str(view.phase), f"{view.current_stage} {view.stage_state}",
                      f"{view.canary_devices}/{view.fleet_size}", str(view.decisions))
    show(state, table)


@rollout.command(example="edgedeploy rollout status ro-3f9c2a61 --json", remote=True)
@click.argument("rollout_id")
@json_option
@pass_state
@command_errors
def status(state: CliState, rollout_id: str, as_json: bool) -> None:
    """Where a roll-out stands (from the journal; no device is asked)."""
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.rollout_status(state, rollout_id, as_json)
        return
    _finish(state, state.container.rollout_status()(rollout_id), as_json)


@rollout.command(example="edgedeploy rollout approve ro-3f9c2a61 --fleet fleet.yaml",
                 remote=True)
@click.argument("rollout_id")
@click.option("--note", default="", help="Why, for the decision log.")
@_fleet_option
@json_option
@pass_state
@command_errors
def approve(state: CliState, rollout_id: str, note: str, fleet_file: str | None,
            as_json: bool) -> None:
    """Approve, as who runs this, the stage a roll-out awaits (ASIL C/D).

    The approver is a release manager who did not start the roll-out; at ASIL C/D two
    distinct ones must approve before the next stage starts. Refusals exit 3.
    """
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.rollout_action(state, "approve", rollout_id, "note", note, fleet_file,
                              as_json)
        return
    principal = state.principal
    with fleet_controls(state.container, fleet_file) as session:
        view = session.controls.approve(rollout_id, principal, note)
    _finish(state, view, as_json)


@rollout.command(example="edgedeploy rollout abort ro-3f9c2a61 --reason \"field report\"",
                 remote=True)
@click.argument("rollout_id")
@click.option("--reason", default="", help="Why, for the decision log.")
@_fleet_option
@json_option
@pass_state
@command_errors
def abort(state: CliState, rollout_id: str, reason: str, fleet_file: str | None,
          as_json: bool) -> None:
    """Stop a running roll-out; every device returns to the baseline."""
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.rollout_action(state, "abort", rollout_id, "reason", reason, fleet_file,
                              as_json)
        return
    principal = state.principal
    with fleet_controls(state.container, fleet_file) as session:
        view = session.controls.abort(rollout_id, principal, reason)
    _finish(state, view, as_json)


@rollout.command(example="edgedeploy rollout rollback ro-3f9c2a61 --reason regression "
                         "--fleet fleet.yaml", remote=True)
@click.argument("rollout_id")
@click.option("--reason", default="", help="Why, for the decision log.")
@_fleet_option
@json_option
@pass_state
@command_errors
def rollback(state: CliState, rollout_id: str, reason: str, fleet_file: str | None,
             as_json: bool) -> None:
    """Send every device back to the baseline, also after completion."""
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.rollout_action(state, "rollback", rollout_id, "reason", reason,
                              fleet_file, as_json)
        return
    principal = state.principal
    with fleet_controls(state.container, fleet_file) as session:
        view = session.controls.rollback(rollout_id, principal, reason)
    _finish(state, view, as_json)


@rollout.command(example="edgedeploy rollout resume ro-3f9c2a61 --fleet fleet.yaml")
@click.argument("rollout_id")
@click.option("--fleet", "fleet_file", required=True, type=click.Path(dir_okay=False),
              help="FLEET.yaml of the roll-out's fleet.")
@click.option("--wait/--no-wait", default=True, help="Drive it on after reconciling.")
@click.option("--interval", type=float, default=1.0, show_default=True,
              help="Seconds between controller ticks.")
@json_option
@pass_state
@command_errors
def resume(state: CliState, rollout_id: str, fleet_file: str, wait: bool, interval: float,
           as_json: bool) -> None:
    """Re-send the journaled state to every device, then drive the roll-out on."""
    from edgedeploy.application.rollout import RunOptions

    with fleet_controls(state.container, fleet_file,
                        None if as_json else decision_printer(state)) as session:
        controls = session.controls
        view, applied = controls.resume(rollout_id)
        if not as_json:
            state.console.print(f"reconciled: {len(applied.acknowledged)} acknowledged, "
                                f"{len(applied.unreachable)} unreachable", highlight=False)
        if wait:
            view = controls.run(rollout_id, RunOptions(
                interval_s=interval, sleep=session.pace,
                on_tick=None if as_json else tick_printer(state))).view
    _finish(state, view, as_json)


@click.group(cls=Group, example="edgedeploy agent serve --device-id ecu-0001 --port 9101")
def agent() -> None:
    """Run an edge agent (the on-device side of a roll-out)."""


@agent.command("serve", example="edgedeploy agent serve --device-id ecu-0001 --port 9101 --json")
@click.option("--device-id", required=True, help="This device's id in its fleet.")
@click.option("--port", type=click.IntRange(1, 65535), required=True,
              help="Port to listen on.")
@click.option("--bind", default=None,
              help="Address to listen on (default from settings: 127.0.0.1).")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File holding the fleet secret, mode 0600 (default from settings, else "
                   "HOME/controller.token, created when absent).")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Agent state directory (default .edgedeploy/agents/DEVICE_ID).")
@click.option("--backend", default=None,
              help="Inference backend plugin (default from settings: onnxruntime).")
@click.option("--repository", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Model package repository (default HOME/repository).")
@json_option
@command_errors
def agent_serve(device_id: str, port: int, bind: str | None, token_file: Path | None,
                home: Path | None, backend: str | None, repository: Path | None,
                as_json: bool) -> None:
    """Serve the edge agent until interrupted.

    Prints one start line (with --json: one JSON object) with the agent's address and
    directories before it loads its last-known-good model and serves.
    """
    from edgedeploy.entrypoints.agent.serve import agent_settings, agent_url, serve_agent
    from edgedeploy.entrypoints.settings import load_settings

    settings = agent_settings(load_settings(), device_id, port, home=home, backend=backend,
                              repository=repository, bind=bind, token_file=token_file)
    line = {"event": "starting", "device_id": device_id, "url": agent_url(settings.agent),
            "backend": settings.agent.backend, "home": str(settings.agent.home_dir),
            "repository": str(settings.agent.repository_dir),
            "token_file": "" if settings.agent.token else str(settings.agent.token_path)}
    if as_json:
        emit_json(line)
    else:
        click.echo(f"edge agent {device_id} starting on {line['url']} "
                   f"(backend {line['backend']}, home {line['home']}, "
                   f"repository {line['repository']})")
    serve_agent(device_id, port, settings=settings)


__all__ = ["agent", "deploy", "rollout"]
