"""One table from error class to HTTP status, problem type and CLI exit code.

The exit codes are the README's: 0 success, 2 invalid input, 3 refused by a rule or gate,
4 not found, 5 backend unavailable, 1 internal error.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgedeploy.application.errors import (
    ApplicationError,
    AuthenticationFailed,
    BackendUnavailable,
    CapabilityNotSupported,
    ImportTooLarge,
    InvalidInput,
)
from edgedeploy.application.models import ModelBuilderNotAllowed
from edgedeploy.application.optimization import UnsafeModelFile
from edgedeploy.application.ports.model_files import InvalidModelFile
from edgedeploy.domain.errors import Conflict, DomainError, InvariantViolation, NotFound
from edgedeploy.domain.identity import Forbidden
from edgedeploy.domain.models import InvalidModelVersion


@dataclass(frozen=True, slots=True)
class ErrorMapping:
    """How one error class is reported."""

    status: int
    exit_code: int
    title: str


# Most specific first: the first matching class wins.
ERROR_TABLE: tuple[tuple[type[Exception], ErrorMapping], ...] = (
    # A malformed NAME@VERSION is a typing mistake, not a rule the release broke: exit 2.
    # HTTP keeps 422, since the request was well-formed and only the path value is not.
    (InvalidModelVersion, ErrorMapping(422, 2, "Invalid model version")),
    (NotFound, ErrorMapping(404, 4, "Not found")),
    # Who the caller is and what they may do: refused like a gate in the CLI (exit 3).
    (AuthenticationFailed, ErrorMapping(401, 3, "Authentication required")),
    (Forbidden, ErrorMapping(403, 3, "Forbidden")),
    (Conflict, ErrorMapping(409, 3, "Refused in the current state")),
    (InvariantViolation, ErrorMapping(422, 3, "Rule violated")),
    # The file was read and understood, and it is refused for what it would do: 422, exit 2.
    (UnsafeModelFile, ErrorMapping(422, 2, "Unsafe model file")),
    (InvalidModelFile, ErrorMapping(422, 2, "Invalid model file")),
    (ModelBuilderNotAllowed, ErrorMapping(422, 2, "Model builder not allowed")),
    # A file over an import size limit is bad input too (exit 2), reported as HTTP 413.
    (ImportTooLarge, ErrorMapping(413, 2, "Import too large")),
    (InvalidInput, ErrorMapping(400, 2, "Invalid input")),
    (CapabilityNotSupported, ErrorMapping(422, 5, "Capability not supported")),
    (BackendUnavailable, ErrorMapping(503, 5, "Backend unavailable")),
    (DomainError, ErrorMapping(422, 3, "Rule violated")),
    (ApplicationError, ErrorMapping(500, 1, "Application error")),
)
INTERNAL = ErrorMapping(500, 1, "Internal error")


def mapping_for(error: BaseException) -> ErrorMapping:
    """The mapping for an error (internal error when it is none of ours)."""
    for cls, mapping in ERROR_TABLE:
        if isinstance(error, cls):
            return mapping
    return INTERNAL


def error_code(error: BaseException) -> str:
    """The stable code of one of our errors, else ``INTERNAL_ERROR``."""
    if isinstance(error, DomainError | ApplicationError):
        return error.code
    return "INTERNAL_ERROR"
