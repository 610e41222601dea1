"""``edgedeploy doctor``, ``db upgrade`` and ``serve``."""

from __future__ import annotations

import platform
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from edgedeploy.adapters.sql.engine import redact
from edgedeploy.adapters.sql.migrate import current_revision, head_revision, upgrade_to_head
from edgedeploy.entrypoints.cli.context import (
    CliState,
    command_errors,
    json_option,
    pass_state,
    to_json,
)


def doctor_report(state: CliState) -> dict[str, Any]:
    """What works here and what does not, with reasons."""
    settings = state.container.settings()
    url = settings.resolved_database_url
    checks: list[dict[str, Any]] = []
    try:
        revision = current_revision(url)
        head = head_revision()
        hint = "" if revision == head else "; run edgedeploy db upgrade"
        checks.append({"name": "database", "usable": True,
                       "reason": f"{redact(url)} at revision {revision or 'none'} "
                                 f"(head {head}{hint})"})
    except Exception as exc:
        checks.append({"name": "database", "usable": False, "reason": str(exc)})
    try:
        counts = state.container.trace_store().counts()
        checks.append({"name": f"trace store ({settings.trace_store})", "usable": True,
                       "reason": f"{settings.trace_store_path}: "
                                 + ", ".join(f"{v} {k}" for k, v in counts.items())})
    except Exception as exc:
        checks.append({"name": f"trace store ({settings.trace_store})", "usable": False,
                       "reason": str(exc)})
    backends = [
        {"name": r.name, "distribution": f"{r.distribution} {r.version}", "usable": r.usable,
         "reason": r.reason, "capabilities": r.capabilities}
        for r in state.container.backends().report()]
    return {"python": platform.python_version(), "home": str(settings.home),
            "checks": checks, "inference_backends": backends}


@click.command()
@json_option
@pass_state
@command_errors
def doctor(state: CliState, as_json: bool) -> None:
    """Say which storage and inference backends are usable here, and why not."""
    report = doctor_report(state)
    if as_json:
        click.echo(to_json(report))
        return
    state.console.print(f"edgedeploy home: {report['home']}  (Python {report['python']})")
    table = Table(title="Components")
    for column in ("Component", "Usable", "Why"):
        table.add_column(column)
    for check in report["checks"]:
        table.add_row(check["name"], _yes_no(check["usable"]), Text(check["reason"]))
    state.console.print(table)
    table = Table(title="Inference backends")
    for column in ("Backend", "Distribution", "Usable", "Why"):
        table.add_column(column)
    for backend in report["inference_backends"]:
        table.add_row(backend["name"], backend["distribution"], _yes_no(backend["usable"]),
                      Text(backend["reason"]))
    state.console.print(table)


def _yes_no(flag: bool) -> Text:
    return Text("yes", style="green") if flag else Text("no", style="red")


@click.group()
def db() -> None:
    """The SQL database (SQLite file by default, PostgreSQL by URL)."""


@db.command()
@pass_state
@command_errors
def upgrade(state: CliState) -> None:
    """Apply pending migrations."""
    url = state.container.settings().resolved_database_url
    revision = upgrade_to_head(url)
    state.console.print(f"{redact(url)} is at revision {revision}")


@click.command()
@click.option("--host", default=None, help="Interface to bind (default from settings: 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default from settings: 8700).")
@pass_state
@command_errors
def serve(state: CliState, host: str | None, port: int | None) -> None:
    """Serve the HTTP API (OpenAPI at /schema)."""
    import uvicorn

    from edgedeploy.entrypoints.http.app import create_app

    settings = state.container.settings()
    app = create_app(state.container)
    uvicorn.run(app, host=host or settings.http.host, port=port or settings.http.port,
                log_level=settings.log_level)
