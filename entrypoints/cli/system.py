"""``edgedeploy doctor``, ``db upgrade`` and ``serve``."""

from __future__ import annotations

from typing import Any

import click

from edgedeploy.entrypoints.cli.context import (
    CliState,
    Command,
    Group,
    command_errors,
    emit_json,
    json_option,
    pass_state,
)


def doctor_report(state: CliState, deep: bool = False) -> dict[str, Any]:
    """What works here and what does not, with reasons.

    Each check catches its own failure: the point of ``doctor`` is to report a broken
    component, not to stop at the first one. Without ``deep``, plugins that can tell whether
    they are installed without importing their framework do so (torch takes seconds to
    import); ``deep`` imports every framework and probes its devices.
    """
    import platform

    settings = state.container.settings()
    schema = state.container.database_schema()
    checks: list[dict[str, Any]] = []
    try:
        revision = schema.current()
        head = schema.head()
        hint = "" if revision == head else "; run edgedeploy db upgrade"
        checks.append({"name": "database", "usable": True,
                       "reason": f"{schema.display_url} at revision {revision or 'none'} "
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
    # Every plugin group, broken and outdated plugins included: doctor is where they are
    # reported (other commands only log them at debug level).
    plugins = {
        group: [{"name": r.name, "distribution": f"{r.distribution} {r.version}",
                 "entry_point": r.value, "usable": r.usable, "reason": r.reason,
                 "capabilities": r.capabilities} for r in records]
        for group, records in state.container.plugin_report(quick=not deep).report().items()}
    return {"python": platform.python_version(), "home": str(settings.home),
            "checks": checks,
            "inference_backends": plugins.get("edgedeploy.inference_backends", []),
            "plugins": plugins}


@click.command(cls=Command, example="edgedeploy doctor --deep --json")
@click.option("--deep", is_flag=True,
              help="Import every framework and probe its devices (slower).")
@json_option
@pass_state
@command_errors
def doctor(state: CliState, deep: bool, as_json: bool) -> None:
    """Say which storage, backends and other plugins are usable here, and why not."""
    report = doctor_report(state, deep)
    if as_json:
        emit_json(report)
        return
    from rich.text import Text

    from edgedeploy.entrypoints.cli.output import new_table, show, yes_no

    state.console.print(f"edgedeploy home: {report['home']}  (Python {report['python']})",
                        highlight=False)
    table = new_table("Components", "Component", "Usable", "Why")
    for check in report["checks"]:
        table.add_row(check["name"], yes_no(check["usable"]), Text(check["reason"]))
    show(state, table)
    table = new_table("Plugins", "Group", "Plugin", "Distribution", "Usable", "Why")
    for group, rows in report["plugins"].items():
        for row in rows:
            table.add_row(group.removeprefix("edgedeploy."), row["name"], row["distribution"],
                          yes_no(row["usable"]), Text(row["reason"]))
    show(state, table)


@click.group(cls=Group, example="edgedeploy db upgrade")
def db() -> None:
    """The SQL database (SQLite file by default, PostgreSQL by URL)."""


@db.command(example="EDGEDEPLOY_DATABASE_URL=postgresql+psycopg://ci@db/edge edgedeploy db upgrade")
@json_option
@pass_state
@command_errors
def upgrade(state: CliState, as_json: bool) -> None:
    """Apply pending migrations (they also apply on first use)."""
    schema = state.container.database_schema()
    revision = schema.upgrade()
    if as_json:
        emit_json({"database": schema.display_url, "revision": revision})
    else:
        state.console.print(f"{schema.display_url} is at revision {revision}",
                            highlight=False)


@click.command(cls=Command, example="edgedeploy serve --port 8700")
@click.option("--host", default=None, help="Interface to bind (default from settings: 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default from settings: 8700).")
@json_option
@pass_state
@command_errors
def serve(state: CliState, host: str | None, port: int | None, as_json: bool) -> None:
    """Serve the HTTP API (OpenAPI at /schema) until interrupted.

    Prints one start line (with --json: one JSON object) before serving.
    """
    import uvicorn

    from edgedeploy.entrypoints.http.app import create_app

    settings = state.container.settings()
    app = create_app(state.container)
    bind_host, bind_port = host or settings.http.host, port or settings.http.port
    url = f"http://{bind_host}:{bind_port}"
    if as_json:
        emit_json({"event": "serving", "url": url, "openapi": f"{url}/schema",
                   "home": str(settings.home)})
    else:
        state.console.print(f"serving the edgedeploy API on {url} (OpenAPI at {url}/schema)",
                            highlight=False)
    uvicorn.run(app, host=bind_host, port=bind_port, log_level=settings.log_level)
