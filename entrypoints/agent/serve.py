"""Run one edge agent: ``edgedeploy agent serve --device-id ID --port P``.

The agent is built like every other process: settings (file and ``EDGEDEPLOY_*`` variables,
``agent`` section) with the command line on top, then :func:`bootstrap`, whose container
builds the edge runtime. Nothing here reads the environment.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import structlog

from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.settings import Settings, load_settings

log = structlog.get_logger(__name__)


def agent_settings(settings: Settings, device_id: str, port: int, *, home: Path | None = None,
                   backend: str | None = None, repository: Path | None = None) -> Settings:
    """``settings`` with the command line's values in its ``agent`` section."""
    agent = settings.agent
    agent = msgspec.structs.replace(
        agent, device_id=device_id, port=port,
        home=str(home) if home is not None else agent.home,
        backend=backend or agent.backend,
        repository=str(repository) if repository is not None else agent.repository)
    return msgspec.structs.replace(settings, agent=agent)


def serve_agent(device_id: str, port: int, home: Path | None = None,
                backend: str | None = None, *, repository: Path | None = None,
                settings: Settings | None = None) -> None:
    """Run the edge agent on 127.0.0.1:``port`` until interrupted (blocking).

    Raises:
        InvalidInput: the settings are invalid.
        CapabilityNotSupported: the named backend is not installed.
    """
    import uvicorn

    from edgedeploy.entrypoints.agent.app import create_agent_app

    configured = agent_settings(settings or load_settings(), device_id, port, home=home,
                                backend=backend, repository=repository)
    container = bootstrap(configured)
    try:
        runtime = container.edge_runtime()
        runtime.start()
        log.info("agent.start", device=device_id, port=port,
                 home=str(configured.agent.home_dir), backend=configured.agent.backend)
        try:
            uvicorn.run(create_agent_app(runtime), host="127.0.0.1", port=port,
                        log_level="warning", access_log=False)
        finally:
            runtime.close()
    finally:
        close_container(container)
