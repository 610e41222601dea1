"""The domain's error taxonomy.

Every error carries a stable ``code`` so that the HTTP problem type and the CLI exit code can be
derived from the class alone (see ``entrypoints/errors.py``).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain refuses to break."""

    code: str = "DOMAIN_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvariantViolation(DomainError):
    """A value or plan breaks a rule of the domain (bad plan, illegal ASIL combination)."""

    code = "INVARIANT_VIOLATION"


class NotFound(DomainError):
    """Something the caller named does not exist."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    """The request is well formed but refused in the current state (including safety gates)."""

    code = "CONFLICT"
