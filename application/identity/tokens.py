"""API tokens: issued once, stored as a salted hash, scoped, expiring, revocable.

A token reads ``edt_<id>_<secret>``. The id finds the stored record without revealing the
secret; the secret is 256 random bits, so a salted SHA-256 compared in constant time is as
strong as a slow password hash here and keeps authentication cheap on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from edgedeploy.application.errors import AuthenticationFailed
from edgedeploy.application.ports.identity import ApiToken
from edgedeploy.application.ports.persistence import UnitOfWork
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.audit import next_entry
from edgedeploy.domain.errors import InvariantViolation, NotFound
from edgedeploy.domain.identity import Permission, Principal, PrincipalKind, Role

TOKEN_PREFIX = "edt_"
_TOKEN = re.compile(r"edt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
MAX_LIFETIME = timedelta(days=366)


def _hash(salt: str, secret: str) -> str:
    return "sha256:" + hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def token_id_of(token: str) -> str | None:
    """The id part of a well-formed token (safe to log), else None."""
    match = _TOKEN.fullmatch(token)
    return None if match is None else match.group(1)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: ``secret`` is the only copy and is shown to the caller once."""

    record: ApiToken
    secret: str


class IssueToken:
    """Create an API token for a registered principal (``admin``, or a principal for itself)."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    def __call__(self, principal: str, *, by: Principal, lifetime: timedelta,
                 scope: frozenset[Role] | None = None, label: str = "") -> IssuedToken:
        """Issue a token for ``principal`` limited to ``scope`` (its roles by default).

        Raises:
            Forbidden: ``by`` is neither an admin nor ``principal`` itself.
            NotFound: ``principal`` is not registered.
            InvariantViolation: a lifetime outside (0, 366 days], or a scope wider than the
                principal's roles.
        """
        if by.name != principal:
            by.require(Permission.MANAGE_PRINCIPALS)
        if not timedelta(0) < lifetime <= MAX_LIFETIME:
            raise InvariantViolation(f"a token lives between a second and {MAX_LIFETIME.days} "
                                     f"days, not {lifetime}", code="TOKEN_LIFETIME_INVALID")
        now = self._clock.now()
        with self._uow() as uow:
            record = uow.principals.get(principal)
            if record is None:
                raise NotFound(f"no principal {principal}; add it with 'edgedeploy auth "
                               "principal add' first", code="PRINCIPAL_NOT_FOUND")
            granted = record.roles if scope is None else scope
            extra = granted - record.roles
            if extra:
                raise InvariantViolation(
                    f"{principal} does not hold {', '.join(sorted(extra))}: a token cannot "
                    "carry more than its principal's roles", code="TOKEN_SCOPE_INVALID")
            token_id, secret, salt = (secrets.token_hex(8), secrets.token_urlsafe(32),
                                      secrets.token_hex(16))
            token = ApiToken(token_id, principal, salt, _hash(salt, secret), frozenset(granted),
                             now, now + lifetime, by.name, label)
            uow.tokens.add(token)
            uow.audit.append(next_entry(
                uow.audit.last(), now, f"principal:{principal}", "token-issued", "issued",
                by.name, {"token_id": token_id, "scope": sorted(granted),
                          "expires_at": token.expires_at.isoformat(), "label": label}))
            uow.commit()
        return IssuedToken(token, f"{TOKEN_PREFIX}{token_id}_{secret}")


class RevokeToken:
    """Revoke a token at once (``admin``, or the token's own principal)."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    def __call__(self, token_id: str, *, by: Principal) -> ApiToken:
        """Revoke ``token_id``.

        Raises:
            NotFound: no such token.
            Forbidden: ``by`` is neither an admin nor the token's principal.
        """
        now = self._clock.now()
        with self._uow() as uow:
            token = uow.tokens.get(token_id)
            if token is None:
                raise NotFound(f"no token {token_id}", code="TOKEN_NOT_FOUND")
            if by.name != token.principal:
                by.require(Permission.MANAGE_PRINCIPALS)
            if uow.tokens.revoke(token_id, now):
                uow.audit.append(next_entry(
                    uow.audit.last(), now, f"principal:{token.principal}", "token-revoked",
                    "revoked", by.name, {"token_id": token_id}))
            uow.commit()
            revoked = uow.tokens.get(token_id)
        assert revoked is not None
        return revoked


class ListTokens:
    """Tokens without their secrets: every token for an admin, one's own otherwise."""

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    def __call__(self, *, by: Principal, principal: str | None = None) -> list[ApiToken]:
        """The tokens of ``principal`` (all when None and ``by`` is an admin)."""
        if principal != by.name:
            by.require(Permission.MANAGE_PRINCIPALS)
        with self._uow() as uow:
            return uow.tokens.list(principal)


class AuthenticateToken:
    """The principal a presented bearer token stands for, limited to the token's scope."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    def __call__(self, presented: str) -> Principal:
        """Authenticate ``presented``.

        Raises:
            AuthenticationFailed: malformed, unknown, expired or revoked token, or a disabled
                principal (the message names which, never the token).
        """
        match = _TOKEN.fullmatch(presented.strip())
        if match is None:
            raise AuthenticationFailed("the bearer token is not an edgedeploy API token")
        token_id, secret = match.groups()
        with self._uow() as uow:
            token = uow.tokens.get(token_id)
            record = None if token is None else uow.principals.get(token.principal)
        if token is None or not hmac.compare_digest(token.secret_hash,
                                                     _hash(token.salt, secret)):
            raise AuthenticationFailed(f"token {token_id} is not valid")
        now = self._clock.now()
        if token.revoked_at is not None:
            raise AuthenticationFailed(f"token {token_id} was revoked")
        if now >= token.expires_at:
            raise AuthenticationFailed(f"token {token_id} expired at "
                                       f"{token.expires_at.isoformat()}")
        if record is None or record.disabled:
            raise AuthenticationFailed(f"the principal of token {token_id} is disabled")
        return record.principal(PrincipalKind.TOKEN).scoped(token.scope)


__all__ = ["AuthenticateToken", "IssueToken", "IssuedToken", "ListTokens", "RevokeToken",
           "token_id_of"]
