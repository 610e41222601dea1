"""Liveness and readiness probes for orchestrators and load balancers.

``/healthz`` answers as long as the process serves requests (restart it when it does not);
``/readyz`` answers 200 only when the database and the trace store respond (send traffic
elsewhere, without restarting, while they do not: 503 problem+json listing each probe).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from litestar import Controller, get
from litestar.di import NamedDependency

from edgedeploy.domain.requirements import ItemId
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.http.auth import public
from edgedeploy.entrypoints.http.dto import ProbeView
from edgedeploy.entrypoints.http.dto.health import LivenessView, ServiceReadinessView
from edgedeploy.entrypoints.http.problems import ServiceNotReady, problem_responses

Probe = Callable[[], None]
"""Raises when the dependency it checks does not answer."""


@cache
def package_version() -> str:
    """The installed distribution's version, which the API and its OpenAPI document report."""
    try:
        return version("edgedeploy")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


@dataclass(frozen=True, slots=True)
class ReadinessProbes:
    """Named probes of the dependencies every request path needs."""

    probes: tuple[tuple[str, Probe], ...]

    @classmethod
    def of(cls, container: Container) -> ReadinessProbes:
        """Probe the container's database (a round trip) and trace store (a point lookup)."""

        def database() -> None:
            # The first use also applies pending migrations, as any request would.
            with container.engine().connect() as connection:
                connection.exec_driver_sql("SELECT 1")

        def trace_store() -> None:
            container.trace_store().get_item(ItemId("readiness-probe"))

        return cls((("database", database), ("trace store", trace_store)))

    def run(self) -> list[ProbeView]:
        """Each probe's outcome; a failing probe records why, and the others still run."""
        results = []
        for name, probe in self.probes:
            try:
                probe()
            except Exception as exc:  # any failure means "not ready", whatever raised it
                results.append(ProbeView(name=name, ok=False,
                                         detail=f"{type(exc).__name__}: {exc}"[:500]))
            else:
                results.append(ProbeView(name=name, ok=True))
        return results


class HealthController(Controller):
    """Probes for orchestrators; outside ``/api/v1`` so they never change with the API."""

    path = "/"
    tags = ["health"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/healthz", sync_to_thread=False, summary="Liveness", **public())
    def liveness(self) -> LivenessView:
        """Answers 200 while the process serves requests; it checks no dependency.

        An orchestrator restarts the service when this stops answering; a database outage
        must not cause restarts, which is why ``/readyz`` is separate.
        """
        return LivenessView(version=package_version())

    @get("/readyz", sync_to_thread=True, summary="Readiness", **public(),
         responses=problem_responses(
             503, s503="A dependency did not answer; ``checks`` lists every probe."))
    def readiness(self, readiness_probes: NamedDependency[ReadinessProbes]) -> ServiceReadinessView:
        """Answers 200 when the database and the trace store respond, else 503.

        A load balancer sends traffic only to ready instances; the probes are a database
        round trip and a trace-store lookup, so polling them costs little.
        """
        checks = readiness_probes.run()
        if not all(check.ok for check in checks):
            raise ServiceNotReady(checks)
        return ServiceReadinessView(checks=checks)
