"""What the CLI can do the API can do: registry, artifacts, reviews, matrix, exports and lists.

Each route over a real server on loopback: its happy path and an error it answers.
"""

from __future__ import annotations

import base64
import hashlib

import numpy as np
import pytest

from tests.e2e.conftest import EXAMPLE
from tests.e2e.test_rollout_cli_http import BASELINE, READY, fleet_description, seed
from tests.fakes.onnx_models import build_classifier

ONNX = "application/octet-stream"


def _import_example(client):
    response = client.post("/api/v1/requirements/import", params={"filename": EXAMPLE.name},
                           content=EXAMPLE.read_bytes(),
                           headers={"content-type": "application/xml"})
    assert response.status_code == 200, response.text


def _is_problem(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == f"urn:problem:{code}"


# --- model registry -------------------------------------------------------------------------


def test_a_model_file_is_registered_by_its_digest_and_listed(client, tmp_path):
    data = build_classifier(tmp_path / "aeb.onnx", 1.0).read_bytes()
    response = client.post("/api/v1/models/aeb@1.0.0", params={"filename": "aeb.onnx"},
                           content=data, headers={"content-type": ONNX})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["digest"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert body["size_bytes"] == len(data) and body["source_name"] == "aeb.onnx"
    assert body["registered_by"] == "eng.erin"  # the caller, not the server's configured name
    assert response.headers["location"] == "/api/v1/models/aeb@1.0.0"
    again = client.post("/api/v1/models/aeb@1.0.0", content=data,
                        headers={"content-type": ONNX})
    assert again.status_code == 201 and again.json()["digest"] == body["digest"]
    listed = client.get("/api/v1/models").json()
    assert listed["count"] == 1 and listed["models"][0]["ref"] == "aeb@1.0.0"
    assert client.get("/api/v1/models/aeb@1.0.0").json()["digest"] == body["digest"]


@pytest.mark.parametrize("path,content,status,code", [
    ("/api/v1/models/aeb@1.0.0", b"other bytes", 409, "MODEL_DIGEST_MISMATCH"),
    ("/api/v1/models/aeb@1.0.0", b"", 400, "INVALID_INPUT"),
    ("/api/v1/models/no-version", b"bytes", 422, "MODEL_VERSION_INVALID"),
])
def test_a_registration_that_would_change_a_version_is_refused(client, path, content, status,
                                                               code):
    first = client.post("/api/v1/models/aeb@1.0.0", content=b"the registered bytes",
                        headers={"content-type": ONNX})
    assert first.status_code == 201
    _is_problem(client.post(path, content=content, headers={"content-type": ONNX}), status,
                code)


def test_an_unregistered_version_is_not_found(client):
    _is_problem(client.get("/api/v1/models/aeb@9.9.9"), 404, "MODEL_VERSION_NOT_FOUND")


# --- artifacts and reviews ------------------------------------------------------------------


def test_a_test_is_recorded_with_its_report_as_evidence(client):
    report = b"PASSED: 120/120 runs"
    response = client.post("/api/v1/trace/artifacts", json={
        "id": "TEST-AEB-900", "kind": "test", "title": "Braking on wet road",
        "content": base64.b64encode(report).decode()})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "test" and body["title"] == "Braking on wet road"
    assert body["digest"] == f"sha256:{hashlib.sha256(report).hexdigest()}"
    stored = client.get(f"/api/v1/jobs/artifacts/{body['digest']}")
    assert stored.status_code == 200 and stored.content == report


def test_a_dataset_without_content_is_recorded_by_id(client):
    response = client.post("/api/v1/trace/artifacts",
                           json={"id": "DS-AEB-TRAIN", "kind": "dataset"})
    assert response.status_code == 201, response.text
    assert response.json() == {"id": "DS-AEB-TRAIN", "kind": "dataset",
                               "title": "DS-AEB-TRAIN", "digest": None}


def test_recording_an_id_again_as_another_kind_is_refused(client):
    assert client.post("/api/v1/trace/artifacts",
                       json={"id": "X-1", "kind": "test"}).status_code == 201
    _is_problem(client.post("/api/v1/trace/artifacts", json={"id": "X-1", "kind": "dataset"}),
                409, "TRACE_ITEM_KIND_CLASH")


def test_a_model_cannot_be_recorded_as_an_artifact_without_its_bytes(client):
    _is_problem(client.post("/api/v1/trace/artifacts", json={"id": "m@1", "kind": "model"}),
                400, "INVALID_REQUEST")


def test_a_review_is_recorded_on_a_link_as_passed_review_evidence(client, clients):
    _import_example(client)
    assert client.post("/api/v1/trace/artifacts",
                       json={"id": "TEST-AEB-900", "kind": "test"}).status_code == 201
    linked = client.post("/api/v1/trace/links", json={
        "source": "SYS-AEB-001", "relation": "verified_by", "target": "TEST-AEB-900"})
    assert linked.status_code == 201, linked.text
    reviewed = clients["safety-reviewer"].post("/api/v1/trace/reviews", json={
        "source": "SYS-AEB-001", "relation": "verified_by", "target": "TEST-AEB-900",
        "independent": True})
    assert reviewed.status_code == 201, reviewed.text
    evidence = reviewed.json()["evidence"][-1]
    assert (evidence["kind"], evidence["verdict"], evidence["agent"],
            evidence["independent"]) == ("review", "passed", "safety.sam", True)


def test_a_review_of_an_unknown_item_is_not_found(clients):
    _is_problem(clients["safety-reviewer"].post("/api/v1/trace/reviews", json={
        "source": "SYS-NOPE", "relation": "verified_by", "target": "TEST-NOPE"}),
        404, "TRACE_ITEM_NOT_FOUND")


def test_a_link_between_kinds_its_relation_cannot_connect_is_a_422(client):
    _import_example(client)
    _is_problem(client.post("/api/v1/trace/links", json={
        "source": "SYS-AEB-001", "relation": "verified_by", "target": "SYS-AEB-001"}),
        422, "TRACE_LINK_INVALID")


# --- matrix, exports, requirement list ------------------------------------------------------


def test_the_matrix_is_served_as_json_csv_and_html(client):
    _import_example(client)
    requirements = client.get("/api/v1/requirements").json()
    matrix = client.get("/api/v1/trace/matrix")
    assert matrix.status_code == 200
    body = matrix.json()
    assert len(body["rows"]) == requirements["count"] > 0
    assert 0.0 <= body["score"] <= 1.0 and body["gap_count"] > 0
    csv = client.get("/api/v1/trace/matrix.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == requirements["count"] + 1
    html = client.get("/api/v1/trace/matrix.html")
    assert html.headers["content-type"].startswith("text/html")
    assert "SYS-AEB-001" in html.text


@pytest.mark.parametrize("fmt,media_type,marker", [
    ("reqif", "application/xml", b"REQ-IF"),
    ("turtle", "text/turtle", b"SYS-AEB-001"),
    ("json-ld", "application/ld+json", b"SYS-AEB-001"),
    ("n-triples", "application/n-triples", b"SYS-AEB-001"),
])
def test_the_trace_is_exported_in_each_format(client, clients, fmt, media_type, marker):
    _import_example(client)
    response = clients["auditor"].get("/api/v1/trace/export", params={"format": fmt})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media_type)
    assert "attachment" in response.headers["content-disposition"]
    assert marker in response.content


def test_an_unknown_export_format_is_a_400(clients):
    _is_problem(clients["auditor"].get("/api/v1/trace/export", params={"format": "docx"}), 400,
                "INVALID_REQUEST")


def test_requirements_are_listed_and_filtered_by_level_and_asil(client):
    _import_example(client)
    everything = client.get("/api/v1/requirements").json()
    ml = client.get("/api/v1/requirements", params={"level": "ml"}).json()
    assert 0 < ml["count"] < everything["count"]
    assert {r["level"] for r in ml["requirements"]} == {"ml"}
    asil = everything["requirements"][0]["asil"]
    same = client.get("/api/v1/requirements", params={"asil": asil}).json()
    assert {r["asil"] for r in same["requirements"]} == {asil}


def test_an_unknown_asil_filter_is_a_400(client):
    _is_problem(client.get("/api/v1/requirements", params={"asil": "E"}), 400,
                "INVALID_REQUEST")


# --- drift verdicts -------------------------------------------------------------------------


def test_verdicts_are_listed_newest_last_and_filtered_by_severity(client):
    rng = np.random.default_rng(5)
    assert client.post("/api/v1/drift/aeb-eu/reference",
                       json={"rows": rng.normal(size=(800, 4)).tolist()}).status_code == 201
    for shift in (0.0, 2.0):
        window = client.post("/api/v1/drift/aeb-eu/windows",
                             json={"rows": (rng.normal(size=(400, 4)) + shift).tolist()})
        assert window.status_code == 201, window.text
    listed = client.get("/api/v1/drift/verdicts", params={"deployment": "aeb-eu"}).json()
    assert listed["count"] == 2
    assert [v["window_index"] for v in listed["verdicts"]] == [0, 1]
    alarming = client.get("/api/v1/drift/verdicts", params={"at_least": "watch"}).json()
    assert [v["window_index"] for v in alarming["verdicts"]] == [1]
    newest = client.get("/api/v1/drift/verdicts", params={"limit": 1}).json()
    assert newest["verdicts"][0]["id"] == listed["verdicts"][-1]["id"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"at_least": "alarming"},
                                    {"since": "2026-02-01T00:00:00Z",
                                     "until": "2026-01-01T00:00:00Z"}])
