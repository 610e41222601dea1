"""The Litestar application: ``/api/v1`` plus OpenAPI at ``/schema``."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig

from edgedeploy.application.jobs import JobRunner
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.http.drift import DriftController
from edgedeploy.entrypoints.http.jobs import JobsController
from edgedeploy.entrypoints.http.problems import handle_exception
from edgedeploy.entrypoints.http.rollout import RolloutController, RolloutTicker
from edgedeploy.entrypoints.http.routes import TraceabilityController


def create_app(container: Container) -> Litestar:
    """An app serving ``container``'s use cases; the caller owns the container's lifetime."""
    settings = container.settings()
    jobs = JobRunner(container.clock())
    # Drives roll-outs started over HTTP; see entrypoints.http.rollout.
    ticker = RolloutTicker(container)
    return Litestar(
        route_handlers=[TraceabilityController, JobsController, RolloutController,
                        DriftController],
        state=State({"container": container, "jobs": jobs, "rollout_ticker": ticker}),
        on_startup=[ticker.start],
        on_shutdown=[jobs.shutdown, ticker.stop],
        exception_handlers={Exception: handle_exception},
        request_max_body_size=settings.http.max_body_bytes,
        openapi_config=OpenAPIConfig(title="edgedeploy", version="1.0.0", path="/schema",
                                     description="Safety-gated release pipeline for ML models "
                                                 "on automotive edge ECUs."),
        debug=False,
    )
