"""RFC 9457 problem details for every error the API can return."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from edgedeploy.application.rollout import ReleaseNotReady
from edgedeploy.domain.coverage import SafetyTraceGapError
from edgedeploy.entrypoints.errors import error_code, mapping_for

log = structlog.get_logger(__name__)
PROBLEM_JSON = "application/problem+json"


def problem(status: int, code: str, title: str, detail: str | None,
            instance: str, **extensions: Any) -> Response[dict[str, Any]]:
    """A problem+json response."""
    body: dict[str, Any] = {"type": f"urn:problem:{code}", "title": title, "status": status,
                            "instance": instance}
    if detail:
        body["detail"] = detail
    body.update(extensions)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Map our error table (and Litestar's own HTTP errors) to problem details."""
    path = request.url.path
    if isinstance(exc, ValidationException):
        return problem(400, "INVALID_REQUEST", "Invalid request", str(exc.detail), path,
                       errors=exc.extra or [])
    if isinstance(exc, HTTPException):
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE"}.get(
            exc.status_code, "HTTP_ERROR")
        return problem(exc.status_code, code, exc.detail or "HTTP error", None, path)
    mapping = mapping_for(exc)
    if mapping.status >= 500 and mapping.exit_code == 1:
        log.error("http.unhandled", path=path, exc_info=exc)
        return problem(500, "INTERNAL_ERROR", "Internal error", None, path)
    extensions: dict[str, Any] = {}
    if isinstance(exc, SafetyTraceGapError):
        extensions["gaps"] = [{"item": g.item, "code": g.code.value, "asil": g.asil.value,
                               "message": g.message} for g in exc.gaps]
    if isinstance(exc, ReleaseNotReady):
        extensions["reasons"] = list(exc.reasons)
    detail = getattr(exc, "message", None) or str(exc)
    return problem(mapping.status, error_code(exc), mapping.title, detail, path, **extensions)
