"""Build and run one edge agent: ``edgedeploy agent serve --device-id ID --port P``."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import structlog

from edgedeploy.adapters.edge import DirectoryPackageSource, JsonFileAgentState, NumpyTensorTools
from edgedeploy.application.edge.runtime import EdgeConfig, EdgeRuntime
from edgedeploy.application.errors import CapabilityNotSupported
from edgedeploy.application.ports.inference import InferenceBackend

log = structlog.get_logger(__name__)


def load_backend(name: str) -> InferenceBackend:
    """The inference backend plugin ``name``.

    Through its entry point when the distribution is installed, else by the first-party
    plugin module of that name (a source checkout).

    Raises:
        CapabilityNotSupported: no such backend.
    """
    try:
        from edgedeploy.plugins.registry import BackendRegistry
        return BackendRegistry().get(name)
    except Exception as exc:  # fall through to the module of the same name
        first_error = exc
    try:
        module = importlib.import_module(f"edgedeploy.plugins.{name}")
    except ImportError:
        raise CapabilityNotSupported(f"no inference backend '{name}': {first_error}") from None
    backend: InferenceBackend = module.factory()
    return backend


def build_runtime(device_id: str, home: Path, backend: InferenceBackend, *,
                  repository: Path | None = None,
                  config: EdgeConfig | None = None) -> EdgeRuntime:
    """An :class:`EdgeRuntime` with its state in ``home`` and packages in ``repository``.

    ``repository`` defaults to ``$EDGEDEPLOY_AGENT_REPOSITORY`` or ``<home>/repository``.
    """
    repo = repository or Path(os.environ.get("EDGEDEPLOY_AGENT_REPOSITORY",
                                             str(home / "repository")))
    return EdgeRuntime(device_id, backend, DirectoryPackageSource(repo),
                       JsonFileAgentState(home), NumpyTensorTools(), config or config_from_env())


def config_from_env() -> EdgeConfig:
    """Agent limits, overridable by ``EDGEDEPLOY_AGENT_*`` variables (tests, small ECUs)."""
    base = EdgeConfig()
    env = os.environ.get
    return EdgeConfig(
        memory_budget_bytes=int(env("EDGEDEPLOY_AGENT_MEMORY_BUDGET_BYTES",
                                    base.memory_budget_bytes)),
        load_timeout_s=float(env("EDGEDEPLOY_AGENT_LOAD_TIMEOUT_S", base.load_timeout_s)),
        probation_inferences=int(env("EDGEDEPLOY_AGENT_PROBATION_INFERENCES",
                                     base.probation_inferences)),
        inference_timeout_ms=float(env("EDGEDEPLOY_AGENT_INFERENCE_TIMEOUT_MS",
                                       base.inference_timeout_ms)),
        quarantine_base_s=float(env("EDGEDEPLOY_AGENT_QUARANTINE_BASE_S",
                                    base.quarantine_base_s)),
        confidence_floor=float(env("EDGEDEPLOY_AGENT_CONFIDENCE_FLOOR",
                                   base.confidence_floor)))


def serve_agent(device_id: str, port: int, home: Path, backend_name: str = "onnxruntime",
                *, repository: Path | None = None, config: EdgeConfig | None = None) -> None:
    """Run the edge agent on 127.0.0.1:``port`` until interrupted (blocking)."""
    import uvicorn

    from edgedeploy.entrypoints.agent.app import create_agent_app

    runtime = build_runtime(device_id, home, load_backend(backend_name),
                            repository=repository, config=config)
    runtime.start()
    log.info("agent.start", device=device_id, port=port, home=str(home),
             backend=backend_name)
    try:
        uvicorn.run(create_agent_app(runtime), host="127.0.0.1", port=port,
                    log_level="warning", access_log=False)
    finally:
        runtime.close()
