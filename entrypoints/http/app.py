"""The Litestar application: ``/api/v1``, the health probes, and OpenAPI at ``/schema``."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from edgedeploy.entrypoints.container import Container
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

CONTROLLERS = (HealthController, TraceabilityController, ModelsController, JobsController,
               RolloutController, DriftController)


def openapi_config() -> OpenAPIConfig:
    """The OpenAPI document's metadata; handler docstrings become operation descriptions."""
    return OpenAPIConfig(
        title="edgedeploy", version=package_version(), path="/schema",
        description="Safety-gated release pipeline for ML models on automotive edge ECUs. "
                    "Errors are RFC 9457 problem details (``application/problem+json``) "
                    "whose ``type`` is ``urn:problem:<CODE>``.",
        use_handler_docstrings=True)


def create_app(container: Container) -> Litestar:
    """An app serving ``container``'s use cases; the caller owns the container's lifetime."""
    settings = container.settings()
    jobs = container.job_runner()
    # Drives roll-outs started over HTTP; see entrypoints.http.rollout.
    ticker = container.rollout_ticker()
    return Litestar(
        route_handlers=[*CONTROLLERS, metrics],
        dependencies=use_case_dependencies(container, jobs, ticker),
        before_request=require_declared_media_type,
        on_startup=[ticker.start],
        on_shutdown=[jobs.shutdown, ticker.stop],
        exception_handlers={Exception: handle_exception},
        request_max_body_size=settings.http.max_body_bytes,
        openapi_config=openapi_config(),
        debug=False,
    )
