"""``edgedeploy drift …``: fit a reference, check windows, give feedback, report."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from edgedeploy.adapters.drift.files import read_feature_table
from edgedeploy.domain.drift import DetectorCapability, DriftVerdict
from edgedeploy.entrypoints.cli.context import (
    CliState,
    command_errors,
    json_option,
    pass_state,
    to_json,
)

SEVERITY_STYLE = {"normal": "green", "watch": "cyan", "warning": "yellow", "critical": "bold red"}
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def drift() -> None:
    """Field-data drift: PSI, MMD, per-feature tests and ADWIN/CUSUM, voted and persisted."""


@drift.command()
@click.argument("reference", type=FILE)
@click.option("--deployment", required=True, help="The monitored deployment's name.")
@click.option("--kind", type=click.Choice([c.value for c in DetectorCapability]),
              default=DetectorCapability.FEATURES.value, show_default=True)
@click.option("--key", default=None, help="Array name inside an .npz file.")
@click.option("--categorical", default="", help="Comma-separated categorical feature names.")
@json_option
@pass_state
@command_errors
def fit(state: CliState, reference: Path, deployment: str, kind: str, key: str | None,
        categorical: str, as_json: bool) -> None:
    """Fit the detectors on REFERENCE (.npz, .csv or .parquet) and calibrate thresholds."""
    table = read_feature_table(reference.name, reference.read_bytes(), key)
    profile = state.container.fit_reference()(
        deployment, table.rows, table.feature_names,
        tuple(c.strip() for c in categorical.split(",") if c.strip()),
        DetectorCapability(kind))
    if as_json:
        click.echo(to_json(profile))
        return
    state.console.print(Text(f"fitted {deployment}: {profile.n_samples} samples x "
                             f"{len(profile.feature_names)} features, detectors "
                             f"{', '.join(profile.detectors)} ({profile.digest[:19]}…)"))


def print_verdict(state: CliState, verdict: DriftVerdict) -> None:
    """One verdict as a line plus its top attributions."""
    style = SEVERITY_STYLE.get(verdict.severity.value, "")
    fired = ", ".join(verdict.fired) or "none"
    state.console.print(Text.assemble(
        (f"{verdict.severity.value.upper():<9}", style),
        f" window {verdict.window_index} of {verdict.deployment}: vote {verdict.vote_share:.2f}, "
        f"persistence {verdict.persistence}, fired: {fired}; verdict {verdict.id}"))
    if verdict.data_quality:
        state.console.print(Text(f"  data-quality alarm: "
                                 f"{', '.join(f.value for f in verdict.data_quality)}",
                                 style="yellow"))
    for attribution in verdict.attributions[:3]:
        state.console.print(Text(f"  {attribution.feature:<16} {attribution.score:7.2f} "
                                 f"({attribution.detector})"))


@drift.command()
@click.argument("window", type=FILE)
@click.option("--deployment", required=True)
@click.option("--key", default=None, help="Array name inside an .npz file.")
@json_option
@pass_state
@command_errors
def check(state: CliState, window: Path, deployment: str, key: str | None,
          as_json: bool) -> None:
    """Judge one WINDOW of field data against the deployment's reference."""
    table = read_feature_table(window.name, window.read_bytes(), key)
    verdict = state.container.check_window()(deployment, table.rows)
    if as_json:
        click.echo(to_json(verdict))
    else:
        print_verdict(state, verdict)


@drift.command()
@click.argument("verdict_id")
@click.argument("judgement", type=click.Choice(["confirmed", "false-alarm"]))
@click.option("--by", default=None, help="Who reviewed the verdict.")
@json_option
@pass_state
@command_errors
def feedback(state: CliState, verdict_id: str, judgement: str, by: str | None,
             as_json: bool) -> None:
    """Confirm a drift verdict or call it a false alarm; detector weights adapt."""
    record = state.container.record_feedback()(verdict_id, judgement,
                                               by or state.container.config.actor())
    if as_json:
        click.echo(to_json(record))
        return
    before, after = dict(record.weights_before), dict(record.weights_after)
    state.console.print(Text(f"{judgement} recorded on {verdict_id}; weights: " + ", ".join(
        f"{name} {before.get(name, 1.0):.2f}→{after[name]:.2f}" for name in sorted(after))))


@drift.command()
@click.option("--deployment", default=None)
@json_option
@pass_state
@command_errors
def report(state: CliState, deployment: str | None, as_json: bool) -> None:
    """Verdicts over time per deployment, with severity counts and weights."""
    result = state.container.drift_report()(deployment)
    if as_json:
        click.echo(to_json(result))
        return
    for entry in result.deployments:
        table = Table(title=f"{entry.deployment}: now {entry.current.value}, "
                            f"peak {entry.peak.value}")
        for column in ("Window", "Observed", "Severity", "Vote", "Fired", "Top features"):
            table.add_column(column)
        for v in entry.verdicts:
            table.add_row(str(v.window_index), v.observed_at.isoformat(timespec="seconds"),
                          Text(v.severity.value, style=SEVERITY_STYLE.get(v.severity.value, "")),
                          f"{v.vote_share:.2f}", ", ".join(v.fired) or "—",
                          ", ".join(v.top_features()) or "—")
        state.console.print(table)
    if not result.deployments:
        state.console.print("no verdicts yet")
