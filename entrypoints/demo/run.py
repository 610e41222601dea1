"""Run the demo's steps in release order and write the release report."""

from __future__ import annotations

import json
import os
import platform
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from edgedeploy.application.ports.reporting import ReleaseReport
from edgedeploy.application.traceability import GateReport
from edgedeploy.application.traceability.accountability import accountability_section
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.demo.flow import (
    CI,
    MODEL,
    DemoRun,
    load_deployment,
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
    """Run every step into ``output`` (emptied first); return a summary.

    Raises:
        InvalidInput: ``output`` holds files the demo did not write, or the example's
            deployment specification is invalid.
    """
    # Agent processes and reports get absolute paths, whatever the caller's working directory.
    output, models_home = output.resolve(), models_home.resolve()
    spec = load_deployment()
    _empty_output(output)
    container = bootstrap(Settings(home=str(output / "home"), actor=CI,
                                   log_level="error"))
    run = DemoRun(container, console, output, models_home)
    run.facts["deployment"] = spec
    try:
        for step in STEPS:
            step(run)
        accountability = container.describe_accountability()(MODEL)
        run.sections.append(accountability_section(accountability))
        matrix_path = step_trace_matrix(run)
        gate: GateReport = run.facts["gate"]
        failed = [s.title for s in run.sections if s.status == "failed"]
        verdict = ("passed" if gate.passed and run.facts["verification"].passed and not failed
                   else "blocked")
        head = _audit_head(container)
        report = ReleaseReport("edgedeploy release report", str(MODEL), run.now(), verdict,
                               tuple(run.sections),
                               provenance=provenance(gate, head, spec.name),
                               sign_off=SIGN_OFF)
        report_path = output / "release-report.html"
        report_path.write_bytes(container.release_report().render(report))
        compliance = gate.compliance
        summary = {"model": str(MODEL), "verdict": verdict,
                   "release_report": str(report_path), "trace_matrix": str(matrix_path),
                   "compliance": {"score": compliance.score,
                                  "requirements": compliance.requirements,
                                  "checks": compliance.checks,
                                  "checks_met": compliance.checks_met},
                   "gaps": [{"item": g.item, "asil": g.asil.value, "code": g.code.value,
                             "message": g.message} for g in gate.gaps],
                   "failed_steps": failed,
                   "audit_head": head,
                   "who_did_what": accountability.to_dict(),
                   "sections": [{"title": s.title, "status": s.status} for s in run.sections]}
        (output / "summary.json").write_text(json.dumps(summary, indent=2))
        return summary
    finally:
        close_container(container)


SIGN_OFF = ("Safety manager (ISO 26262-2)", "Independent assessor (ASIL D confirmation)",
            "Release engineer")
MARKER = ".edgedeploy-demo"
"""A file the demo leaves in its output folder: only such a folder is emptied on a rerun."""
DEMO_ENTRIES = frozenset({MARKER, "home", "optimize", "edge", "release-report.html",
                          "trace-matrix.html", "trace-matrix.csv", "summary.json"})
"""Everything the demo writes at the top of its folder (a folder written before the marker
existed holds nothing else)."""


def _empty_output(output: Path) -> None:
    """Empty the output folder, but only one the demo wrote (or an empty one).

    ``--output`` names a folder that is deleted wholesale; a mistyped path must not take a
    user's files with it.
    """
    from edgedeploy.application.errors import InvalidInput

    if output.exists():
        if not output.is_dir():
            raise InvalidInput(f"{output} is a file, not a folder for the demo's output",
                               code="DEMO_OUTPUT_INVALID")
        foreign = sorted(p.name for p in output.iterdir() if p.name not in DEMO_ENTRIES)
        if foreign and not (output / MARKER).is_file():
            raise InvalidInput(f"{output} holds files the demo did not write "
                               f"({', '.join(foreign[:5])}); choose another --output or empty "
                               "it yourself", code="DEMO_OUTPUT_INVALID")
        shutil.rmtree(output)
    output.mkdir(parents=True)
    (output / MARKER).write_text("written by edgedeploy demo; emptied on its next run\n")


def _audit_head(container: Any) -> str:
    """The audit chain's newest entry as ``#sequence sha256:…``."""
    with container.uow() as uow:
        last = uow.audit.last()
    return "empty" if last is None else f"#{last.sequence} {last.entry_hash}"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    """The source checkout's commit, with ``+changes`` when the tree differs from it."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"], check=True, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{head}{' +changes' if dirty else ''}"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} logical cores)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} logical cores)"


def provenance(gate: GateReport, audit_head: str, deployment: str) -> tuple[tuple[str, str], ...]:
    """What produced the report, so a reader can reproduce or question it."""
    load = (", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg")
            else "unknown")
    return (("edgedeploy", _version("edgedeploy")),
            ("commit", _commit()),
            ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
            ("ONNX Runtime", _version("onnxruntime")),
            ("PyTorch", _version("torch")),
            ("CPU", _cpu()),
            ("host load (1, 5, 15 min)", load),
            ("deployment specification", deployment),
            ("compliance", gate.compliance.describe()),
            ("audit chain head", audit_head))


def summary_table(summary: dict[str, Any]) -> Table:
    """The demo's outcome as a table for the terminal."""
    table = Table(title=f"Release of {summary['model']}: {summary['verdict']}")
    table.add_column("Step")
    table.add_column("Outcome")
    for section in summary["sections"]:
        table.add_row(section["title"], section["status"])
    return table
