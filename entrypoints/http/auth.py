"""Who calls the API and what they may do: bearer credentials, one permission per route.

Every route declares its permission with :func:`guarded` (or is :func:`public`); the app's
one guard authenticates the caller, checks that permission before anything is decoded, and
hands the :class:`Principal` to the handler as the ``principal`` dependency. A route that
declares neither stops the app at start-up, so a new route cannot be left open by mistake.

Credentials are ``Authorization: Bearer`` API tokens (``edt_…``) or, when configured, JWTs
from the organisation's identity provider. Nothing else (cookies, query parameters) is
read, so a browser cannot send them on its own: with CORS closed and simple media types
refused (see :mod:`~edgedeploy.entrypoints.http.media_types`), a cross-site form or
``fetch`` cannot change anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import anyio.to_thread
import structlog
from litestar import Controller, Litestar, Request, get
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ImproperlyConfiguredException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityScheme

from edgedeploy.application.errors import AuthenticationFailed
from edgedeploy.application.identity import token_id_of
from edgedeploy.application.identity.tokens import TOKEN_PREFIX
from edgedeploy.domain.identity import Forbidden, Permission, Principal, roles_granting
from edgedeploy.entrypoints.http.dto.identity import WhoAmIView
from edgedeploy.entrypoints.http.problems import problem_responses

log = structlog.get_logger(__name__)

PERMISSION = "permission"
PUBLIC = "public"
SECURITY_SCHEME = "bearer"
AUTHENTICATED = frozenset[Permission]()
"""The requirement of a route any authenticated principal may call, whatever its roles."""

Requirement = frozenset[Permission]
"""The permissions of which a route needs any one; empty: authentication alone."""

TokenAuthenticator = Callable[[str], Principal]
"""Authenticates an ``edt_`` API token; raises ``AuthenticationFailed``."""

JwtVerifier = Callable[[str], Principal]
"""Verifies a JWT from the organisation's identity provider; raises ``AuthenticationFailed``."""


def guarded(*permissions: Permission, **opt: Any) -> dict[str, Any]:
    """Route arguments declaring that the route needs any one of ``permissions``.

    ``opt`` adds other route options (``accepts``). The permission also appears in the
    OpenAPI document as the role list of the operation's bearer security requirement.
    """
    needed = frozenset(permissions)
    return {"opt": {**opt, PERMISSION: needed},
            "security": [{SECURITY_SCHEME: sorted(p.value for p in needed)}]}


def public() -> dict[str, Any]:
    """Route arguments for a route anyone may call (probes, the OpenAPI document)."""
    return {"opt": {PUBLIC: True}, "security": []}


def security_components() -> Components:
    """The OpenAPI declaration of the bearer scheme every guarded operation names."""
    return Components(security_schemes={SECURITY_SCHEME: SecurityScheme(
        type="http", scheme="bearer", bearer_format="edt_<id>_<secret> or JWT",
        description="An API token from ``edgedeploy auth token issue`` or, where the site "
                    "configured OIDC, a JWT from its identity provider. An operation's "
                    "security requirement lists the permissions of which it needs one.")})


class Authenticator:
    """Turns an ``Authorization`` header into a :class:`Principal`."""

    def __init__(self, tokens: TokenAuthenticator, jwt: JwtVerifier | None) -> None:
        self._tokens, self._jwt = tokens, jwt

    @property
    def methods(self) -> tuple[str, ...]:
        """The credentials this server accepts, for messages."""
        return ("API token", "OIDC JWT") if self._jwt is not None else ("API token",)

    def __call__(self, authorization: str | None) -> Principal:
        """The principal of a ``Bearer`` credential.

        Raises:
            AuthenticationFailed: no credential, another scheme, or one that does not verify.
        """
        if not authorization:
            raise AuthenticationFailed(
                f"this operation needs 'Authorization: Bearer <{' or '.join(self.methods)}>'")
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise AuthenticationFailed("the Authorization header must read 'Bearer <token>'")
        if credential.startswith(TOKEN_PREFIX):
            return self._tokens(credential)
        if self._jwt is None:
            raise AuthenticationFailed("the bearer token is not an edgedeploy API token, and "
                                       "this server accepts no OIDC tokens")
        return self._jwt(credential)


