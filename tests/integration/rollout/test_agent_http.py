"""The edge agent's HTTP API in process: answers, epochs, errors as problem details."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edgedeploy.adapters.edge import NumpyTensorTools
from edgedeploy.application.edge import EdgeConfig, EdgeRuntime
from edgedeploy.domain.models import ModelRef
from edgedeploy.entrypoints.agent.app import create_agent_app
from tests.fakes.edge import InMemoryAgentStateStore, InMemoryPackageSource, ScriptedBackend

V1 = ModelRef("aeb", "1.0")


@pytest.fixture(name="client")
def fx_client(tmp_path: Path) -> Iterator[tuple[TestClient, InMemoryPackageSource]]:
    packages = InMemoryPackageSource(tmp_path)
    packages.add(V1, 1.0)
    runtime = EdgeRuntime("ecu-7", ScriptedBackend(), packages, InMemoryAgentStateStore(),
                          NumpyTensorTools(), EdgeConfig(probation_inferences=2))
    runtime.start()
    with TestClient(create_agent_app(runtime)) as client:
        yield client, packages
    runtime.close()


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
