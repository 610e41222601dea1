"""``edgedeploy report …``: reports for people who read rather than run the pipeline.

``report acceptance`` turns the Cucumber JSON that ``make test`` writes
(``reports/acceptance.json``) into a self-contained HTML page for safety auditors. It reads
only the file it is given: no database, trace store or model is opened.

``report accountability`` shows who did what in a release: who recorded each piece of
evidence, who reviewed (and whether independently), who started and approved each roll-out
stage, and the registered principals with their roles and units.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from edgedeploy.entrypoints.cli.context import (
    MODEL_VERSION,
    CliState,
    Group,
    command_errors,
    emit_json,
    json_option,
    pass_state,
)

if TYPE_CHECKING:
    from edgedeploy.domain.models import ModelRef


@click.group(cls=Group, example="edgedeploy report acceptance reports/acceptance.json "
                                "--html reports/acceptance.html")
def report() -> None:
    """Render test evidence for auditors."""


@report.command(example="edgedeploy report acceptance reports/acceptance.json "
                        "--html reports/acceptance.html --json")
@click.argument("cucumber_json", metavar="CUCUMBER_JSON",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report as a self-contained HTML page to this file.")
@json_option
@pass_state
@command_errors
def acceptance(state: CliState, cucumber_json: Path, html_path: Path | None,
               as_json: bool) -> None:
    """Summarise the Gherkin acceptance run in CUCUMBER_JSON, by feature and requirement.

    Scenarios, their @req_… and @asil_… tags and every step's result; the page names the
    SHA-256 of the JSON it was rendered from. Exits 0 whenever the file could be read: the
    outcome of the run is in the report ("passed" under --json), not in the exit status.
    """
    renderer = state.container.acceptance_report()
    result = renderer.read(str(cucumber_json), cucumber_json.read_bytes())
    if html_path is not None:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_bytes(renderer.html(result))
    if as_json:
        emit_json({**result.to_dict(), "html": str(html_path) if html_path else None})
        return
    _print_summary(state, result.to_dict(), html_path)


@report.command(example="edgedeploy report accountability aeb@1.0.0 "
                        "--html reports/who-did-what.html")
@click.argument("model_version", metavar="[NAME@VERSION]", type=MODEL_VERSION, required=False)
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the section as a self-contained HTML page to this file.")
@json_option
@pass_state
@command_errors
def accountability(state: CliState, model_version: ModelRef | None, html_path: Path | None,
                   as_json: bool) -> None:
    """Who did what for NAME@VERSION's release (everything recorded when omitted).

    Who recorded each evidence record on the trace, who reviewed and whether independently
    (trace store); who started, approved or stopped each roll-out stage (decision logs);
    registered principals with roles and units; changes to who may act (audit log).
    """
    from edgedeploy.application.traceability.accountability import accountability_section
    from edgedeploy.domain.identity import Permission

    state.principal.require(Permission.READ)
    container = state.container
    found = container.describe_accountability()(model_version)
    if html_path is not None:
        from edgedeploy.application.ports.reporting import ReleaseReport

        clock = container.clock()
        page = ReleaseReport("edgedeploy: who did what", found.model or "all releases",
                             clock.now(), "info", (accountability_section(found),))
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_bytes(container.release_report().render(page))
    if as_json:
        emit_json({**found.to_dict(), "html": str(html_path) if html_path else None})
        return
    from edgedeploy.entrypoints.cli.output import new_table, show

    for table in accountability_section(found).tables:
        rich_table = new_table(table.caption, *table.headers)
        for row in table.rows:
            rich_table.add_row(*row)
        show(state, rich_table)
    if html_path is not None:
        state.console.print(f"wrote {html_path}", highlight=False)


def _print_summary(state: CliState, summary: dict[str, object], html_path: Path | None) -> None:
    from rich.text import Text

    totals = summary["totals"]
    assert isinstance(totals, dict)

    def counts(what: str) -> str:
        t = totals[what]
        return (f"{t['total']} {what} ({t['passed']} passed, {t['failed']} failed, "
                f"{t['skipped']} skipped)")

    verdict = ("PASSED", "green") if summary["passed"] else ("NOT PASSED", "bold red")
    state.console.print(Text.assemble(verdict, f" {totals['features']} feature(s), "
                                      f"{counts('scenarios')}, {counts('steps')}, "
                                      f"{counts('requirements')}"))
    failed = summary["failed_scenarios"]
    assert isinstance(failed, list)
    for scenario in failed:
        state.console.print(Text(f"  failed: {scenario['feature']}:{scenario['line']} "
                                 f"{scenario['scenario']} "
                                 f"({', '.join(scenario['requirements']) or 'no requirement'})"))
    state.console.print(f"source {summary['source_digest']}", highlight=False)
    if html_path is not None:
        state.console.print(f"wrote {html_path}", highlight=False)


__all__ = ["report"]
