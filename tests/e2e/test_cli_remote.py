"""``edgedeploy --remote URL``: the CLI works through a running server that holds the home.

``edgedeploy serve`` runs as a real process on loopback and keeps its home's trace store
locked; every CLI call is another process of the installed console script, acting with a
role's API token. What a remote command prints with ``--json`` and how it exits must match the
local command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from edgedeploy.application.optimization.release import VERIFICATION_REPORT
from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.settings import Settings
from tests.e2e.conftest import _free_port, issue_tokens

EDGEDEPLOY = Path(sys.executable).with_name("edgedeploy")
CANDIDATE, BASELINE = ModelRef("aeb", "1.0.0"), ModelRef("aeb", "0.9.0")
REQUIREMENTS = """\
title: AEB braking (ASIL C)
requirements:
  - id: SYS-1
    title: Brake for pedestrians
    text: The AEB function shall brake for a pedestrian in the ego lane.
    asil: C
    level: system
    derives: [MLR-1]
  - id: MLR-1
    title: Pedestrian recall
    text: The model shall reach recall >= 0.99 for pedestrians.
    asil: C
    level: ml
    parent: SYS-1
"""


def prepare_home(home: Path) -> dict[str, str]:
    """Registered principals with tokens, and a candidate with a passed verification report."""
    container = bootstrap(Settings(home=str(home), actor="seed"))
    try:
        tokens = issue_tokens(container)
        register = container.register_model()
        for ref in (BASELINE, CANDIDATE):
            register(ref, f"onnx bytes of {ref}".encode(), "seed")
        store = container.trace_store()
        digest = container.evidence().put(json.dumps({"passed": True, "checks": []}).encode())
        item = store.get_item(CANDIDATE.item_id)
        assert isinstance(item, Artifact)
        store.apply(TraceChange(items=[Artifact(
            item.id, item.kind, item.title, item.digest,
            (*item.attributes, (VERIFICATION_REPORT, digest)))]))
    finally:
        close_container(container)
    return tokens


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EDGEDEPLOY_") or k.startswith("EDGEDEPLOY_TEST_")}
    return {**env, "EDGEDEPLOY_HOME": str(home), "EDGEDEPLOY_ACTOR": "cli.test", **extra}


class Server:
    """``edgedeploy serve`` on one home, stopped by its process id."""

    def __init__(self, home: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(EDGEDEPLOY), "serve", "--port", str(self.port), "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=_env(home, EDGEDEPLOY_ROLLOUT__TICK_INTERVAL_S="0.05"))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stderr.read()[-2000:]  # type: ignore[union-attr]
            try:
                httpx.get(f"{self.url}/healthz", timeout=5)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("the server did not answer within 120 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(name="home")
def fx_home(tmp_path: Path) -> Path:
    return tmp_path / "server-home"


@pytest.fixture(name="tokens")
def fx_tokens(home: Path) -> dict[str, str]:
    return prepare_home(home)


@pytest.fixture(name="server")
def fx_server(home: Path, tokens: dict[str, str]):
    server = Server(home)
    yield server
    server.stop()


def run(home: Path, *args: str, token: str | None = None,
        remote: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """One CLI process; ``remote`` and ``token`` become the global options."""
    head = [*(["--remote", remote] if remote else []), *(["--token", token] if token else [])]
    return subprocess.run([str(EDGEDEPLOY), *head, *args], capture_output=True, text=True,
                          timeout=180, check=False, env=_env(home, **env))


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def shape(value: Any) -> Any:
    """The keys of every object, recursively: what must match between local and remote."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return None


