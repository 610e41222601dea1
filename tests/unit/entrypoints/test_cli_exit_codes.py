"""Exit codes as the README defines them, from the one error table the CLI and HTTP share."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from edgedeploy.application.errors import (
    ApplicationError,
    BackendUnavailable,
    CapabilityNotSupported,
    ImportRefused,
    InvalidInput,
)
from edgedeploy.domain.errors import Conflict, DomainError, InvariantViolation, NotFound
from edgedeploy.domain.models import DigestMismatch, InvalidModelVersion, ModelVersionNotFound
from edgedeploy.entrypoints.cli.context import Command, command_errors, json_option
from edgedeploy.entrypoints.errors import mapping_for

# README: 0 success, 2 invalid input, 3 refused by a rule or gate, 4 not found,
# 5 backend unavailable, 1 internal error.
TABLE = [
    (InvalidInput("unreadable"), 2),
    (ImportRefused("a.reqif", "line 3", "SYS-1", "bad ASIL"), 2),
    (InvalidModelVersion("'aeb' is not a model version"), 2),
    (InvariantViolation("plan breaks a rule"), 3),
    (Conflict("stage transition refused"), 3),
    (DigestMismatch("other bytes"), 3),
    (DomainError("some rule"), 3),
    (NotFound("no such requirement"), 4),
    (ModelVersionNotFound("aeb@9"), 4),
    (BackendUnavailable("database unreachable"), 5),
    (CapabilityNotSupported("no int8 backend"), 5),
    (ApplicationError("unexpected application state"), 1),
    (RuntimeError("bug"), 1),
]


@pytest.mark.parametrize(("error", "exit_code"), TABLE, ids=[type(e).__name__ for e, _ in TABLE])
def test_each_error_class_maps_to_its_readme_exit_code(error, exit_code):
    assert mapping_for(error).exit_code == exit_code


def _raising(error: Exception) -> click.Command:
    @click.command(cls=Command, example="edgedeploy fail")
    @json_option
    @command_errors
    def fail(as_json: bool) -> None:
        """Raise the error under test."""
        raise error

    return fail


@pytest.mark.parametrize(("error", "exit_code"), TABLE, ids=[type(e).__name__ for e, _ in TABLE])
def test_a_command_exits_with_the_mapped_code_and_a_problem_document(error, exit_code):
    result = CliRunner().invoke(_raising(error), ["--json"])
    assert result.exit_code == exit_code
    problem = json.loads(result.stdout)
    assert problem["exit_code"] == exit_code
    assert problem["type"].startswith("urn:problem:")
    if exit_code == 1:
        assert problem["type"] == "urn:problem:INTERNAL_ERROR" or isinstance(
            error, ApplicationError)


def test_without_json_the_error_is_one_line_on_stderr():
    result = CliRunner().invoke(_raising(NotFound("no such requirement SYS-9")), [])
    assert result.exit_code == 4
    assert result.stdout == ""
    assert "SYS-9" in result.stderr and "NOT_FOUND" in result.stderr
