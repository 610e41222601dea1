"""DTOs of the caller's identity."""

from __future__ import annotations

import msgspec

from edgedeploy.domain.identity import PrincipalKind


class WhoAmIView(msgspec.Struct, kw_only=True):
    """The authenticated principal as the API sees it."""

    name: str
    roles: list[str]
    unit: str
    authenticated_by: PrincipalKind
    permissions: list[str]


__all__ = ["WhoAmIView"]
