"""Liveness and readiness probes, including a database the service cannot reach."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from litestar.testing import TestClient

from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.http.app import create_app
from edgedeploy.entrypoints.settings import Settings


def test_liveness_answers_with_the_package_version(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": version("edgedeploy")}


def test_readiness_probes_the_database_and_the_trace_store(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert {c["name"]: c["ok"] for c in body["checks"]} == {"database": True,
                                                            "trace store": True}


@pytest.fixture(name="unreachable_database")
def fx_unreachable_database(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the database's folder should be", encoding="utf-8")
    container = bootstrap(Settings(home=str(tmp_path / "home"), actor="probe.test",
                                   database_url=f"sqlite:///{blocker / 'edgedeploy.db'}"))
    try:
        with TestClient(create_app(container)) as client:
            yield client
    finally:
        close_container(container)


def test_readiness_is_a_503_problem_while_the_database_is_unreachable(unreachable_database):
    response = unreachable_database.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "urn:problem:SERVICE_NOT_READY"
    checks = {c["name"]: c for c in problem["checks"]}
    assert checks["database"]["ok"] is False and checks["database"]["detail"]
    assert checks["trace store"]["ok"] is True


def test_liveness_stays_up_while_the_database_is_unreachable(unreachable_database):
    assert unreachable_database.get("/healthz").status_code == 200
