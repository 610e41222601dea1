"""Run one edge agent: ``edgedeploy agent serve --device-id ID --port P``.

The agent is built like every other process: settings (file and ``EDGEDEPLOY_*`` variables,
``agent`` section) with the command line on top, then :func:`bootstrap`, whose container
builds the edge runtime. Nothing here reads the environment.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import threading
from pathlib import Path
from typing import Any

import msgspec
import structlog

from edgedeploy.application.errors import InvalidInput
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.settings import AgentSettings, Settings, load_settings

log = structlog.get_logger(__name__)


def agent_settings(settings: Settings, device_id: str, port: int, *, home: Path | None = None,
                   backend: str | None = None, repository: Path | None = None,
                   bind: str | None = None, token_file: Path | None = None) -> Settings:
    """``settings`` with the command line's values in its ``agent`` section.

    A ``token_file`` given here replaces any configured secret, inline or in a file.
    """
    agent = settings.agent
    agent = msgspec.structs.replace(
        agent, device_id=device_id, port=port,
        home=str(home) if home is not None else agent.home,
        backend=backend or agent.backend,
        repository=str(repository) if repository is not None else agent.repository,
        bind=bind or agent.bind,
        token=agent.token if token_file is None else "",
        token_file=str(token_file) if token_file is not None else agent.token_file)
    return msgspec.structs.replace(settings, agent=agent)


def tls_options(agent: AgentSettings) -> dict[str, Any]:
    """The uvicorn TLS options for the agent's settings (empty: plain HTTP).

    Raises:
        InvalidInput: a client CA or key without a server certificate, or a file is missing.
    """
    if not agent.tls_cert_file:
        if agent.tls_key_file or agent.tls_client_ca_file:
            raise InvalidInput("agent.tls_key_file and agent.tls_client_ca_file need "
                               "agent.tls_cert_file (the agent's server certificate)")
        return {}
    files = [agent.tls_cert_file, agent.tls_key_file, agent.tls_client_ca_file]
    for name in filter(None, files):
        if not Path(name).is_file():
            raise InvalidInput(f"agent TLS file '{name}' is not a file")
    options: dict[str, Any] = {"ssl_certfile": agent.tls_cert_file,
                               "ssl_keyfile": agent.tls_key_file or None}
    if agent.tls_client_ca_file:
        options |= {"ssl_ca_certs": agent.tls_client_ca_file,
                    "ssl_cert_reqs": ssl.CERT_REQUIRED}
    return options


def agent_url(agent: AgentSettings) -> str:
    """The base URL the agent answers on."""
    scheme = "https" if agent.tls_cert_file else "http"
    host = f"[{agent.bind}]" if ":" in agent.bind else agent.bind
    return f"{scheme}://{host}:{agent.port}"


PID_FILE = "agent.pid"


def write_pid_file(agent: AgentSettings) -> Path:
    """Record this process in ``<home>/agent.pid`` (pid, device, port, address).

    A controller that restarts finds its agents by this file and adopts or stops them, so an
    agent whose controller was killed does not run on unseen. Written whole or not at all.
    """
    path = agent.home_dir / PID_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{PID_FILE}.{os.getpid()}")
    partial.write_text(json.dumps({"pid": os.getpid(), "device_id": agent.device_id,
                                   "port": agent.port, "bind": agent.bind}), encoding="utf-8")
    partial.replace(path)
    return path


def remove_pid_file(path: Path) -> None:
    """Remove the pid file if it still names this process (a successor may have replaced it)."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise SystemExit(128 + signum)


def serve_agent(device_id: str, port: int, home: Path | None = None,
                backend: str | None = None, *, repository: Path | None = None,
                settings: Settings | None = None) -> None:
    """Run the edge agent on ``agent.bind``:``port`` until interrupted (blocking).

    Raises:
        InvalidInput: the settings are invalid, or the fleet secret or TLS files are unusable.
        CapabilityNotSupported: the named backend is not installed.
    """
    import uvicorn

    from edgedeploy.entrypoints.agent.app import create_agent_app

    configured = agent_settings(settings or load_settings(), device_id, port, home=home,
                                backend=backend, repository=repository)
    agent = configured.agent
    tls = tls_options(agent)
    container = bootstrap(configured)
    try:
        token = container.agent_token()
        runtime = container.edge_runtime()
        runtime.start()
        pid_file = write_pid_file(agent)
        # uvicorn shuts down on SIGTERM, then raises it again under the handler found at
        # start: this one, so the clean-up below runs instead of a bare death.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
        log.info("agent.start", device=device_id, url=agent_url(agent),
                 home=str(agent.home_dir), backend=agent.backend,
                 mutual_tls="ssl_ca_certs" in tls)
        try:
            uvicorn.run(create_agent_app(runtime, token), host=agent.bind, port=port,
                        log_level="warning", access_log=False, **tls)
        finally:
            runtime.close()
            remove_pid_file(pid_file)
    finally:
        close_container(container)
