"""Litestar dependencies: the use cases of the container the app was created with.

Controllers name the use case they need as a handler parameter (``evaluate_gate:
EvaluateGate``) and Litestar injects it; no controller sees the container, so a handler's
signature lists everything it can do. Each request gets fresh use-case objects from the
container's factories (they are cheap: the adapters behind them are singletons).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from litestar.di import Provide

from edgedeploy.application.jobs import JobRunner
from edgedeploy.application.optimization import OptimizeAndRegister
from edgedeploy.application.rollout import RolloutTicker
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.http.health import ReadinessProbes

Now = Callable[[], datetime]
"""The container's clock, as the one call handlers need from it."""

OptimizerFor = Callable[[str], OptimizeAndRegister]
"""Optimize-and-register on the inference backend of the given name."""


def _provide(factory: Callable[[], Any]) -> Provide:
    def make() -> Any:
        return factory()

    # Use cases are built synchronously from in-memory providers: no thread hop needed.
    return Provide(make, sync_to_thread=False)


def use_case_dependencies(container: Container, jobs: JobRunner,
                          ticker: RolloutTicker) -> dict[str, Provide]:
    """Every injectable use case, keyed by the parameter name handlers use for it.

    ``jobs`` and ``ticker`` are the app's own background workers (one of each per app), so
    handlers and the app's start-up and shutdown hooks share them.
    """

    def now() -> Now:
        clock_now: Now = container.clock().now
        return clock_now

    def optimizer_for() -> OptimizerFor:
        def build(backend: str) -> OptimizeAndRegister:
            use_case: OptimizeAndRegister = container.optimize_and_register(
                optimize=container.optimize_model(
                    runtime=container.runtime(backend),
                    provenance=container.runtime_provenance(backend)))
            return use_case
        return build

    def optimized_root() -> Path:
        home: Path = container.settings().home_dir
        return home / "optimized"

    def job_runner() -> JobRunner:
        return jobs

    def rollout_ticker() -> RolloutTicker:
        return ticker

    def readiness_probes() -> ReadinessProbes:
        return ReadinessProbes.of(container)

    factories: dict[str, Callable[[], Any]] = {
        "now": now,
        "jobs": job_runner,
        "readiness_probes": readiness_probes,
        # traceability
        "import_requirements": container.import_requirements,
        "link_items": container.link_items,
        "record_artifact": container.record_artifact,
        "trace_queries": container.trace_queries,
        "evaluate_gate": container.evaluate_gate,
        "assess_readiness": container.assess_readiness,
        "build_matrix": container.build_matrix,
        "render_matrix": container.render_matrix,
        "export_trace": container.export_trace,
        "list_requirements": container.list_requirements,
        "evidence_files": container.evidence_files,
        # model registry and optimization
        "register_model": container.register_model,
        "model_queries": container.model_queries,
        "model_builders": container.model_builders,
        "optimizer_for": optimizer_for,
        "optimized_root": optimized_root,
        "verify_registered": container.verify_registered,
        # drift monitoring
        "fit_reference": container.fit_reference,
        "check_window": container.check_window,
        "record_feedback": container.record_feedback,
        "drift_report": container.drift_report,
        "list_verdicts": container.list_verdicts,
        # roll-outs
        "prepare_rollout": container.prepare_rollout,
        "rollout_fleets": container.rollout_fleets,
        "rollout_status": container.rollout_status,
        "list_rollouts": container.list_rollouts,
        "rollout_ticker": rollout_ticker,
    }
    return {name: _provide(factory) for name, factory in factories.items()}

