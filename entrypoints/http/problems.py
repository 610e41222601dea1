"""RFC 9457 problem details: every error the API returns, and how OpenAPI declares them."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec

from edgedeploy.application.errors import AuthenticationFailed, BackendUnavailable
from edgedeploy.application.rollout import ReleaseNotReady
from edgedeploy.domain.coverage import SafetyTraceGapError
from edgedeploy.entrypoints.errors import error_code, mapping_for
from edgedeploy.entrypoints.http.dto import GapView, ProbeView, ProblemView, ValidationErrorView

log = structlog.get_logger(__name__)
PROBLEM_JSON = "application/problem+json"

# Litestar's own HTTP errors, by status, as stable problem codes.
_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE",
               415: "UNSUPPORTED_MEDIA_TYPE"}

# What each status means on this API; an operation may say more precisely why it answers it.
DEFAULT_DESCRIPTIONS = {
    400: "The request does not match its schema: a field is missing, has the wrong type or "
         "lies outside its enumeration or bounds (``errors`` lists each one).",
    401: "No valid credential: send ``Authorization: Bearer <token>`` with a current API "
         "token or identity-provider JWT.",
    403: "The caller's roles do not grant this operation, or a separation-of-duties rule "
         "excludes the caller here (the detail names the role needed).",
    404: "Something the request names does not exist.",
    409: "Refused in the current state (a safety gate, a duplicate, a final roll-out).",
    413: "The request body is larger than the server accepts (``http.max_body_bytes``).",
    415: "The request body's media type is not one this operation accepts.",
    422: "Well-formed but breaks a rule (an invalid model version, an illegal link).",
    503: "A backend the operation needs is not available right now.",
}


class ServiceNotReady(BackendUnavailable):
    """A dependency the service needs did not answer; load balancers should wait."""

    code = "SERVICE_NOT_READY"

    def __init__(self, checks: list[ProbeView]) -> None:
        failing = ", ".join(c.name for c in checks if not c.ok)
        super().__init__(f"not ready: {failing} did not answer")
        self.checks = checks


class UnsupportedMediaType(HTTPException):
    """The body's media type is not one the operation declares (HTTP 415)."""

    status_code = 415


def problem_responses(*statuses: int, **why: str) -> dict[int, ResponseSpec]:
    """OpenAPI declarations of the problems an operation can answer.

    ``why`` gives an operation's own reason for a status, keyed ``s<status>`` (``s409="…"``).
    """
    return {status: ResponseSpec(data_container=ProblemView, media_type=PROBLEM_JSON,
                                 description=why.get(f"s{status}", DEFAULT_DESCRIPTIONS[status]),
                                 generate_examples=False)
            for status in statuses}


def problem(status: int, code: str, title: str, detail: str | None,
            instance: str, **members: Any) -> Response[ProblemView]:
    """A problem+json response; ``members`` are the extension members the problem carries."""
    body = ProblemView(type=f"urn:problem:{code}", title=title, status=status,
                       instance=instance, detail=detail or None, **members)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _validation_errors(extra: Any) -> list[ValidationErrorView]:
    if not isinstance(extra, list):
        return []
    return msgspec.convert([e for e in extra if isinstance(e, dict)],
                           list[ValidationErrorView], strict=False)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemView]:
    """Map the error table (and Litestar's own HTTP errors) to problem details."""
    path = request.url.path
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc.extra)
        # The detail names each field, so a client that reads only ``detail`` sees which.
        described = "; ".join([str(exc.detail), *(e.message for e in errors)])
        return problem(400, "INVALID_REQUEST", "Invalid request", described, path,
                       errors=errors)
    if isinstance(exc, HTTPException):
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if exc.detail and exc.detail != title else None
        return problem(exc.status_code, code, title, detail, path)
    mapping = mapping_for(exc)
    if mapping.status >= 500 and mapping.exit_code == 1:
        log.error("http.unhandled", path=path, exc_info=exc)
        return problem(500, "INTERNAL_ERROR", "Internal error", None, path)
    members: dict[str, Any] = {}
    if isinstance(exc, SafetyTraceGapError):
        members["gaps"] = [GapView(item=g.item, code=g.code, asil=g.asil, message=g.message)
                           for g in exc.gaps]
    if isinstance(exc, ReleaseNotReady):
        members["reasons"] = list(exc.reasons)
    if isinstance(exc, ServiceNotReady):
        members["checks"] = exc.checks
    detail = getattr(exc, "message", None) or str(exc)
    response = problem(mapping.status, error_code(exc), mapping.title, detail, path, **members)
    if isinstance(exc, AuthenticationFailed):
        # RFC 6750, 3: a 401 names the scheme the client should authenticate with.
        response.headers["WWW-Authenticate"] = 'Bearer realm="edgedeploy"'
    return response
