"""JWTs from the organisation's identity provider (OIDC), verified against its JWKS.

The service never talks to the provider on a request's path except to fetch signing keys,
which :class:`jwt.PyJWKClient` caches; a key set can also be a file, for sites where the
service reaches no identity provider. Roles are not taken from the token as such: the
provider's groups are mapped through the configured ``role_map``, so a group the site did not
map grants nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from edgedeploy.application.errors import AuthenticationFailed
from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.identity import Principal, PrincipalKind, Role, parse_roles


@dataclass(frozen=True, slots=True)
class OidcClaims:
    """Which claims carry the caller's name, groups and organisation unit."""

    name_claim: str = "preferred_username"
    role_claim: str = "groups"
    unit_claim: str = ""
    role_map: Mapping[str, frozenset[Role]] = field(default_factory=dict)


class _FileKeys:
    """Signing keys read once from a JWKS file."""

    def __init__(self, path: Path) -> None:
        try:
            self._keys = jwt.PyJWKSet.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, jwt.PyJWKSetError) as exc:
            raise InvariantViolation(f"identity.oidc.jwks_file {path}: not a readable JWKS "
                                     f"({exc})", code="OIDC_JWKS_INVALID") from exc

    def signing_key(self, token: str) -> jwt.PyJWK:
        kid = jwt.get_unverified_header(token).get("kid")
        candidates = [key for key in self._keys.keys if kid is None or key.key_id == kid]
        if not candidates:
            raise AuthenticationFailed("the token's signing key is not in the identity "
                                       "provider's key set")
        return candidates[0]


class _UrlKeys:
    """Signing keys fetched from the provider's JWKS endpoint and cached by PyJWT."""

    def __init__(self, url: str) -> None:
        self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=600, timeout=10)

    def signing_key(self, token: str) -> jwt.PyJWK:
        try:
            return self._client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthenticationFailed("the identity provider's key set could not be fetched; "
                                       "try again") from exc


class PyJwtOidcVerifier:
    """Verify an OIDC JWT and map it to a :class:`Principal` of kind ``oidc``."""

    def __init__(self, *, issuer: str, audience: str, algorithms: Sequence[str],
                 claims: OidcClaims, jwks_file: str = "", jwks_url: str = "",
                 leeway_s: float = 30.0) -> None:
        """Check the configuration now, so that a wrong one stops the service at start-up.

        Raises:
            InvariantViolation: no audience, no key source (or both), or an unreadable
                JWKS file.
        """
        if not audience:
            raise InvariantViolation("identity.oidc.audience must be set with issuer: a token "
                                     "for another service must not be accepted here",
                                     code="OIDC_SETTINGS_INVALID")
        if bool(jwks_file) == bool(jwks_url):
            raise InvariantViolation("identity.oidc needs exactly one of jwks_file and "
                                     "jwks_url", code="OIDC_SETTINGS_INVALID")
        self._keys = _FileKeys(Path(jwks_file)) if jwks_file else _UrlKeys(jwks_url)
        self._issuer, self._audience = issuer, audience
        self._algorithms = list(algorithms)
        self._claims, self._leeway = claims, leeway_s

    def __call__(self, token: str) -> Principal:
        """The principal ``token`` stands for.

        Raises:
            AuthenticationFailed: a bad signature, another issuer or audience, an expired or
                not yet valid token, or a missing or invalid name claim (the message says
                which, never the token).
        """
        try:
            key = self._keys.signing_key(token)
            payload: dict[str, Any] = jwt.decode(
                token, key, algorithms=self._algorithms, audience=self._audience,
                issuer=self._issuer, leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationFailed("the identity provider's token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationFailed("the token is not meant for this service "
                                       "(audience)") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationFailed("the token comes from another issuer") from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed(f"the token is not valid: {exc}") from exc
        return self._principal(payload)

    def _principal(self, payload: Mapping[str, Any]) -> Principal:
        claims = self._claims
        name = payload.get(claims.name_claim)
        unit = payload.get(claims.unit_claim, "") if claims.unit_claim else ""
        if not isinstance(name, str) or not isinstance(unit, str):
            raise AuthenticationFailed(f"the token's '{claims.name_claim}' claim does not "
                                       "name the caller")
        roles: set[Role] = set()
        for group in _values(payload.get(claims.role_claim)):
            roles |= claims.role_map.get(group, frozenset())
        try:
            return Principal(name, frozenset(roles), PrincipalKind.OIDC, unit)
        except InvariantViolation as exc:
            raise AuthenticationFailed(f"the token's claims are not usable: {exc}") from exc


def _values(claim: object) -> Iterable[str]:
    """A claim's values: a list of strings, or one space-separated string (as ``scope``)."""
    if isinstance(claim, str):
        return claim.split()
    if isinstance(claim, list):
        return [value for value in claim if isinstance(value, str)]
    return []


def role_map(raw: Mapping[str, Iterable[str]]) -> dict[str, frozenset[Role]]:
    """The configured group-to-roles map with each role checked.

    Raises:
        InvariantViolation: ``ROLE_UNKNOWN`` for a role name that is not a role.
    """
    return {group: parse_roles(names) for group, names in raw.items()}


__all__ = ["OidcClaims", "PyJwtOidcVerifier", "role_map"]
