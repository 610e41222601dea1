"""What every CLI command shares: the lazily built container, output, and error mapping."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
import msgspec
import structlog
from rich.console import Console
from rich.text import Text

from edgedeploy.entrypoints.bootstrap import build_container, close_container
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.errors import error_code, mapping_for

F = TypeVar("F", bound=Callable[..., Any])
log = structlog.get_logger(__name__)


class CliState:
    """Per-invocation state: the container is built on first use and closed at exit."""

    def __init__(self) -> None:
        self._container: Container | None = None
        self.console = Console()
        self.err = Console(stderr=True)

    @property
    def container(self) -> Container:
        """The composition root, built from settings on first use."""
        if self._container is None:
            self._container = build_container()
        return self._container

    def close(self) -> None:
        """Release what the container opened."""
        if self._container is not None:
            close_container(self._container)
            self._container = None


def to_json(value: Any) -> str:
    """Domain and application results as JSON (dataclasses, enums and times included)."""
    return msgspec.json.encode(msgspec.to_builtins(value, builtin_types=())).decode()


def json_option(func: F) -> F:
    """Add ``--json`` to a command: machine-readable output instead of tables."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print machine-readable JSON instead of tables.")(func)


def command_errors(func: F) -> F:
    """Report our errors as a message (or problem JSON) with the mapped exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state = click.get_current_context().find_object(CliState)
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            mapping = mapping_for(exc)
            if mapping.status == 500:
                log.error("command.failed", exc_info=exc)
            message = str(exc) if mapping.status != 500 else f"internal error: {exc!r}"
            if kwargs.get("as_json"):
                click.echo(to_json({"type": f"urn:problem:{error_code(exc)}",
                                    "title": mapping.title, "status": mapping.status,
                                    "detail": message}))
            elif state is not None:
                state.err.print(Text.assemble(("error", "bold red"),
                                              f" ({error_code(exc)}): {message}"))
            else:
                click.echo(f"error ({error_code(exc)}): {message}", err=True)
            sys.exit(mapping.exit_code)

    return wrapper  # type: ignore[return-value]


pass_state = click.make_pass_decorator(CliState, ensure=True)
