"""A fresh home per test, reached through the CLI in-process and a real API server on loopback."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner

from edgedeploy.entrypoints.settings import HttpSettings, Settings
from tests.e2e.conftest import issue_tokens, serve


@pytest.fixture(name="settings")
def fx_settings(tmp_path):
    return Settings(home=str(tmp_path / "home"), actor="models.test", log_level="error",
                    http=HttpSettings(max_body_bytes=4 * 1024 * 1024))


@pytest.fixture(name="cli")
def fx_cli(settings, monkeypatch):
    """Runs ``edgedeploy`` in-process against the test's home; returns a callable."""
    from edgedeploy.entrypoints.cli import cli

    monkeypatch.setenv("EDGEDEPLOY_HOME", settings.home)
    monkeypatch.setenv("EDGEDEPLOY_ACTOR", "models.test")
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(name="server")
def fx_server(settings):
    yield from serve(settings)


@pytest.fixture(name="client")
def fx_client(server):
    """An engineer's client of the test's server."""
    base, container = server
    token = issue_tokens(container)["engineer"]
    with httpx.Client(base_url=base, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        yield client
