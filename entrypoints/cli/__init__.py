"""The ``edgedeploy`` command line for release engineers.

Every command module imports only click and :mod:`.context` at module level; what a command
needs (the container, adapters, rich) is imported inside its body. ``edgedeploy --help``, each
command's ``--help`` and shell completion therefore load no ML framework, no numpy, scipy,
matplotlib, SQLAlchemy or RDF library (``tests/e2e/test_cli_startup.py`` checks it).

Shell completion is click's: ``eval "$(_EDGEDEPLOY_COMPLETE=bash_source edgedeploy)"`` (or
``zsh_source``, ``fish_source``).
"""

from __future__ import annotations

import click

from edgedeploy.entrypoints.cli.audit import audit
from edgedeploy.entrypoints.cli.auth import auth
from edgedeploy.entrypoints.cli.context import CliState, Group
from edgedeploy.entrypoints.cli.demo import demo
from edgedeploy.entrypoints.cli.drift import drift
from edgedeploy.entrypoints.cli.models import models
from edgedeploy.entrypoints.cli.optimize import optimize, verify
from edgedeploy.entrypoints.cli.reports import report
from edgedeploy.entrypoints.cli.rollout import agent, deploy, rollout
from edgedeploy.entrypoints.cli.system import db, doctor, serve
from edgedeploy.entrypoints.cli.trace import trace

PROG_NAME = "edgedeploy"


def _remote_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from edgedeploy.entrypoints.settings import check_remote_url

    try:
        return check_remote_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]},
             example="edgedeploy trace gate aeb@1.0.0 --json")
@click.version_option(package_name="edgedeploy", help="Show the version and exit.")
@click.option("--token", metavar="TOKEN", default=None,
              help="Act as this API token's principal instead of the OS user "
                   "(or set EDGEDEPLOY_TOKEN).")
@click.option("--remote", metavar="URL", default=None, callback=_remote_url,
              help="Run the command through the API of the edgedeploy server at URL, as "
                   "--token's principal (or set EDGEDEPLOY_REMOTE).")
@click.pass_context
def cli(ctx: click.Context, token: str | None, remote: str | None) -> None:
    """edgedeploy: a safety-gated release pipeline for ML models on automotive ECUs.

    Exit codes: 0 success, 2 invalid input, 3 refused by a rule or gate, 4 not found,
    5 backend unavailable, 1 internal error. Every command that prints a result takes --json.

    Shell completion (zsh_source and fish_source likewise):

    eval "$(_EDGEDEPLOY_COMPLETE=bash_source edgedeploy)"
    """
    state = ctx.ensure_object(CliState)
    state.token = token
    state.remote_option = remote
    ctx.call_on_close(state.close)


for command in (demo, trace, models, optimize, verify, drift, deploy, rollout, agent, db, doctor,
                serve, report, auth, audit):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point (its completion variable is ``_EDGEDEPLOY_COMPLETE``)."""
    cli.main(obj=CliState(), prog_name=PROG_NAME)


__all__ = ["PROG_NAME", "cli", "main"]
