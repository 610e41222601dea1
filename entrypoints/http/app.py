"""The Litestar application: ``/api/v1``, the health probes, and OpenAPI at ``/schema``."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig

from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.http.auth import (
    PRINCIPAL_DEPENDENCY,
    AuthController,
    Authenticator,
    authorization_guard,
    check_route_permissions,
    declare_refusals,
    public,
    security_components,
)
from edgedeploy.entrypoints.http.dependencies import use_case_dependencies
from edgedeploy.entrypoints.http.drift import DriftController
from edgedeploy.entrypoints.http.health import HealthController, package_version
from edgedeploy.entrypoints.http.jobs import JobsController
from edgedeploy.entrypoints.http.media_types import require_declared_media_type
from edgedeploy.entrypoints.http.metrics import metrics
from edgedeploy.entrypoints.http.models import ModelsController
from edgedeploy.entrypoints.http.problems import handle_exception
from edgedeploy.entrypoints.http.rollout import RolloutController
from edgedeploy.entrypoints.http.traceability import TraceabilityController

CONTROLLERS = (HealthController, AuthController, TraceabilityController, ModelsController,
               JobsController, RolloutController, DriftController)


def openapi_config() -> OpenAPIConfig:
    """The OpenAPI document's metadata; handler docstrings become operation descriptions."""
    return OpenAPIConfig(
        title="edgedeploy", version=package_version(), path="/schema",
        description="Safety-gated release pipeline for ML models on automotive edge ECUs. "
                    "Errors are RFC 9457 problem details (``application/problem+json``) "
                    "whose ``type`` is ``urn:problem:<CODE>``. Every operation but the "
                    "probes and this document needs a bearer credential; its security "
                    "requirement lists the permissions of which it needs one.",
        use_handler_docstrings=True, components=security_components(),
        # The document describes the API to anyone who may reach it; it holds no data.
        openapi_router=Router(path="/schema", route_handlers=[], opt=public()["opt"],
                              include_in_schema=False))


def cors_config(origins: list[str]) -> CORSConfig | None:
    """CORS for the configured browser origins only; None (closed) when there are none.

    Credentials travel in the ``Authorization`` header, never in cookies, so no origin is
    ever allowed credentials.
    """
    if not origins:
        return None
    return CORSConfig(allow_origins=list(origins), allow_credentials=False,
                      allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                      allow_headers=["Authorization", "Content-Type"],
                      expose_headers=["Location", "WWW-Authenticate"], max_age=600)


def create_app(container: Container) -> Litestar:
    """An app serving ``container``'s use cases; the caller owns the container's lifetime."""
    settings = container.settings()
    jobs = container.job_runner()
    # Drives roll-outs started over HTTP; see entrypoints.http.rollout.
    ticker = container.rollout_ticker()
    authenticate = Authenticator(container.authenticate_token(), container.oidc_verifier())
    app = Litestar(
        route_handlers=[*CONTROLLERS, metrics],
        dependencies={**use_case_dependencies(container, jobs, ticker),
                      "principal": PRINCIPAL_DEPENDENCY},
        guards=[authorization_guard(authenticate)],
        cors_config=cors_config(settings.http.cors_origins),
        before_request=require_declared_media_type,
        on_startup=[ticker.start],
        on_shutdown=[jobs.shutdown, ticker.stop],
        exception_handlers={Exception: handle_exception},
        request_max_body_size=settings.http.max_body_bytes,
        openapi_config=openapi_config(),
        debug=False,
    )
    check_route_permissions(app)
    declare_refusals(app)
    return app
