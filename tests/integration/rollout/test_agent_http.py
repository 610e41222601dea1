"""The edge agent's HTTP API: the controller's secret, answers, epochs, problem details."""

from __future__ import annotations

import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from edgedeploy.adapters.edge import NumpyTensorTools
from edgedeploy.adapters.fleet import LocalAgentFleet
from edgedeploy.application.edge import EdgeConfig, EdgeRuntime
from edgedeploy.application.errors import InvalidInput
from edgedeploy.domain.models import ModelRef
from edgedeploy.entrypoints.agent.app import create_agent_app
from edgedeploy.entrypoints.bootstrap import bootstrap
from edgedeploy.entrypoints.settings import AgentSettings, Settings
from tests.fakes.edge import InMemoryAgentStateStore, InMemoryPackageSource, ScriptedBackend

V1, V2 = ModelRef("aeb", "1.0"), ModelRef("aeb", "2.0")
SECRET = secrets.token_urlsafe(32)


@pytest.fixture(name="client")
def fx_client(tmp_path: Path) -> Iterator[tuple[TestClient, InMemoryPackageSource]]:
    packages = InMemoryPackageSource(tmp_path)
    packages.add(V1, 1.0)
    packages.add(V2, 2.0)
    runtime = EdgeRuntime("ecu-7", ScriptedBackend(), packages, InMemoryAgentStateStore(),
                          NumpyTensorTools(), EdgeConfig(probation_inferences=2))
    runtime.start()
    with TestClient(create_agent_app(runtime, SECRET)) as client:
        client.headers["Authorization"] = f"Bearer {SECRET}"
        yield client, packages
    runtime.close()


@pytest.mark.parametrize("header", [None, "Bearer " + "x" * 43, f"Basic {SECRET}",
                                    f"Bearer {SECRET}x", "Bearer "])
@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/status"), ("PUT", "/v1/desired"),
                                              ("POST", "/v1/infer"), ("GET", "/metrics"),
                                              ("GET", "/healthz")])
def test_a_request_without_the_fleet_secret_is_a_401_problem_and_changes_nothing(
        client, header, method, path):
    c, packages = client
    headers = {} if header is None else {"Authorization": header}
    c.headers.pop("Authorization")
    body = {"model": "aeb@1.0", "digest": packages.get(V1).digest, "epoch": 1, "wait": True}
    r = c.request(method, path, headers=headers,
                  json=body if method == "PUT" else {"inputs": {"x": [[0, 0, 0, 0]]}}
                  if method == "POST" else None)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["type"] == "urn:problem:UNAUTHENTICATED"
    status = c.get("/v1/status", headers={"Authorization": f"Bearer {SECRET}"}).json()
    assert status["epoch"] == 0 and status["model"] is None


def test_the_fleet_secret_opens_every_route(client):
    c, _ = client
    for path in ("/v1/status", "/metrics", "/healthz", "/v1/health?model=aeb@1.0"):
        assert c.get(path).status_code == 200, path


def test_an_epoch_far_ahead_is_a_409_naming_the_range_and_the_next_valid_one_applies(client):
    c, packages = client
    good = {"model": "aeb@1.0", "digest": packages.get(V1).digest, "epoch": 3, "wait": True}
    assert c.put("/v1/desired", json=good).json()["status"] == "applied"
    r = c.put("/v1/desired", json={**good, "model": "aeb@2.0", "epoch": 2**63 - 1,
                                   "digest": packages.get(V2).digest})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["type"] == "urn:problem:EDGE_EPOCH_OUT_OF_RANGE"
    assert "4..1003" in problem["detail"]
    assert c.get("/v1/status").json()["epoch"] == 3
    older = c.put("/v1/desired", json={**good, "epoch": 2})
    assert older.status_code == 409
    nxt = c.put("/v1/desired", json={"model": "aeb@2.0", "digest": packages.get(V2).digest,
                                     "epoch": 4, "wait": True})
    assert nxt.status_code == 200 and nxt.json()["status"] == "applied"
    status = c.get("/v1/status").json()
    assert status["epoch"] == 4 and status["model"] == "aeb@2.0"


def test_inference_before_any_model_is_a_503_problem(client):
    c, _ = client
    r = c.post("/v1/infer", json={"inputs": {"x": [[0, 0, 0, 0]]}})
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "urn:problem:BACKEND_UNAVAILABLE"


def test_a_desired_state_is_applied_once_and_answers_name_their_version(client):
    c, packages = client
    body = {"model": "aeb@1.0", "digest": packages.get(V1).digest, "epoch": 4, "wait": True}
    first = c.put("/v1/desired", json=body).json()
    again = c.put("/v1/desired", json=body).json()
    assert first["status"] == "applied" and again["status"] == "stale"
    answer = c.post("/v1/infer", json={"inputs": {"x": [[1, 2, 3, 4]]}}).json()
    assert answer["model"] == "aeb@1.0" and answer["outputs"]["tag"] == [[1.0]]
    status = c.get("/v1/status").json()
    assert status["epoch"] == 4 and status["model"] == "aeb@1.0"
    health = c.get("/v1/health", params={"model": "aeb@1.0"}).json()
    assert health["inferences"] == 1


def test_a_malformed_desired_state_is_a_400(client):
    c, _ = client
    r = c.put("/v1/desired", json={"model": "aeb@1.0", "epoch": "soon"})
    assert r.status_code == 400


def test_metrics_are_served_as_prometheus_text(client):
    c, packages = client
    c.put("/v1/desired", json={"model": "aeb@1.0", "digest": packages.get(V1).digest,
                               "epoch": 1, "wait": True})
    c.post("/v1/infer", json={"inputs": {"x": [[1, 2, 3, 4]]}})
    r = c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert 'edgedeploy_inferences_total{device="ecu-7",model="aeb@1.0"} 1' in r.text


def test_a_local_fleet_binds_its_agents_where_told_and_shares_a_private_secret(tmp_path):
    (tmp_path / "repository").mkdir()
    fleet = LocalAgentFleet(tmp_path / "agents", tmp_path / "repository", ["ecu-b"],
                            bind="127.0.0.2")
    try:
        url = fleet.url("ecu-b")
        assert url.startswith("http://127.0.0.2:")
        token_file = tmp_path / "agents" / "fleet.token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        answer = httpx.get(url + "/v1/status", headers=fleet.credentials.headers, timeout=10)
        assert answer.status_code == 200 and answer.json()["device_id"] == "ecu-b"
        assert httpx.get(url + "/v1/status", timeout=10).status_code == 401
        status = fleet.status("ecu-b")  # the controller side sends the secret itself
        assert status is not None and status["epoch"] == 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(url.replace("127.0.0.2", "127.0.0.1") + "/healthz", timeout=5)
    finally:
        fleet.close()


def controller_token(agent: AgentSettings) -> str:
    token: str = bootstrap(Settings(agent=agent)).agent_token()
    return token


def test_an_agent_creates_its_secret_privately_and_refuses_one_others_can_read(tmp_path):
    agent = AgentSettings(device_id="ecu-s", home=str(tmp_path / "home"))
    token = controller_token(agent)
    assert stat.S_IMODE(agent.token_path.stat().st_mode) == 0o600
    assert controller_token(agent) == token and len(token) >= 32
    agent.token_path.chmod(0o644)
    with pytest.raises(InvalidInput, match=r"controller\.token.*group or others.*chmod 600"):
        controller_token(agent)
    with pytest.raises(InvalidInput, match=r"agent\.token must hold one line"):
        controller_token(AgentSettings(token="short"))
