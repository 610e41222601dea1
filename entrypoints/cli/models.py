"""``edgedeploy models …``: the model registry."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from edgedeploy.domain.models import ModelRef
from edgedeploy.entrypoints.cli.context import (
    CliState,
    command_errors,
    json_option,
    pass_state,
    to_json,
)


@click.group()
def models() -> None:
    """Model versions, fixed by the SHA-256 of their bytes."""


@models.command()
@click.argument("name")
@click.argument("version")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_state
@command_errors
def register(state: CliState, name: str, version: str, file: Path, as_json: bool) -> None:
    """Register FILE as model NAME at VERSION (same bytes again: no-op; other bytes: refused)."""
    container = state.container
    model = container.register_model()(ModelRef(name, version), file.read_bytes(),
                                       container.config.actor(), file.name)
    if as_json:
        click.echo(to_json(model))
    else:
        state.console.print(f"registered [bold]{model.ref}[/] {model.digest} "
                            f"({model.size_bytes} bytes)")


@models.command("list")
@json_option
@pass_state
@command_errors
def list_(state: CliState, as_json: bool) -> None:
    """Every registered model version."""
    with state.container.uow() as uow:
        found = uow.models.list()
    if as_json:
        click.echo(to_json(found))
        return
    table = Table(title="Registered model versions")
    for column in ("Model", "Digest", "Bytes", "Registered", "By"):
        table.add_column(column)
    for m in found:
        table.add_row(str(m.ref), m.digest[:19] + "…", str(m.size_bytes),
                      m.registered_at.isoformat(timespec="seconds"), m.registered_by)
    state.console.print(table)
