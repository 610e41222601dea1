"""What the API answers is what its OpenAPI document declares: statuses, media types, inputs.

Each test pins one answer that once departed from the document (found by the property-based
tests in ``test_api_schema.py``), against a real server on loopback.
"""

from __future__ import annotations

import pytest

from edgedeploy.entrypoints.http.dto.traceability import ExportFormat

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(name="openapi")
def fx_openapi(anonymous):
    response = anonymous.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_guarded_operation_declares_its_401_and_403_where_it_needs_a_permission(
        openapi):
    undeclared = []
    for label, operation in _operations(openapi):
        security = operation.get("security") or []
        if not security:
            continue
        responses = operation["responses"]
        needed = [status for status in ("401", "403") if status == "401" or any(
            requirement.get("bearer") for requirement in security)]
        undeclared.extend(f"{label}: {status}" for status in needed if status not in responses)
        for status in needed:
            if status in responses:
                assert PROBLEM_JSON in responses[status]["content"], f"{label} {status}"
    assert undeclared == []


def test_an_operation_open_to_any_principal_declares_401_but_no_403(openapi):
    whoami = openapi["paths"]["/api/v1/auth/whoami"]["get"]["responses"]
    assert "401" in whoami
    assert "403" not in whoami


def test_a_refusal_by_role_is_a_declared_403(clients, openapi):
    response = clients["viewer"].post("/api/v1/trace/artifacts",
                                      json={"id": "TEST-1", "kind": "test"})
    assert response.status_code == 403
    declared = openapi["paths"]["/api/v1/trace/artifacts"]["post"]["responses"]
    assert "403" in declared


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_every_export_format_is_answered_in_a_media_type_the_document_declares(
        clients, openapi, fmt):
    response = clients["auditor"].get("/api/v1/trace/export", params={"format": fmt.value})
    assert response.status_code == 200
    received = response.headers["content-type"].split(";")[0]
    assert received == fmt.media_type
    declared = openapi["paths"]["/api/v1/trace/export"]["get"]["responses"]["200"]["content"]
    assert received in declared


def test_the_json_ld_export_is_declared_as_a_json_document(clients, openapi):
    content = openapi["paths"]["/api/v1/trace/export"]["get"]["responses"]["200"]["content"]
    assert content["application/ld+json"]["schema"]["type"] == ["object", "array"]
    response = clients["auditor"].get("/api/v1/trace/export", params={"format": "json-ld"})
    assert isinstance(response.json(), list | dict)


def test_readiness_of_an_unregistered_version_is_a_declared_404(client, openapi):
    response = client.get("/api/v1/safety/readiness/never-registered@1.0")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    declared = openapi["paths"]["/api/v1/safety/readiness/{ver}"]["get"]["responses"]
    assert "404" in declared


@pytest.mark.parametrize("value", ["0", "1700000000", "-1.5", "2025-05-01"])
def test_a_verdict_time_filter_that_is_not_an_rfc3339_date_time_is_refused(client, value):
    response = client.get("/api/v1/drift/verdicts", params={"until": value})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "until" in response.json()["detail"]


@pytest.mark.parametrize("value", ["2025-05-01T08:00:00Z", "2025-05-01T08:00:00+02:00"])
def test_a_verdict_time_filter_in_rfc3339_is_accepted(client, value):
    response = client.get("/api/v1/drift/verdicts", params={"since": value, "until": value})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_model_version_and_digest_path_parameters_declare_their_form(openapi):
    ver = openapi["paths"]["/api/v1/models/{ver}"]["get"]["parameters"][0]
    digest = openapi["paths"]["/api/v1/jobs/artifacts/{digest}"]["get"]["parameters"][0]
    assert "@" in ver["schema"]["pattern"]
    assert digest["schema"]["pattern"] == "^sha256:[0-9a-f]{64}$"
