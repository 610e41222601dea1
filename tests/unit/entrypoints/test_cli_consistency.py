"""The CLI speaks one language: rules checked by walking the whole click command tree.

Every command that prints a result takes ``--json``; every option explains itself; every help
ends with one example that parses against the command it documents; every ``NAME@VERSION``
is validated before anything else runs (exit 2, no state touched).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edgedeploy.entrypoints.cli import cli
from edgedeploy.entrypoints.cli.context import ModelVersionType

Path_ = tuple[str, ...]


def walk(command: click.Command, path: Path_ = ()) -> Iterator[tuple[Path_, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


ALL = list(walk(cli))
LEAVES = [(path, command) for path, command in ALL if not isinstance(command, click.Group)]
MODEL_VERSION_COMMANDS = [
    (path, command, param) for path, command in LEAVES for param in command.params
    if isinstance(param.type, ModelVersionType)]


def ids(items: list[tuple[Path_, click.Command]]) -> list[str]:
    return [" ".join(path) or "edgedeploy" for path, *_ in items]


def test_the_walk_sees_every_command_including_the_list_commands():
    names = {" ".join(path) for path, _ in LEAVES}
    assert {"trace gate", "trace list", "rollout list", "drift list", "models list",
            "models register", "agent serve", "db upgrade", "doctor", "serve"} <= names
    assert len(LEAVES) >= 30


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=ids(LEAVES))
def test_every_command_takes_json(path, command):
    flags = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert "--json" in flags, f"edgedeploy {' '.join(path)} has no --json"


@pytest.mark.parametrize(("path", "command"), ALL, ids=ids(ALL))
def test_every_option_has_help_text(path, command):
    ctx = click.Context(command, info_name=path[-1] if path else "edgedeploy")
    missing = [param.name for param in command.get_params(ctx)
               if isinstance(param, click.Option) and not (param.help or "").strip()]
    assert missing == [], f"edgedeploy {' '.join(path)}: options without help: {missing}"


def _example_line(path: Path_) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="edgedeploy")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Example:" in [line.strip() for line in lines], result.output
    after = lines[[line.strip() for line in lines].index("Example:") + 1:]
    return next(line.strip() for line in after if line.strip())


def _tokens_after(path: Path_, example: str) -> list[str]:
    """The example's arguments past ``edgedeploy PATH`` (leading VAR=value are allowed)."""
    tokens = shlex.split(example)
    while tokens and "=" in tokens[0] and not tokens[0].startswith("-"):
        tokens.pop(0)
    assert tokens[: len(path) + 1] == ["edgedeploy", *path], (
        f"the example of edgedeploy {' '.join(path)} runs something else: {example}")
    return tokens[len(path) + 1:]


@pytest.mark.parametrize(("path", "command"), ALL, ids=ids(ALL))
def test_every_help_ends_with_an_example_of_that_very_command(path, command):
    example = _example_line(path)
    rest = _tokens_after(path, example)
    if isinstance(command, click.Group):
        assert path == () or rest, example
        return
    # The example parses: its options exist, its arguments are all there, and every value that
    # can be checked without touching the file system converts (choices, numbers, NAME@VERSION).
    ctx = click.Context(command, info_name=path[-1])
    values, extra, _order = command.make_parser(ctx).parse_args(args=rest)
    assert extra == [], f"{example}: unexpected {extra}"
    for param in command.get_params(ctx):
        if param.name not in values or isinstance(param.type, click.Path):
            continue
        value = values[param.name]
        if param.required or value is not None:
            for item in value if isinstance(value, list | tuple) else [value]:
                param.type.convert(item, param, ctx)
    missing = [p.name for p in command.params if p.required and p.name not in values]
    assert missing == [], f"{example}: missing {missing}"


def test_the_model_version_commands_are_the_expected_ones():
    names = {" ".join(path) for path, _, _ in MODEL_VERSION_COMMANDS}
    assert {"models register", "optimize", "verify", "trace gate", "deploy"} <= names


def _arguments_for(command: click.Command, target: click.Parameter, tmp: Path) -> list[str]:
    """The least a command needs to parse, with ``target`` set to a malformed version."""
    existing = tmp / "exists.bin"
    existing.write_bytes(b"x")
    args: list[str] = []
    for param in command.params:
        if param is target:
            value = "no-at-sign"
        elif not param.required:
            continue
        elif isinstance(param.type, click.Path):
            value = str(existing)
        elif isinstance(param.type, click.Choice):
            value = str(param.type.choices[0])
        elif isinstance(param.type, ModelVersionType):
            value = "aeb@1.0.0"
        else:
            value = "1"
        if isinstance(param, click.Option):
            args += [param.opts[0], value]
        else:
            args.append(value)
    return args


@pytest.mark.parametrize(("path", "command", "param"), MODEL_VERSION_COMMANDS,
                         ids=[f"{' '.join(p)}:{param.name}"
                              for p, _, param in MODEL_VERSION_COMMANDS])
def test_a_malformed_model_version_exits_2_before_any_state_is_touched(
        path, command, param, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("EDGEDEPLOY_HOME", str(home))
    args = _arguments_for(command, param, tmp_path)
    result = CliRunner().invoke(cli, [*path, *args], prog_name="edgedeploy")
    assert result.exit_code == 2, result.output
    assert "NAME@VERSION" in result.output
    assert "no-at-sign" in result.output
    assert not home.exists()  # rejected while parsing: no container, no database


def test_a_well_formed_model_version_passes_the_same_check():
    param = click.Argument(["model"], type=ModelVersionType())
    ref = param.type.convert("aeb@1.0.0", param, None)
    assert (ref.name, ref.version) == ("aeb", "1.0.0")
    with pytest.raises(click.BadParameter, match="NAME@VERSION"):
        param.type.convert("aeb@", param, None)
