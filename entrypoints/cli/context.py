"""What every CLI command shares: the lazily built container, output, and error mapping.

This module is imported by every command module, so it imports only click at module level:
``edgedeploy --help`` (and shell completion) must start as fast as ``import click`` allows.
The composition root, rich, msgspec and structlog load on first use inside a command.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console

    from edgedeploy.domain.identity import Principal
    from edgedeploy.domain.models import ModelRef
    from edgedeploy.entrypoints.container import Container

F = TypeVar("F", bound=Callable[..., Any])


def os_login() -> str:
    """The login name of the process's real user, from the account database."""
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a uid without an account entry (some containers)
        return f"uid-{os.getuid()}"


class CliState:
    """Per-invocation state: the container and the consoles are built on first use.

    A command that only prints help, or fails validation, never pays for the composition root
    (SQLAlchemy, the RDF store, numpy) or for rich.
    """

    def __init__(self) -> None:
        self._container: Container | None = None
        self._console: Console | None = None
        self._err: Console | None = None
        self._principal: Principal | None = None
        self.token: str | None = None
        """A token given with ``--token`` (wins over ``EDGEDEPLOY_TOKEN``)."""
        self.remote_option: str | None = None
        """A server URL given with ``--remote`` (wins over ``EDGEDEPLOY_REMOTE``)."""
        self._remote: str | None = None

    @property
    def remote(self) -> str:
        """The server this invocation's commands run against; empty: this home.

        Read from ``--remote``, else the ``remote`` setting, without building the container:
        a remote command never opens the home a running server holds.
        """
        if self._remote is None:
            self._remote = self.remote_option or ""
            if not self._remote:
                from contextlib import suppress

                from edgedeploy.application.errors import InvalidInput
                from edgedeploy.entrypoints.settings import load_settings

                # A broken configuration is reported by the command when it loads it.
                with suppress(InvalidInput):
                    self._remote = load_settings().remote
        return self._remote

    @property
    def principal(self) -> Principal:
        """Who this invocation acts as: the token's principal, else the OS login's.

        The login comes from the operating system's account database, not from ``LOGNAME``
        or ``USER``, so a command never records ``unknown`` and cannot claim another name.

        Raises:
            AuthenticationFailed: a token was given and is not valid.
        """
        if self._principal is None:
            container = self.container
            token = self.token or container.settings().identity.token
            if token:
                self._principal = container.authenticate_token()(token)
            else:
                self._principal = container.resolve_local_principal()(os_login())
        return self._principal

    @property
    def container(self) -> Container:
        """The composition root, built from settings on first use."""
        if self._container is None:
            from edgedeploy.entrypoints.bootstrap import bootstrap

            self._container = bootstrap()
        return self._container

    @property
    def console(self) -> Console:
        """Rich console on stdout (results)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console()
            # Piped or captured output keeps each message on one line (ids stay greppable).
            self._console.soft_wrap = not self._console.is_terminal
        return self._console

    @property
    def err(self) -> Console:
        """Rich console on stderr (progress, diagnostics, errors)."""
        if self._err is None:
            from rich.console import Console

            self._err = Console(stderr=True)
        return self._err

    def close(self) -> None:
        """Release what the container opened (nothing when it was never built)."""
        if self._container is not None:
            from edgedeploy.entrypoints.bootstrap import close_container

            close_container(self._container)
            self._container = None


class Command(click.Command):
    """A click command whose help ends with one runnable example.

    The example is a separate attribute (not part of the docstring) so that tests can parse it
    against the command's own options and keep it truthful.
    """

    def __init__(self, *args: Any, example: str | None = None, remote: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.example = example
        self.remote = remote
        """The command has a path through a server's API (``--remote``)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; one that has no remote path refuses ``--remote`` (exit 2).

        Checked here, for every command at once, so that no command silently runs against
        the local home when the user asked for a server.
        """
        state = ctx.find_object(CliState)
        if not self.remote and state is not None and state.remote:
            raise click.UsageError(
                f"'{ctx.command_path}' runs only locally, not against a server: run it "
                "without --remote (and without EDGEDEPLOY_REMOTE) on the server's "
                "installation", ctx)
        return super().invoke(ctx)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Print the epilog, then the example verbatim (never re-wrapped)."""
        super().format_epilog(ctx, formatter)
        write_example(self.example, formatter)


