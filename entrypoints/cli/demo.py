"""``edgedeploy demo``: the whole release flow on the bundled example."""

from __future__ import annotations

from pathlib import Path

import click

from edgedeploy.entrypoints.cli.context import (
    CliState,
    Command,
    command_errors,
    emit_json,
    json_option,
    pass_state,
)

# The demo's verdict is the release gate's: anything but "passed" means a rule or the gate
# refused the release, which the README's exit-code table reports as 3.
REFUSED = 3


@click.command(cls=Command, example="edgedeploy demo --output edgedeploy-demo")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("edgedeploy-demo"), show_default=True,
              help="Folder for the demo's state and reports (emptied first).")
@json_option
@pass_state
@command_errors
def demo(state: CliState, output: Path, as_json: bool) -> None:
    """Run the release flow on the bundled AEB example and write an HTML release report.

    Exits 3 when the release it walks through ends blocked.
    """
    from edgedeploy.entrypoints.demo import run_demo, summary_table
    from edgedeploy.entrypoints.settings import load_settings

    models_home = load_settings().home_dir / "models"
    summary = run_demo(output, state.err if as_json else state.console, models_home)
    if as_json:
        emit_json(summary)
    else:
        state.console.print(summary_table(summary))
        state.console.print(f"Release report: [bold]{summary['release_report']}[/]")
        state.console.print(f"Traceability matrix: {summary['trace_matrix']}")
    if summary["verdict"] != "passed":
        console = state.err if as_json else state.console
        console.print(f"[bold red]Release blocked[/] ({len(summary['gaps'])} gap(s)"
                      + (f"; failed steps: {', '.join(summary['failed_steps'])}"
                         if summary["failed_steps"] else "") + ")")
        from rich.markup import escape

        for gap in summary["gaps"]:
            console.print(f"  gap {escape(gap['item'])} (ASIL {gap['asil']}) "
                          f"[bold]{gap['code']}[/]: {escape(gap['message'])}", highlight=False)
        raise click.exceptions.Exit(REFUSED)
