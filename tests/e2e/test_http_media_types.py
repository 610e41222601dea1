"""Bodies the API does not declare are refused with 415 before anything is decoded or stored."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import EXAMPLE

BODIES = {
    "text/plain": {"content": b'{"source": "A", "relation": "derives", "target": "B"}',
                   "headers": {"content-type": "text/plain"}},
    "form": {"data": {"source": "A", "relation": "derives", "target": "B"}},
    "multipart": {"files": {"file": ("requirements.reqif", EXAMPLE.read_bytes(),
                                     "application/xml")}},
}


def _state_changing_paths(client) -> list[str]:
    document = client.get("/schema/openapi.json").json()
    paths = [path for path, item in document["paths"].items() if "post" in item]
    assert len(paths) >= 15  # every capability's commands, not a stray few
    return [re.sub(r"\{[^}]+\}", "aeb@1.0", path) for path in paths]


@pytest.mark.parametrize("body", sorted(BODIES))
def test_every_state_changing_route_refuses_an_undeclared_body_with_415(clients, body):
    # A caller whose roles allow every command: the refusal is about the body, not the role.
    client = clients["maintainer"]
    refused = {}
    for path in _state_changing_paths(client):
        response = client.post(path, params={"filename": "requirements.reqif"}, **BODIES[body])
        refused[path] = (response.status_code,
                         response.headers["content-type"].split(";")[0],
                         response.json().get("type"))
    expected = (415, "application/problem+json", "urn:problem:UNSUPPORTED_MEDIA_TYPE")
    assert {path: got for path, got in refused.items() if got != expected} == {}


def test_a_refused_import_changes_nothing(client, server):
    _, container = server
    response = client.post("/api/v1/requirements/import", params={"filename": "r.reqif"},
                           content=EXAMPLE.read_bytes(), headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "application/xml" in response.json()["detail"]
    assert container.trace_store().items() == []


def test_declared_media_types_are_accepted_with_parameters(client):
    imported = client.post("/api/v1/requirements/import", params={"filename": EXAMPLE.name},
                           content=EXAMPLE.read_bytes(),
                           headers={"content-type": "application/xml; charset=utf-8"})
    assert imported.status_code == 200, imported.text
    linked = client.post("/api/v1/trace/links",
                         content=b'{"source": "SYS-AEB-001", "relation": "derives", '
                                 b'"target": "nowhere"}',
                         headers={"content-type": "application/json; charset=utf-8"})
    assert linked.status_code == 404, linked.text


def test_a_json_route_refuses_a_body_without_a_media_type(client):
    response = client.post("/api/v1/trace/links",
                           content=b'{"source": "A", "relation": "derives", "target": "B"}')
    assert response.status_code == 415
    assert "application/octet-stream" in response.json()["detail"]


def test_a_bodyless_command_needs_no_media_type(clients):
    response = clients["release-manager"].post("/api/v1/rollouts/ro-missing/abort")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:problem:ROLLOUT_NOT_FOUND"