class Group(click.Group):
    """A click group with an example; its commands and sub-groups get one as well."""

    command_class = Command
    group_class = type  # sub-groups are of this class too

    def __init__(self, *args: Any, example: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.example = example

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Print the epilog, then the example verbatim (never re-wrapped)."""
        super().format_epilog(ctx, formatter)
        write_example(self.example, formatter)


def write_example(example: str | None, formatter: click.HelpFormatter) -> None:
    """An ``Example:`` section whose lines are kept as written, so they can be copied."""
    if not example:
        return
    formatter.write_paragraph()
    formatter.write_text("Example:")
    formatter.indent()
    try:
        for line in example.splitlines():
            formatter.write(f"{'':>{formatter.current_indent}}{line}\n")
    finally:
        formatter.dedent()


class ModelVersionType(click.ParamType["ModelRef"]):
    """A ``NAME@VERSION`` argument or option, checked before anything else runs (exit 2)."""

    name = "NAME@VERSION"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """Show the form in usage lines and help."""
        return self.name

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> ModelRef:
        """Parse ``value`` into a :class:`ModelRef`; a malformed one is a usage error."""
        from edgedeploy.domain.models import InvalidModelVersion, ModelRef

        if isinstance(value, ModelRef):
            return value
        try:
            return ModelRef.parse(str(value))
        except InvalidModelVersion as exc:
            hint = "e.g. aeb@1.0.0" if "NAME@VERSION" in str(exc) else "in NAME@VERSION"
            self.fail(f"{exc} ({hint})", param, ctx)


MODEL_VERSION = ModelVersionType()


class LazyChoice(click.Choice[str]):
    """A choice among the values of a domain enum, read only when the choice is first needed.

    ``edgedeploy --help`` lists commands without touching their options, so the domain modules
    behind the choices stay unimported until a command's own help or parsing asks for them.
    """

    def __init__(self, enum_path: str, case_sensitive: bool = True) -> None:
        # click.Choice.__init__ would read the values now; the point is not to.
        self._enum_path = enum_path
        self._values: tuple[str, ...] | None = None
        self.case_sensitive = case_sensitive

    @property
    def choices(self) -> tuple[str, ...]:
        """The enum's values, in declaration order (``module:EnumName`` is imported once)."""
        if self._values is None:
            import importlib

            module, _, name = self._enum_path.partition(":")
            members = getattr(importlib.import_module(module), name)
            self._values = tuple(str(member.value) for member in members)
        return self._values

    @choices.setter
    def choices(self, values: tuple[str, ...]) -> None:
        self._values = tuple(values)


def to_json(value: Any) -> str:
    """Domain and application results as JSON (dataclasses, enums and times included)."""
    import msgspec

    return msgspec.json.encode(msgspec.to_builtins(value, builtin_types=())).decode()


def emit_json(value: Any) -> None:
    """Print one JSON document on stdout."""
    click.echo(to_json(value))


def json_option(func: F) -> F:
    """Add ``--json`` to a command: machine-readable output instead of tables."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print machine-readable JSON instead of tables.")(func)


def command_errors(func: F) -> F:
    """Report our errors as a message (or problem JSON) with the mapped exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            _report(exc, as_json=bool(kwargs.get("as_json")))
            sys.exit(_exit_code(exc))

    return wrapper  # type: ignore[return-value]


def _exit_code(error: Exception) -> int:
    from edgedeploy.entrypoints.errors import mapping_for

    return mapping_for(error).exit_code


def _report(error: Exception, *, as_json: bool) -> None:
    """The error as problem JSON on stdout (``--json``) or one line on stderr."""
    from edgedeploy.entrypoints.errors import error_code, mapping_for

    mapping = mapping_for(error)
    if mapping.status == 500:
        import structlog

        if not structlog.is_configured():
            # Failed before the container configured logging: stdout must stay pure JSON.
            from edgedeploy.entrypoints.logging import configure_logging

            configure_logging()
        structlog.get_logger(__name__).error("command.failed", exc_info=error)
    message = str(error) if mapping.status != 500 else f"internal error: {error!r}"
    code = error_code(error)
    if as_json:
        emit_json({"type": f"urn:problem:{code}", "title": mapping.title,
                   "status": mapping.status, "exit_code": mapping.exit_code, "detail": message})
        return
    state = click.get_current_context(silent=True)
    obj = state.find_object(CliState) if state is not None else None
    if obj is not None:
        from rich.text import Text

        obj.err.print(Text.assemble(("error", "bold red"), f" ({code}): {message}"))
    else:
        click.echo(f"error ({code}): {message}", err=True)


pass_state = click.make_pass_decorator(CliState, ensure=True)
