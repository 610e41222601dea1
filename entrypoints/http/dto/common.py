"""What every capability's DTOs share: bounded text, problem details, the conversion helper."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from litestar.params import PathParameter

from edgedeploy.domain.coverage import GapCode
from edgedeploy.domain.safety import ASIL

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=200,
                                 description="An item identifier as the trace graph holds it.")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text = Annotated[str, msgspec.Meta(max_length=4000)]

_SEGMENT = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
ModelVersionPath = Annotated[str, PathParameter(
    description="A model version, ``name@version``; each part 1-128 letters, digits, "
                "'.', '_' or '-'.",
    # Declared for clients (and generated tests); the handler's parse gives the 422.
    schema_extra={"pattern": f"^{_SEGMENT}@{_SEGMENT}$"})]
DigestPath = Annotated[str, PathParameter(
    description="A stored file's digest, ``sha256:<64 lower-case hex>``.",
    schema_extra={"pattern": "^sha256:[0-9a-f]{64}$"})]

ViewT = TypeVar("ViewT")


def view(value: object, cls: type[ViewT], **extra: Any) -> ViewT:
    """Convert a domain or application result into its DTO.

    The result is taken apart into plain data first, so a view declares only the fields the
    API promises: fields a use case adds later stay internal until a view names them.
    ``extra`` supplies derived fields (properties are not part of the plain data).
    """
    raw = msgspec.to_builtins(value, enc_hook=str)
    if isinstance(raw, dict):
        raw.update(extra)
    return msgspec.convert(raw, cls, strict=False)


class GapView(msgspec.Struct, kw_only=True):
    """One gap in a trace: the item, the rule it misses and the ASIL that demands it."""

    item: str
    code: GapCode
    asil: ASIL
    message: str


class ValidationErrorView(msgspec.Struct, kw_only=True):
    """One field a request got wrong."""

    message: str
    key: str | None = None
    source: str | None = None


class ProbeView(msgspec.Struct, kw_only=True):
    """One dependency the service needs, and whether it answered."""

    name: str
    ok: bool
    detail: str = ""


class ProblemView(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details (``application/problem+json``).

    ``type`` is ``urn:problem:<CODE>`` with a stable code a client can branch on; the
    optional members appear only for the problems that carry them.
    """

    type: str
    title: str
    status: int
    instance: str
    detail: str | None = None
    gaps: list[GapView] | None = None
    reasons: list[str] | None = None
    errors: list[ValidationErrorView] | None = None
    checks: list[ProbeView] | None = None
