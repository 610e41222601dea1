"""The HTTP API over a real server on loopback: one happy path per endpoint, and the errors."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import EXAMPLE, FIXTURES

MODEL = "aeb-perception@1.0.0"


def _import_example(client):
    response = client.post("/api/v1/requirements/import", params={"filename": EXAMPLE.name},
                           content=EXAMPLE.read_bytes())
    assert response.status_code == 200, response.text
    return response.json()


def _register(container):
    from edgedeploy.domain.models import ModelRef

    container.register_model()(ModelRef.parse(MODEL), b"model-bytes", "api.test")


def test_requirements_import_reports_what_it_created(client):
    body = _import_example(client)
    assert body["created"]
    assert body["updated"] == []


def test_a_link_is_created_with_its_evidence_recorded_as_the_caller(client, clients, server):
    _, container = server
    _import_example(client)
    _register(container)
    first_ml = next(r.id for r in container.trace_store().items()
                    if getattr(r, "level", None) and r.level.value == "ml")
    response = clients["safety-reviewer"].post("/api/v1/trace/links", json={
        "source": first_ml, "relation": "implemented_by", "target": MODEL,
        "evidence": {"kind": "review", "verdict": "passed"}})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["relation"] == "implemented_by"
    assert body["evidence"][0]["agent"] == "safety.sam"


def test_the_trace_of_an_untraced_model_is_refused_with_its_gaps(client, server):
    _, container = server
    _register(container)
    response = client.get(f"/api/v1/models/{MODEL}/trace")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "urn:problem:SAFETY_TRACE_GAP"
    assert problem["gaps"][0]["code"] == "MODEL_NOT_TRACED"


def test_readiness_lists_the_checks(client, server):
    _, container = server
    _register(container)
    response = client.get(f"/api/v1/safety/readiness/{MODEL}")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is False
    assert [c["name"] for c in body["checks"]] == ["registered", "trace complete",
                                                  "audit log intact"]


def test_impact_lists_downstream_items(client):
    _import_example(client)
    response = client.get("/api/v1/trace/impact/SYS-AEB-001")
    assert response.status_code == 200
    assert response.json()["requirements"]


def test_the_openapi_document_is_served(client):
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/trace/links" in response.json()["paths"]


@pytest.mark.parametrize("method,path,kwargs,status,problem_type", [
    ("get", "/api/v1/models/nope@1/trace", {}, 404, "MODEL_VERSION_NOT_FOUND"),
    ("get", "/api/v1/models/no-at-sign/trace", {}, 422, "MODEL_VERSION_INVALID"),
    ("get", "/api/v1/trace/impact/UNKNOWN-1", {}, 404, "TRACE_ITEM_NOT_FOUND"),
    ("post", "/api/v1/trace/links", {"json": {"source": "A"}}, 400, "INVALID_REQUEST"),
    ("post", "/api/v1/trace/links",
     {"json": {"source": "A", "relation": "loves", "target": "B"}}, 400, "INVALID_REQUEST"),
    ("post", "/api/v1/requirements/import",
     {"params": {"filename": "bad_xml.reqif"},
      "content": (FIXTURES / "bad_xml.reqif").read_bytes()}, 400, "IMPORT_REFUSED"),
    ("post", "/api/v1/requirements/import",
     {"params": {"filename": "huge.reqif"}, "content": b"x" * (300 * 1024)}, 413,
     "REQUEST_TOO_LARGE"),
    ("get", "/api/v1/no-such-route", {}, 404, "NOT_FOUND"),
])
def test_errors_are_problem_details_with_the_right_status(client, method, path, kwargs, status,
                                                          problem_type):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"urn:problem:{problem_type}"
    assert body["status"] == status


def test_a_refused_import_leaves_the_store_unchanged(client, server):
    _, container = server
    _import_example(client)
    before = (container.trace_store().items(), container.trace_store().links())
    response = client.post("/api/v1/requirements/import",
                           params={"filename": "duplicate_id.reqif"},
                           content=(FIXTURES / "duplicate_id.reqif").read_bytes())
    assert response.status_code == 400
    assert (container.trace_store().items(), container.trace_store().links()) == before
