"""A real API server on loopback and a CLI runner, each over its own fresh home.

The server's callers are registered principals with API tokens: one HTTP client per role
(``clients["engineer"]``…), and ``client``, the engineer, for tests about something else.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from edgedeploy.domain.identity import Principal, PrincipalKind, Role
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.http.app import create_app
from edgedeploy.entrypoints.settings import HttpSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "aeb" / "requirements.reqif"
FIXTURES = ROOT / "tests" / "fixtures" / "reqif"

ADMIN = Principal("test.admin", frozenset({Role.ADMIN}), PrincipalKind.SYSTEM)
PRINCIPALS: dict[str, tuple[str, frozenset[Role], str]] = {
    "engineer": ("eng.erin", frozenset({Role.ENGINEER}), "adas/perception"),
    "safety-reviewer": ("safety.sam", frozenset({Role.SAFETY_REVIEWER}), "safety/assessment"),
    "release-manager": ("rm.rita", frozenset({Role.RELEASE_MANAGER}), "release"),
    "release-manager-2": ("rm.rob", frozenset({Role.RELEASE_MANAGER}), "release"),
    "auditor": ("audit.ada", frozenset({Role.AUDITOR}), "quality"),
    "viewer": ("view.vic", frozenset({Role.VIEWER}), "adas"),
    # Holds every role that changes something: for tests about the edge, not about roles.
    "maintainer": ("ops.max", frozenset({Role.ENGINEER, Role.SAFETY_REVIEWER,
                                         Role.RELEASE_MANAGER}), "ops"),
}
"""Test callers by key: principal name, roles and organisation unit."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(settings: Settings):
    """Yields (base_url, container) for ``settings``; uvicorn serves on 127.0.0.1 in a thread."""
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


@pytest.fixture(name="server")
def fx_server(tmp_path):
    """Yields (base_url, container) of a server with a fresh home."""
    yield from serve(Settings(home=str(tmp_path / "home"), actor="api.test",
                              http=HttpSettings(max_body_bytes=256 * 1024)))


def issue_tokens(container) -> dict[str, str]:
    """Register :data:`PRINCIPALS` and issue each an API token; token text by key."""
    manage, issue = container.manage_principals(), container.issue_token()
    tokens = {}
    for key, (name, roles, unit) in PRINCIPALS.items():
        manage.add(name, roles, by=ADMIN, unit=unit)
        tokens[key] = issue(name, by=ADMIN, lifetime=timedelta(hours=2), label="e2e").secret
    return tokens


@pytest.fixture(name="tokens")
def fx_tokens(server) -> dict[str, str]:
    """An API token per key of :data:`PRINCIPALS`, registered in the server's database."""
    return issue_tokens(server[1])


@pytest.fixture(name="clients")
def fx_clients(server, tokens):
    """An HTTP client per key of :data:`PRINCIPALS`, each sending its principal's token."""
    base, _ = server
    opened = {key: httpx.Client(base_url=base, timeout=30,
                                headers={"Authorization": f"Bearer {token}"})
              for key, token in tokens.items()}
    yield opened
    for client in opened.values():
        client.close()


@pytest.fixture(name="client")
def fx_client(clients):
    """The engineer's client."""
    return clients["engineer"]


@pytest.fixture(name="anonymous")
def fx_anonymous(server):
    """A client that sends no credential."""
    with httpx.Client(base_url=server[0], timeout=30) as client:
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
