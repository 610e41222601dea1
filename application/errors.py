"""Errors the application layer raises besides the domain's own."""

from __future__ import annotations


class ApplicationError(Exception):
    """Base of application-level failures; ``code`` is stable for tools."""

    code: str = "APPLICATION_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(ApplicationError):
    """Input cannot be read at all (bad XML, wrong columns, unreadable file): HTTP 400, exit 2."""

    code = "INVALID_INPUT"


class ImportRefused(InvalidInput):
    """A requirements file was refused as a whole; nothing was written.

    The message names the file, the element or line, and the identifier concerned.
    """

    code = "IMPORT_REFUSED"

    def __init__(self, file: str, location: str, item: str | None, problem: str) -> None:
        self.file, self.location, self.item, self.problem = file, location, item, problem
        where = f"{file}, {location}" if location else file
        subject = f" [{item}]" if item else ""
        super().__init__(f"{where}{subject}: {problem}")


class ImportTooLarge(ImportRefused):
    """A requirements import exceeds a size limit (``interchange.max_*``): HTTP 413, exit 2.

    Raised while reading, before the oversized part is held in memory whole; nothing was
    written.
    """

    code = "IMPORT_TOO_LARGE"


class CapabilityNotSupported(ApplicationError):
    """No available backend offers what was asked for: HTTP 422, exit 5."""

    code = "CAPABILITY_NOT_SUPPORTED"


class BackendUnavailable(ApplicationError):
    """A backend or service exists but cannot be used now: HTTP 503, exit 5."""

    code = "BACKEND_UNAVAILABLE"


class AuthenticationFailed(ApplicationError):
    """No valid credentials: HTTP 401 (with ``WWW-Authenticate``), exit 3.

    The message says what was wrong (missing, unknown, expired, revoked) and never repeats the
    credential itself.
    """

    code = "UNAUTHENTICATED"
