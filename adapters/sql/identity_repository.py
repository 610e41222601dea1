"""Principals and API tokens over SQLAlchemy Core, inside one unit of work's session."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edgedeploy.adapters.sql.errors import translated
from edgedeploy.adapters.sql.identity_tables import api_tokens, principals
from edgedeploy.application.ports.identity import ApiToken, PrincipalRecord
from edgedeploy.domain.errors import Conflict
from edgedeploy.domain.identity import parse_roles


def _roles(value: Any) -> list[str]:
    return sorted(str(role) for role in value)


class SqlAlchemyPrincipalRepository:
    """Registered principals in table ``principals``."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._url = session.get_bind().engine.url

    def get(self, name: str) -> PrincipalRecord | None:
        """The principal called ``name``, or None."""
        with translated(self._url):
            row = self._session.execute(
                select(principals).where(principals.c.name == name)).mappings().one_or_none()
        return None if row is None else _principal(row)

    def add(self, record: PrincipalRecord) -> None:
        """Register ``record``; a taken name is a ``PRINCIPAL_DUPLICATE`` conflict."""
        values = {"name": record.name, "roles": _roles(record.roles), "unit": record.unit,
                  "created_at": record.created_at, "created_by": record.created_by,
                  "disabled": record.disabled}
        with translated(self._url):
            try:
                with self._session.begin_nested():
                    self._session.execute(insert(principals).values(values))
            except IntegrityError:
                raise Conflict(f"principal {record.name} already exists",
                               code="PRINCIPAL_DUPLICATE") from None

    def update(self, record: PrincipalRecord) -> None:
        """Store the roles, unit and disabled flag of ``record``."""
        with translated(self._url):
            self._session.execute(
                update(principals).where(principals.c.name == record.name).values(
                    roles=_roles(record.roles), unit=record.unit, disabled=record.disabled))

    def list(self) -> builtins.list[PrincipalRecord]:
        """Every principal, by name."""
        with translated(self._url):
            rows = self._session.execute(
                select(principals).order_by(principals.c.name)).mappings().all()
        return [_principal(row) for row in rows]


class SqlAlchemyTokenRepository:
    """API tokens in table ``api_tokens``."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._url = session.get_bind().engine.url

    def get(self, token_id: str) -> ApiToken | None:
        """The token ``token_id``, or None."""
        with translated(self._url):
            row = self._session.execute(
                select(api_tokens).where(api_tokens.c.token_id == token_id)
            ).mappings().one_or_none()
        return None if row is None else _token(row)

    def add(self, token: ApiToken) -> None:
        """Store ``token`` (its id is random; a clash is a conflict, not an overwrite)."""
        values = {"token_id": token.token_id, "principal": token.principal,
                  "salt": token.salt, "secret_hash": token.secret_hash,
                  "scope": _roles(token.scope), "created_at": token.created_at,
                  "expires_at": token.expires_at, "created_by": token.created_by,
                  "label": token.label, "revoked_at": token.revoked_at}
        with translated(self._url):
            try:
                with self._session.begin_nested():
                    self._session.execute(insert(api_tokens).values(values))
            except IntegrityError:
                raise Conflict(f"token id {token.token_id} is taken",
                               code="TOKEN_DUPLICATE") from None

    def revoke(self, token_id: str, at: datetime) -> bool:
        """Revoke ``token_id`` at ``at``; False when unknown or already revoked."""
        with translated(self._url):
            result = self._session.execute(
                update(api_tokens).where(api_tokens.c.token_id == token_id,
                                         api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at))
        return bool(getattr(result, "rowcount", 0))

    def list(self, principal: str | None = None) -> builtins.list[ApiToken]:
        """Every token (of ``principal``), oldest first."""
        query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.token_id)
        if principal is not None:
            query = query.where(api_tokens.c.principal == principal)
        with translated(self._url):
            rows = self._session.execute(query).mappings().all()
        return [_token(row) for row in rows]


def _principal(row: RowMapping) -> PrincipalRecord:
    return PrincipalRecord(row["name"], parse_roles(row["roles"]), row["unit"],
                           row["created_at"], row["created_by"], bool(row["disabled"]))


def _token(row: RowMapping) -> ApiToken:
    return ApiToken(row["token_id"], row["principal"], row["salt"], row["secret_hash"],
                    parse_roles(row["scope"]), row["created_at"], row["expires_at"],
                    row["created_by"], row["label"], row["revoked_at"])


__all__ = ["SqlAlchemyPrincipalRepository", "SqlAlchemyTokenRepository"]
