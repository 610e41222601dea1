"""``edgedeploy drift …``: fit a reference, check windows, give feedback, list and report.

Each command reads its data and calls one use case; printing lives in the small functions
below the commands, so options can be added to a command without touching the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from edgedeploy.entrypoints.cli.context import (
    CliState,
    Group,
    LazyChoice,
    command_errors,
    emit_json,
    json_option,
    pass_state,
)

if TYPE_CHECKING:
    from edgedeploy.domain.drift import DriftVerdict

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
SEVERITY = LazyChoice("edgedeploy.domain.drift:DriftSeverity")
KEY_HELP = ("Array name inside an .npz file (default: features, embeddings, outcomes or inputs, "
            "else its only array).")


@click.group(cls=Group, example="edgedeploy drift report --deployment aeb-eu")
def drift() -> None:
    """Field-data drift: PSI, MMD, per-feature tests and ADWIN/CUSUM, voted and persisted."""


@drift.command(example="edgedeploy drift fit reference.npz --deployment aeb-eu")
@click.argument("reference", type=FILE)
@click.option("--deployment", required=True, help="The monitored deployment's name.")
@click.option("--kind", type=LazyChoice("edgedeploy.domain.drift:DetectorCapability"),
              default="features", show_default=True,
              help="What the reference rows are, which decides the detectors that apply.")
@click.option("--key", default=None, help=KEY_HELP)
@click.option("--categorical", default="", help="Comma-separated categorical feature names.")
@click.option("--column-kind", "column_kinds", multiple=True, metavar="NAME=KIND",
              help="Override a detected column kind (continuous, count, categorical, "
                   "constant, bounded); repeatable.")
@click.option("--no-header", is_flag=True, help="The CSV file has no header row.")
@json_option
@pass_state
@command_errors
def fit(state: CliState, reference: Path, deployment: str, kind: str, key: str | None,
        categorical: str, column_kinds: tuple[str, ...], no_header: bool,
        as_json: bool) -> None:
    """Fit the detectors on REFERENCE (.npz, .csv or .parquet) and calibrate thresholds."""
    from edgedeploy.domain.drift import DetectorCapability
    from edgedeploy.domain.identity import Permission

    state.principal.require(Permission.MONITOR)
    kinds = {}
    for item in column_kinds:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=KIND, got {item!r}",
                                     param_hint="--column-kind")
        kinds[name.strip()] = value.strip()
    table = state.container.feature_table_reader()(reference.name, reference.read_bytes(), key,
                                                   header=not no_header)
    profile = state.container.fit_reference()(
        deployment, table.rows, table.feature_names,
        tuple(c.strip() for c in categorical.split(",") if c.strip()),
        DetectorCapability(kind), kinds)
    if as_json:
        emit_json(profile)
        return
    from rich.text import Text

    state.console.print(Text(f"fitted {deployment}: {profile.n_samples} samples x "
                             f"{len(profile.feature_names)} features, detectors "
                             f"{', '.join(profile.detectors)} ({profile.digest})"))


@drift.command(example="edgedeploy drift check window-0042.csv --deployment aeb-eu --json")
@click.argument("window", type=FILE)
@click.option("--deployment", required=True, help="The monitored deployment's name.")
@click.option("--key", default=None, help=KEY_HELP)
@click.option("--no-header", is_flag=True, help="The CSV file has no header row.")
@click.option("--fail-on", type=click.Choice(["watch", "warning", "critical"]), default=None,
              help="Exit with status 3 when the verdict reaches this severity (or a "
                   "data-quality problem of that severity is found), so a pipeline can gate.")
@json_option
@pass_state
@command_errors
def check(state: CliState, window: Path, deployment: str, key: str | None, no_header: bool,
          fail_on: str | None, as_json: bool) -> None:
    """Judge one WINDOW of field data against the deployment's reference.

    Columns are matched to the reference by name when the file names them.
    """
    from edgedeploy.domain.drift import DriftSeverity
    from edgedeploy.domain.identity import Permission

    state.principal.require(Permission.MONITOR)
    table = state.container.feature_table_reader()(window.name, window.read_bytes(), key,
                                                   header=not no_header)
    verdict = state.container.check_window()(
        deployment, table.rows, table.feature_names if table.named else None)
    if as_json:
        emit_json(verdict)
    else:
        print_verdict(state, verdict)
    if fail_on is not None:
        level = DriftSeverity(fail_on)
        reached = max([verdict.severity, *(f.severity for f in verdict.findings)])
        if reached >= level or (verdict.data_quality and level <= DriftSeverity.WARNING):
            raise SystemExit(3)


@drift.command(example="edgedeploy drift feedback 3f9c2a61 false-alarm")
@click.argument("verdict_id")
@click.argument("judgement", type=click.Choice(["confirmed", "false-alarm"]))
@json_option
@pass_state
@command_errors
def feedback(state: CliState, verdict_id: str, judgement: str, as_json: bool) -> None:
    """Confirm a drift verdict or call it a false alarm, as who runs this; weights adapt."""
    from edgedeploy.domain.identity import Permission

    principal = state.principal
    principal.require(Permission.JUDGE_DRIFT)
    record = state.container.record_feedback()(verdict_id, judgement, principal.name)
    if as_json:
        emit_json(record)
        return
    from rich.text import Text

    before, after = dict(record.weights_before), dict(record.weights_after)
    state.console.print(Text(f"{judgement} recorded on {verdict_id}; weights: " + ", ".join(
        f"{name} {before.get(name, 1.0):.2f}→{after[name]:.2f}" for name in sorted(after))))


@drift.command("list", example="edgedeploy drift list --at-least warning --limit 20")
@click.option("--deployment", default=None, help="Only this deployment's verdicts.")
@click.option("--at-least", "at_least", type=SEVERITY, default=None,
              help="Only verdicts at or above this severity.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="At most this many verdicts, the newest ones.")
@json_option
@pass_state
@command_errors
def list_(state: CliState, deployment: str | None, at_least: str | None, limit: int,
          as_json: bool) -> None:
    """Stored drift verdicts, oldest first, with their ids for feedback."""
    from edgedeploy.domain.drift import DriftSeverity

    found = state.container.list_verdicts()(
        deployment, DriftSeverity(at_least) if at_least else None, limit=limit)
    if as_json:
        emit_json(found)
        return
    from rich.text import Text

    from edgedeploy.entrypoints.cli.output import STATUS_STYLE, new_table, show

    table = new_table(f"{len(found)} drift verdict(s)", "Verdict", "Deployment", "Window",
                      "Observed", "Severity", "Vote", "Fired")
    for v in found:
        table.add_row(v.id, v.deployment, str(v.window_index),
                      v.observed_at.isoformat(timespec="seconds"),
                      Text(v.severity.value, style=STATUS_STYLE.get(v.severity.value, "")),
                      f"{v.vote_share:.2f}", ", ".join(v.fired) or "—")
    show(state, table)


@drift.command(example="edgedeploy drift report --deployment aeb-eu --json")
@click.option("--deployment", default=None, help="Only this deployment (default: all).")
@json_option
@pass_state
@command_errors
def report(state: CliState, deployment: str | None, as_json: bool) -> None:
    """Verdicts over time per deployment, with severity counts and weights."""
    result = state.container.drift_report()(deployment)
    if as_json:
        emit_json(result)
        return
    from rich.text import Text

    from edgedeploy.entrypoints.cli.output import STATUS_STYLE, new_table, show

    for entry in result.deployments:
        table = new_table(f"{entry.deployment}: now {entry.current.value}, "
                          f"peak {entry.peak.value}",
                          "Window", "Observed", "Severity", "Vote", "Fired", "Top features")
        for v in entry.verdicts:
            table.add_row(str(v.window_index), v.observed_at.isoformat(timespec="seconds"),
                          Text(v.severity.value, style=STATUS_STYLE.get(v.severity.value, "")),
                          f"{v.vote_share:.2f}", ", ".join(v.fired) or "—",
                          ", ".join(v.top_features()) or "—")
        show(state, table)
    if not result.deployments:
        state.console.print("no verdicts yet")


def print_verdict(state: CliState, verdict: DriftVerdict) -> None:
    """One verdict as a line plus its top attributions."""
    from rich.text import Text

    from edgedeploy.entrypoints.cli.output import STATUS_STYLE

    style = STATUS_STYLE.get(verdict.severity.value, "")
    fired = ", ".join(verdict.fired) or "none"
    state.console.print(Text.assemble(
        (f"{verdict.severity.value.upper():<9}", style),
        f" window {verdict.window_index} of {verdict.deployment}: vote {verdict.vote_share:.2f}, "
        f"persistence {verdict.persistence}, fired: {fired}; verdict {verdict.id}"))
    if verdict.data_quality:
        state.console.print(Text(f"  data-quality alarm: "
                                 f"{', '.join(f.value for f in verdict.data_quality)}",
                                 style="yellow"))
    for finding in verdict.findings:
        state.console.print(Text(f"  data quality ({finding.severity.value}): {finding.detail}",
                                 style="yellow"))
    if verdict.attributions and not verdict.standing_out:
        state.console.print(Text("  no feature stands out"))
    for attribution in verdict.attributions[:3]:
        state.console.print(Text(f"  {attribution.feature:<16} {attribution.score:7.2f} "
                                 f"effect {attribution.effect:.3f} ({attribution.detector})"))
