"""Which request bodies an operation accepts; anything else is answered 415 before decoding.

Litestar decodes a ``data`` body as JSON whatever the ``Content-Type`` says, so a form post or
a ``text/plain`` body that happens to parse would be accepted silently. Every operation that
takes a body therefore declares its media types (JSON unless an ``accepts`` option says
otherwise), and this hook refuses the rest with a problem+json 415 before any decoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from edgedeploy.entrypoints.http.problems import UnsupportedMediaType

JSON = "application/json"
OCTET_STREAM = "application/octet-stream"
ACCEPTS_JSON: frozenset[str] = frozenset({JSON})

REQUIREMENT_FILES: frozenset[str] = frozenset({
    OCTET_STREAM, "application/xml", "text/xml", "application/zip", "text/csv",
    "application/yaml", "application/x-yaml", "text/yaml",
})
"""Media types of requirement files (ReqIF, ReqIFz, CSV, YAML); the file name picks the reader."""

MODEL_FILES: frozenset[str] = frozenset({OCTET_STREAM})
"""A model file is opaque bytes; its digest fixes it."""


def accepts(media_types: frozenset[str]) -> dict[str, Any]:
    """The route option declaring the body media types an operation takes."""
    return {"accepts": media_types}


def raw_body_operation(media_types: frozenset[str], description: str) -> type[Operation]:
    """An OpenAPI operation declaring a raw file body in each of ``media_types``.

    Handlers that read the body themselves (files are not JSON) have no ``data`` parameter
    for Litestar to describe, so the request body is declared here instead.
    """
    body = RequestBody(
        content={media_type: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING,
                                                            format=OpenAPIFormat.BINARY))
                 for media_type in sorted(media_types)},
        description=description, required=True)

    @dataclass
    class RawBodyOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    return RawBodyOperation


def _file_schema(media_type: str) -> Schema:
    # A JSON document (JSON-LD) is parsed by clients, so it is declared as JSON, not bytes.
    if media_type == JSON or media_type.endswith("+json"):
        return Schema(type=[OpenAPIType.OBJECT, OpenAPIType.ARRAY])
    return Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


def file_response_operation(media_types: frozenset[str], description: str) -> type[Operation]:
    """An OpenAPI operation whose success answer is a file in any one of ``media_types``.

    A route declares one ``media_type``; an operation whose answer's media type follows a
    parameter (an export format) lists every one it can send here instead.
    """
    content = {media_type: OpenAPIMediaType(schema=_file_schema(media_type))
               for media_type in sorted(media_types)}

    @dataclass
    class FileResponseOperation(Operation):
        def __post_init__(self) -> None:
            for status, response in (self.responses or {}).items():
                if status.startswith("2") and isinstance(response, OpenAPIResponse):
                    response.content = dict(content)
                    response.description = description

    return FileResponseOperation


def _has_body(request: Request[Any, Any, Any]) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in request.headers


def require_declared_media_type(request: Request[Any, Any, Any]) -> None:
    """Refuse a body whose media type the operation does not declare (HTTP 415).

    A body without ``Content-Type`` is ``application/octet-stream`` (RFC 9110, 8.3), so it
    reaches only operations that take raw files.

    Raises:
        UnsupportedMediaType: the body's media type is not declared for the operation.
    """
    if request.method in ("GET", "HEAD", "OPTIONS") or not _has_body(request):
        return
    declared: frozenset[str] = request.route_handler.opt.get("accepts", ACCEPTS_JSON)
    media_type = request.content_type[0].lower() or OCTET_STREAM
    if media_type not in declared:
        raise UnsupportedMediaType(
            detail=f"this operation takes {', '.join(sorted(declared))}, not {media_type}")