def test_a_meaningless_verdict_query_is_a_400(client, params):
    response = client.get("/api/v1/drift/verdicts", params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


# --- roll-outs ------------------------------------------------------------------------------


def test_rollouts_are_listed_with_their_phase_and_filtered(clients, server):
    _, container = server
    client = clients["release-manager"]
    assert client.get("/api/v1/rollouts").json() == {"rollouts": [], "count": 0}
    seed(container)
    started = client.post(f"/api/v1/deploy/{READY}", json={
        "fleet": fleet_description("api-list"), "baseline": str(BASELINE)})
    assert started.status_code == 202, started.text
    rollout_id = started.json()["rollout_id"]
    assert client.post(f"/api/v1/rollouts/{rollout_id}/abort",
                       json={"reason": "listed"}).status_code == 200
    listed = client.get("/api/v1/rollouts", params={"fleet": "api-list"}).json()
    assert [(r["rollout_id"], r["phase"]) for r in listed["rollouts"]] == [
        (rollout_id, "aborted")]
    assert client.get("/api/v1/rollouts", params={"phase": "running"}).json()["count"] == 0
    assert client.get("/api/v1/rollouts", params={"fleet": "elsewhere"}).json()["count"] == 0


def test_an_unknown_rollout_phase_filter_is_a_400(client):
    _is_problem(client.get("/api/v1/rollouts", params={"phase": "paused"}), 400,
                "INVALID_REQUEST")
