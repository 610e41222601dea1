"""The OpenAPI document an integrator works from: every operation described, every problem
declared, enumerations spelled out, request bodies and examples present, the real version."""

from __future__ import annotations

from importlib.metadata import version

import pytest

STATE_CHANGING = ("post", "put", "patch", "delete")
PROBLEM_JSON = "application/problem+json"


@pytest.fixture(name="openapi", scope="module")
def fx_openapi(tmp_path_factory):
    from litestar.testing import TestClient

    from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
    from edgedeploy.entrypoints.http.app import create_app
    from edgedeploy.entrypoints.settings import Settings

    home = tmp_path_factory.mktemp("openapi") / "home"
    container = bootstrap(Settings(home=str(home), actor="openapi.test"))
    try:
        with TestClient(create_app(container)) as client:
            response = client.get("/schema/openapi.json")
            assert response.status_code == 200
            yield response.json()
    finally:
        close_container(container)


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", *STATE_CHANGING):
                yield path, method, operation


def _resolve(document, schema):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def test_the_document_reports_the_installed_package_version(openapi):
    assert openapi["info"]["version"] == version("edgedeploy")


def test_every_operation_has_a_summary_and_a_description(openapi):
    missing = [f"{method.upper()} {path}" for path, method, op in _operations(openapi)
               if not op.get("summary") or not op.get("description")]
    assert missing == []


def test_every_error_response_is_declared_as_problem_details(openapi):
    wrong = []
    for path, method, op in _operations(openapi):
        for status, response in op["responses"].items():
            if int(status) >= 400 and list(response.get("content", {})) != [PROBLEM_JSON]:
                wrong.append(f"{method.upper()} {path} {status}")
    assert wrong == []


def test_state_changing_operations_declare_415_and_bodies_declare_413(openapi):
    for path, method, op in _operations(openapi):
        if method in STATE_CHANGING:
            assert "415" in op["responses"], f"{method.upper()} {path}"
            if "requestBody" in op:
                assert "413" in op["responses"], f"{method.upper()} {path}"


@pytest.mark.parametrize("method,path,statuses", [
    ("get", "/api/v1/models/{ver}/trace", {"404", "409", "422"}),
    ("post", "/api/v1/trace/links", {"400", "404", "409", "413", "415", "422"}),
    ("post", "/api/v1/requirements/import", {"400", "413", "415"}),
    ("post", "/api/v1/deploy/{ver}", {"404", "409", "422"}),
    ("get", "/api/v1/rollouts/{rollout_id}", {"404"}),
    ("post", "/api/v1/drift/{deployment}/windows", {"404", "422"}),
    ("get", "/readyz", {"503"}),
])
def test_the_problems_an_operation_can_answer_are_declared(openapi, method, path, statuses):
    declared = set(openapi["paths"][path][method]["responses"])
    assert statuses <= declared


def test_every_body_taking_operation_declares_its_body_including_the_file_uploads(openapi):
    without = [f"{method.upper()} {path}" for path, method, op in _operations(openapi)
               if method in STATE_CHANGING and "requestBody" not in op
               and not path.endswith(("/gate", "/verify"))]
    assert without == []
    upload = openapi["paths"]["/api/v1/requirements/import"]["post"]["requestBody"]["content"]
    assert {"application/xml", "text/csv", "application/yaml"} <= set(upload)
    assert "text/plain" not in upload
    model = openapi["paths"]["/api/v1/models/{ver}"]["post"]["requestBody"]["content"]
    assert set(model) == {"application/octet-stream"}


@pytest.mark.parametrize("path,method", [
    ("/api/v1/trace/links", "post"),
    ("/api/v1/trace/reviews", "post"),
    ("/api/v1/trace/artifacts", "post"),
    ("/api/v1/deploy/{ver}", "post"),
    ("/api/v1/drift/{deployment}/reference", "post"),
    ("/api/v1/drift/{deployment}/windows", "post"),
    ("/api/v1/models/{ver}/optimize", "post"),
])
def test_the_main_request_bodies_carry_examples(openapi, path, method):
    content = openapi["paths"][path][method]["requestBody"]["content"]["application/json"]
    schema = content["schema"]
    assert content.get("examples") or schema.get("examples") or _resolve(
        openapi, schema).get("examples"), f"{method.upper()} {path}"


@pytest.mark.parametrize("schema,field,values", [
    ("TraceLinkCreate", "relation", {"derives", "verified_by", "implemented_by"}),
    ("EvidenceCreate", "verdict", {"passed", "failed", "inconclusive"}),
    ("EvidenceCreate", "method", {"test", "fault-injection", "back-to-back"}),
    ("EvidenceCreate", "kind", {"test-result", "review"}),
    ("ArtifactCreate", "kind", {"test", "dataset", "deployment"}),
    ("DriftVerdictView", "severity", {"normal", "watch", "warning", "critical"}),
    ("StageStatusView", "state", {"pending", "baking", "promoted", "rolled_back"}),
    ("RolloutStatusView", "phase", {"running", "completed", "aborted"}),
    ("GapView", "asil", {"QM", "A", "D"}),
])
def test_enumerations_are_enums_in_the_schema(openapi, schema, field, values):
    prop = openapi["components"]["schemas"][schema]["properties"][field]
    enums = set()
    for candidate in (prop, *prop.get("oneOf", []), *prop.get("anyOf", [])):
        enums |= set(_resolve(openapi, candidate).get("enum") or [])
    assert values <= enums, prop


def test_enumerated_query_parameters_are_enums_too(openapi):
    params = {p["name"]: p for p in openapi["paths"]["/api/v1/drift/verdicts"]["get"]
              ["parameters"]}
    schema = params["at_least"]["schema"]
    enums = set()
    for candidate in (schema, *schema.get("oneOf", []), *schema.get("anyOf", [])):
        enums |= set(_resolve(openapi, candidate).get("enum") or [])
    assert {"watch", "critical"} <= enums
