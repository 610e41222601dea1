"""``edgedeploy models …``: the model registry."""

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


@click.group(cls=Group, example="edgedeploy models list")
def models() -> None:
    """Model versions, fixed by the SHA-256 of their bytes."""


@models.command(example="edgedeploy models register aeb@1.0.0 aeb.onnx", remote=True)
@click.argument("model_version", metavar="NAME@VERSION", type=MODEL_VERSION)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_state
@command_errors
def register(state: CliState, model_version: ModelRef, file: Path, as_json: bool) -> None:
    """Register FILE as model version NAME@VERSION.

    The same bytes again are a no-op; other bytes under a registered version are refused
    (exit 3).
    """
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.register_model(state, str(model_version), file, as_json)
        return
    from edgedeploy.domain.identity import Permission

    principal = state.principal
    principal.require(Permission.REGISTER_MODEL)
    model = state.container.register_model()(model_version, file.read_bytes(), principal.name,
                                             file.name)
    if as_json:
        emit_json(model)
    else:
        from rich.text import Text

        state.console.print(Text.assemble("registered ", (str(model.ref), "bold"),
                                          f" {model.digest} ({model.size_bytes} bytes)"))


@models.command("list", example="edgedeploy models list --name aeb --json", remote=True)
@click.option("--name", default=None, help="Only the versions of this model name.")
@json_option
@pass_state
@command_errors
def list_(state: CliState, name: str | None, as_json: bool) -> None:
    """Every registered model version, oldest first."""
    if state.remote:
        from edgedeploy.entrypoints.cli import remote

        remote.list_models(state, name, as_json)
        return
    with state.container.uow() as uow:
        found = uow.models.list(name)
    if as_json:
        emit_json(found)
        return
    from edgedeploy.entrypoints.cli.output import new_table, show

    table = new_table("Registered model versions", "Model", "Digest", "Bytes", "Registered",
                      "By")
    for m in found:
        table.add_row(str(m.ref), m.digest, str(m.size_bytes),
                      m.registered_at.isoformat(timespec="seconds"), m.registered_by)
    show(state, table)
