"""Ports for principals and API tokens: who exists, with which roles, and their credentials."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from edgedeploy.domain.identity import Principal, PrincipalKind, Role


@dataclass(frozen=True, slots=True)
class PrincipalRecord:
    """A registered principal: its roles and unit, and who registered it when."""

    name: str
    roles: frozenset[Role]
    unit: str
    created_at: datetime
    created_by: str
    disabled: bool = False

    def principal(self, kind: PrincipalKind) -> Principal:
        """The principal as authenticated through ``kind`` (no role when disabled)."""
        return Principal(self.name, frozenset() if self.disabled else self.roles, kind,
                         self.unit)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A stored API token: only a salted hash of its secret is kept.

    ``scope`` limits the token to some of its principal's roles; the principal's roles at the
    time of use still bound it, so revoking a role takes effect on every token at once.
    """

    token_id: str
    principal: str
    salt: str
    secret_hash: str
    scope: frozenset[Role]
    created_at: datetime
    expires_at: datetime
    created_by: str
    label: str = ""
    revoked_at: datetime | None = field(default=None)

    def active(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and now < self.expires_at


class PrincipalRepository(Protocol):
    """Registered principals, by name."""

    def get(self, name: str) -> PrincipalRecord | None:
        """The principal called ``name``, or None."""
        ...

    def add(self, record: PrincipalRecord) -> None:
        """Register a new principal.

        Raises:
            Conflict: ``PRINCIPAL_DUPLICATE`` when the name is taken.
        """
        ...

    def update(self, record: PrincipalRecord) -> None:
        """Store new roles, unit or disabled flag of an existing principal."""
        ...

    def list(self) -> builtins.list[PrincipalRecord]:
        """Every principal, by name."""
        ...


class TokenRepository(Protocol):
    """API tokens by id; the secret itself is never stored."""

    def get(self, token_id: str) -> ApiToken | None:
        """The token with ``token_id``, or None."""
        ...

    def add(self, token: ApiToken) -> None:
        """Store a new token."""
        ...

    def revoke(self, token_id: str, at: datetime) -> bool:
        """Mark the token revoked at ``at``; False when it did not exist or was revoked."""
        ...

    def list(self, principal: str | None = None) -> builtins.list[ApiToken]:
        """Every token (of ``principal``), oldest first."""
        ...


__all__ = ["ApiToken", "PrincipalRecord", "PrincipalRepository", "TokenRepository"]