def test_a_release_is_traced_gated_deployed_approved_and_aborted_through_the_server(
        home, tokens, server, tmp_path):
    def cli(role: str, *args: str) -> subprocess.CompletedProcess[str]:
        return run(home, *args, "--json", token=tokens[role], remote=server.url)

    me = cli("engineer", "auth", "whoami")
    assert me.returncode == 0, me.stderr
    assert as_json(me)["name"] == "eng.erin" and as_json(me)["roles"] == ["engineer"]
    assert tokens["engineer"] not in me.stdout + me.stderr

    requirements = tmp_path / "aeb.yaml"
    requirements.write_text(REQUIREMENTS, encoding="utf-8")
    imported = cli("engineer", "trace", "import", str(requirements))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert sorted(as_json(imported)["created"]) == ["MLR-1", "SYS-1"]

    blocked = cli("engineer", "trace", "gate", str(CANDIDATE))
    assert blocked.returncode == 3, blocked.stdout + blocked.stderr
    assert as_json(blocked)["passed"] is False and as_json(blocked)["gaps"]

    report = tmp_path / "report.txt"
    report.write_text("412 of 412 cases passed", encoding="utf-8")
    steps = [
        ("engineer", "trace", "artifact", "test", "TC-1", "--file", str(report)),
        ("engineer", "trace", "link", "MLR-1", "implemented_by", str(CANDIDATE)),
        ("engineer", "trace", "link", "SYS-1", "verified_by", "TC-1", "--evidence",
         str(report), "--verdict", "passed"),
        ("engineer", "trace", "link", "MLR-1", "verified_by", "TC-1", "--evidence",
         str(report), "--verdict", "passed"),
        ("safety-reviewer", "trace", "review", "SYS-1", "derives", "MLR-1"),
        ("safety-reviewer", "trace", "review", "MLR-1", "implemented_by", str(CANDIDATE)),
        ("safety-reviewer", "trace", "review", "SYS-1", "verified_by", "TC-1"),
        ("safety-reviewer", "trace", "review", "MLR-1", "verified_by", "TC-1"),
    ]
    for role, *args in steps:
        done = cli(role, *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    passed = cli("engineer", "trace", "gate", str(CANDIDATE))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert as_json(passed)["passed"] is True

    fleet = tmp_path / "bench.yaml"
    fleet.write_text(json.dumps({"name": "bench", "kind": "simulated", "size": 1000, "seed": 7,
                                 "baseline": str(BASELINE)}), encoding="utf-8")
    started = cli("release-manager", "deploy", str(CANDIDATE), "--fleet", str(fleet),
                  "--baseline", str(BASELINE), "--interval", "0.2")
    assert started.returncode == 0, started.stdout + started.stderr
    view = as_json(started)
    assert view["asil"] == "C" and view["phase"] == "awaiting_approval", view
    rollout_id = view["rollout_id"]

    by_viewer = cli("viewer", "rollout", "approve", rollout_id)
    assert by_viewer.returncode == 3, by_viewer.stdout + by_viewer.stderr
    assert as_json(by_viewer)["status"] == 403
    by_starter = cli("release-manager", "rollout", "approve", rollout_id)
    assert by_starter.returncode == 3, by_starter.stdout + by_starter.stderr
    first = cli("release-manager-2", "rollout", "approve", rollout_id, "--note", "canary ok")
    assert first.returncode == 0, first.stdout + first.stderr
    second = cli("maintainer", "rollout", "approve", rollout_id)
    assert second.returncode == 0, second.stdout + second.stderr

    aborted = cli("release-manager-2", "rollout", "abort", rollout_id, "--reason", "field report")
    assert aborted.returncode == 0, aborted.stdout + aborted.stderr
    assert as_json(aborted)["phase"] == "aborted"
    again = cli("release-manager-2", "rollout", "abort", rollout_id)
    assert again.returncode == 3
    assert as_json(again)["status"] == 409 and as_json(again)["exit_code"] == 3
    listed = cli("viewer", "rollout", "list")
    assert [r["rollout_id"] for r in as_json(listed)] == [rollout_id]
    assert cli("viewer", "rollout", "status", "ro-missing").returncode == 4

    # The server held the home all along: a local command on it cannot open the trace store.
    local = run(home, "trace", "gate", str(CANDIDATE), "--json")
    assert local.returncode == 5, local.stdout + local.stderr


def test_remote_answers_have_the_local_commands_shape_and_exit_codes(tmp_path):
    remote_home, local_home = tmp_path / "remote", tmp_path / "local"
    tokens = prepare_home(remote_home)
    local_tokens = prepare_home(local_home)
    server = Server(remote_home)
    try:
        for args in (("models", "list"), ("auth", "whoami"), ("rollout", "list")):
            here = run(local_home, *args, "--json", token=local_tokens["engineer"])
            there = run(remote_home, *args, "--json", token=tokens["engineer"],
                        remote=server.url)
            assert (here.returncode, there.returncode) == (0, 0), (here.stderr, there.stderr)
            assert shape(as_json(there)) == shape(as_json(here)), args
        models = as_json(run(remote_home, "models", "list", "--json", token=tokens["engineer"],
                             remote=server.url))
        assert [m["ref"] for m in models] == [{"name": "aeb", "version": "0.9.0"},
                                              {"name": "aeb", "version": "1.0.0"}]
        for args, code in ((("rollout", "status", "ro-missing"), 4),
                           (("models", "register", "aeb@1.0.0", str(__file__)), 3),
                           (("trace", "gate", "aeb@9.9.9"), 4)):
            here = run(local_home, *args, "--json", token=local_tokens["maintainer"])
            there = run(remote_home, *args, "--json", token=tokens["maintainer"],
                        remote=server.url)
            assert here.returncode == there.returncode == code, (args, here.stdout,
                                                                 there.stdout)
            assert as_json(there).keys() == as_json(here).keys()
            assert as_json(there)["type"] == as_json(here)["type"]
    finally:
        server.stop()


def test_remote_without_a_token_is_a_usage_error_naming_it(tmp_path):
    done = run(tmp_path / "home", "rollout", "list", remote="http://127.0.0.1:9")
    assert done.returncode == 2
    assert "--token" in done.stderr and "EDGEDEPLOY_TOKEN" in done.stderr


def test_a_remote_that_is_not_an_http_url_is_a_usage_error(tmp_path):
    done = run(tmp_path / "home", "rollout", "list", remote="ftp://example.org", token="x")
    assert done.returncode == 2
    assert "--remote" in done.stderr and "http" in done.stderr


def test_a_command_without_a_remote_path_refuses_remote_instead_of_running_locally(tmp_path):
    home = tmp_path / "home"
    done = run(home, "trace", "export", "-o", str(tmp_path / "t.ttl"), token="x",
               EDGEDEPLOY_REMOTE="http://127.0.0.1:9")
    assert done.returncode == 2
    assert "runs only locally" in done.stderr
    assert not (tmp_path / "t.ttl").exists() and not home.exists()


def test_an_unreachable_server_is_backend_unavailable_without_showing_the_token(tmp_path):
    secret = "edt_abcdef_not-a-real-secret"
    done = run(tmp_path / "home", "rollout", "list", "--json", token=secret,
               remote=f"http://127.0.0.1:{_free_port()}")
    assert done.returncode == 5
    assert as_json(done)["type"] == "urn:problem:SERVER_UNREACHABLE"
    assert secret not in done.stdout + done.stderr
