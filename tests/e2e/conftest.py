"""A real API server on loopback and a CLI runner, each over its own fresh home."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.http.app import create_app
from edgedeploy.entrypoints.settings import HttpSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "aeb" / "requirements.reqif"
FIXTURES = ROOT / "tests" / "fixtures" / "reqif"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(name="server")
def fx_server(tmp_path):
    """Yields (base_url, container); uvicorn serves on 127.0.0.1 in a thread."""
    settings = Settings(home=str(tmp_path / "home"), actor="api.test",
                        http=HttpSettings(max_body_bytes=256 * 1024))
    container = bootstrap(settings)
    port = _free_port()
    config = uvicorn.Config(create_app(container), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the API server did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", container
    server.should_exit = True
    thread.join(timeout=10)
    close_container(container)


@pytest.fixture(name="client")
def fx_client(server):
    base, _ = server
    with httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture(name="cli")
def fx_cli(tmp_path, monkeypatch):
    """Runs ``edgedeploy`` in-process against a fresh home; returns a callable."""
    from edgedeploy.entrypoints.cli import cli

    monkeypatch.setenv("EDGEDEPLOY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDGEDEPLOY_ACTOR", "cli.test")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return run
