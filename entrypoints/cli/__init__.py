"""The ``edgedeploy`` command line for release engineers."""

from __future__ import annotations

import click

from edgedeploy.entrypoints.cli.context import CliState
from edgedeploy.entrypoints.cli.demo import demo
from edgedeploy.entrypoints.cli.drift import drift
from edgedeploy.entrypoints.cli.models import models
from edgedeploy.entrypoints.cli.optimize import optimize, verify
from edgedeploy.entrypoints.cli.rollout import agent, deploy, rollout
from edgedeploy.entrypoints.cli.system import db, doctor, serve
from edgedeploy.entrypoints.cli.trace import trace


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="edgedeploy")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """edgedeploy: a safety-gated release pipeline for ML models on automotive ECUs."""
    state = ctx.ensure_object(CliState)
    ctx.call_on_close(state.close)


for command in (demo, trace, models, optimize, verify, drift, deploy, rollout, agent, db, doctor,
                serve):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(obj=CliState())


__all__ = ["cli", "main"]
