"""``edgedeploy demo``: the whole release flow on the bundled example."""

from __future__ import annotations

from pathlib import Path

import click

from edgedeploy.entrypoints.cli.context import (
    CliState,
    command_errors,
    json_option,
    pass_state,
    to_json,
)
from edgedeploy.entrypoints.demo import run_demo, summary_table
from edgedeploy.entrypoints.settings import load_settings


@click.command()
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("edgedeploy-demo"), show_default=True,
              help="Folder for the demo's state and reports (emptied first).")
@json_option
@pass_state
@command_errors
def demo(state: CliState, output: Path, as_json: bool) -> None:
    """Run the release flow on the bundled AEB example and write an HTML release report."""
    models_home = load_settings().home_dir / "models"
    summary = run_demo(output, state.err if as_json else state.console, models_home)
    if as_json:
        click.echo(to_json(summary))
        if summary["verdict"] != "passed":
            raise click.exceptions.Exit(1)
        return
    state.console.print(summary_table(summary))
    state.console.print(f"Release report: [bold]{summary['release_report']}[/]")
    state.console.print(f"Traceability matrix: {summary['trace_matrix']}")
    if summary["verdict"] != "passed":
        raise click.exceptions.Exit(1)