def _refusal(principal: Principal, needed: Requirement) -> Forbidden:
    if len(needed) == 1:
        try:
            principal.require(next(iter(needed)))
        except Forbidden as exc:
            return exc
    roles = sorted({role.value for permission in needed for role in roles_granting(permission)})
    held = ", ".join(sorted(role.value for role in principal.roles)) or "no role"
    actions = " or ".join(sorted(p.value for p in needed))
    return Forbidden(f"{principal.name} ({held}) may not {actions}: this needs the role "
                     f"{' or '.join(roles)}")


def authorization_guard(authenticate: Authenticator) -> Callable[..., Any]:
    """The app's guard: authenticate the caller and check the route's permission."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any],
                    handler: BaseRouteHandler) -> None:
        if handler.opt.get(PUBLIC) or connection.scope.get("method") == "OPTIONS":
            return
        needed: Requirement = handler.opt[PERMISSION]
        header = connection.headers.get("authorization")
        try:
            # Token look-ups hit the database and JWKS may be fetched: off the event loop.
            principal = await anyio.to_thread.run_sync(authenticate, header)
        except AuthenticationFailed as exc:
            log.warning("http.unauthenticated", path=connection.url.path, reason=exc.message,
                     token_id=token_id_of(_credential(header)))
            raise
        if needed and not any(principal.can(permission) for permission in needed):
            log.warning("http.forbidden", path=connection.url.path, principal=principal.name,
                     needed=sorted(p.value for p in needed))
            raise _refusal(principal, needed)
        connection.scope["user"] = principal

    return guard


def _credential(header: str | None) -> str:
    return (header or "").strip().partition(" ")[2].strip()


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The principal the guard authenticated for this request."""
    principal: Principal = request.scope["user"]
    return principal


PRINCIPAL_DEPENDENCY = Provide(provide_principal, sync_to_thread=False)


def check_route_permissions(app: Litestar) -> None:
    """Refuse to serve a route that declares neither a permission nor that it is public.

    Raises:
        ImproperlyConfiguredException: naming each such route.
    """
    undeclared: list[str] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            methods = set(getattr(handler, "http_methods", ())) - {"OPTIONS"}
            if methods and not handler.opt.get(PUBLIC) and PERMISSION not in handler.opt:
                undeclared.extend(f"{method} {route.path}" for method in sorted(methods))
    if undeclared:
        raise ImproperlyConfiguredException(
            f"routes without a declared permission: {', '.join(undeclared)}")


def declare_refusals(app: Litestar) -> None:
    """Declare on every guarded operation the refusals the app's guard answers for it.

    The guard refuses before the handler runs, so the handler's own ``responses`` cannot
    list them: 401 for every guarded route, 403 where a permission is needed. An operation
    that describes one of them itself keeps its own description.
    """
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if handler.opt.get(PUBLIC) or PERMISSION not in handler.opt:
                continue
            refusals = problem_responses(401, 403) if handler.opt[PERMISSION] else \
                problem_responses(401)
            handler.responses = {**refusals, **(handler.responses or {})}


def route_requirements(app: Litestar) -> Iterable[tuple[str, str, Requirement | None]]:
    """Every route's method, path and requirement (None: public), for tests and docs."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            for method in sorted(set(getattr(handler, "http_methods", ())) - {"OPTIONS"}):
                yield method, route.path, (None if handler.opt.get(PUBLIC)
                                           else handler.opt[PERMISSION])


class AuthController(Controller):
    """Who the API takes the caller for."""

    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/whoami", sync_to_thread=False, summary="The caller's identity",
         responses=problem_responses(401), **guarded())
    def whoami(self, principal: NamedDependency[Principal]) -> WhoAmIView:
        """The authenticated principal: name, roles, unit and how it authenticated.

        Any valid credential may ask, whatever its roles, so a client can check its token
        or its identity provider's group mapping before it acts.
        """
        return WhoAmIView(name=principal.name,
                          roles=sorted(role.value for role in principal.roles),
                          unit=principal.unit, authenticated_by=principal.kind,
                          permissions=sorted(p.value for p in principal.permissions))
