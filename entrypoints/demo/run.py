"""Run the demo's steps in release order and write the release report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from edgedeploy.application.ports.reporting import ReleaseReport
from edgedeploy.application.traceability import GateReport
from edgedeploy.entrypoints.bootstrap import build_container, close_container
from edgedeploy.entrypoints.demo.flow import (
    CI,
    MODEL,
    DemoRun,
    step_change_impact,
    step_example_model,
    step_gate,
    step_optimize,
    step_requirements,
    step_trace,
    step_trace_matrix,
    step_verify,
)
from edgedeploy.entrypoints.demo.monitoring_step import step_monitoring
from edgedeploy.entrypoints.demo.rollout_step import step_rollout
from edgedeploy.entrypoints.settings import Settings

STEPS = (step_example_model, step_optimize, step_verify, step_requirements, step_trace,
         step_gate, step_change_impact, step_rollout, step_monitoring)


def run_demo(output: Path, console: Console, models_home: Path) -> dict[str, Any]:
    """Run every step into ``output`` (emptied first); return a summary."""
    # Agent processes and reports get absolute paths, whatever the caller's working directory.
    output, models_home = output.resolve(), models_home.resolve()
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    container = build_container(Settings(home=str(output / "home"), actor=CI,
                                         log_level="error"))
    run = DemoRun(container, console, output, models_home)
    try:
        for step in STEPS:
            step(run)
        matrix_path = step_trace_matrix(run)
        gate: GateReport = run.facts["gate"]
        failed = [s.title for s in run.sections if s.status == "failed"]
        verdict = ("passed" if gate.passed and run.facts["verification"].passed and not failed
                   else "blocked")
        report = ReleaseReport("edgedeploy release report", str(MODEL), run.now(), verdict,
                               tuple(run.sections))
        report_path = output / "release-report.html"
        report_path.write_bytes(container.release_report().render(report))
        summary = {"model": str(MODEL), "verdict": verdict,
                   "release_report": str(report_path), "trace_matrix": str(matrix_path),
                   "sections": [{"title": s.title, "status": s.status} for s in run.sections]}
        (output / "summary.json").write_text(json.dumps(summary, indent=2))
        return summary
    finally:
        close_container(container)


def summary_table(summary: dict[str, Any]) -> Table:
    """The demo's outcome as a table for the terminal."""
    table = Table(title=f"Release of {summary['model']}: {summary['verdict']}")
    table.add_column("Step")
    table.add_column("Outcome")
    for section in summary["sections"]:
        table.add_row(section["title"], section["status"])
    return table
