"""Authentication and authorization at the HTTP edge, over a real server on loopback.

Every state-changing route is taken from the app's own route table, so a route added later
is checked without anyone listing it here.
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa

from edgedeploy.domain.identity import Permission, roles_granting
from edgedeploy.entrypoints.http.app import create_app
from edgedeploy.entrypoints.http.auth import route_requirements
from edgedeploy.entrypoints.settings import (
    HttpSettings,
    IdentitySettings,
    OidcSettings,
    Settings,
)
from tests.e2e.conftest import ADMIN, EXAMPLE, PRINCIPALS, serve

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
MODEL = "aeb-perception@1.0.0"
ISSUER = "https://idp.example/realms/adas"
AUDIENCE = "edgedeploy"


def _mutating_routes(container) -> list[tuple[str, str, frozenset[Permission]]]:
    app = create_app(container)
    routes = [(method, re.sub(r"\{[^}]+\}", "aeb@1.0", path), needed)
              for method, path, needed in route_requirements(app)
              if method in STATE_CHANGING]
    assert len(routes) >= 15  # every capability's commands, not a stray few
    return routes


def _problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"urn:problem:{code}"
    return body


def test_every_state_changing_route_needs_a_credential(server, anonymous):
    _, container = server
    wrong = {}
    for method, path, _ in _mutating_routes(container):
        response = anonymous.request(method, path, json={})
        got = (response.status_code, response.headers.get("www-authenticate", ""),
               response.json().get("type"))
        if got[0] != 401 or not got[1].startswith("Bearer") \
                or got[2] != "urn:problem:UNAUTHENTICATED":
            wrong[f"{method} {path}"] = got
    assert wrong == {}


def test_every_state_changing_route_refuses_a_role_without_its_permission(server, clients):
    _, container = server
    wrong = {}
    for method, path, needed in _mutating_routes(container):
        response = clients["viewer"].request(method, path, json={})
        detail = response.json().get("detail") or ""
        roles = {role.value for permission in needed for role in roles_granting(permission)}
        if response.status_code != 403 or not any(role in detail for role in roles):
            wrong[f"{method} {path}"] = (response.status_code, detail)
    assert wrong == {}


def test_every_state_changing_route_refuses_text_plain_from_a_permitted_caller(server,
                                                                             clients):
    _, container = server
    wrong = {}
    for method, path, _ in _mutating_routes(container):
        response = clients["maintainer"].request(
            method, path, params={"filename": "r.reqif"}, content=b'{"source": "A"}',
            headers={"content-type": "text/plain"})
        if response.status_code != 415:
            wrong[f"{method} {path}"] = response.status_code
    assert wrong == {}


def test_reads_need_a_credential_too_but_probes_and_the_document_do_not(anonymous, clients):
    for path in ("/api/v1/requirements", "/api/v1/trace/matrix", "/metrics",
                 "/api/v1/auth/whoami"):
        _problem(anonymous.get(path), 401, "UNAUTHENTICATED")
    for path in ("/healthz", "/readyz", "/schema/openapi.json"):
        assert anonymous.get(path).status_code == 200, path
    assert clients["viewer"].get("/api/v1/requirements").status_code == 200
    assert clients["viewer"].get("/metrics").status_code == 200


def test_exports_need_the_export_permission(clients):
    body = _problem(clients["viewer"].get("/api/v1/trace/export"), 403, "FORBIDDEN")
    assert "auditor" in body["detail"]
    assert clients["auditor"].get("/api/v1/trace/export").status_code == 200


def test_whoami_names_the_principal_its_roles_unit_and_how_it_authenticated(clients):
    response = clients["safety-reviewer"].get("/api/v1/auth/whoami")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "safety.sam", "roles": ["safety-reviewer"], "unit": "safety/assessment",
        "authenticated_by": "token",
        "permissions": ["independent-review", "judge-drift", "read", "review"]}


def test_an_expired_a_revoked_and_a_forged_token_are_refused(server, tokens, anonymous):
    _, container = server
    issue = container.issue_token()
    short = issue(PRINCIPALS["engineer"][0], by=ADMIN, lifetime=timedelta(seconds=1)).secret
    revoked = issue(PRINCIPALS["engineer"][0], by=ADMIN, lifetime=timedelta(hours=1))
    container.revoke_token()(revoked.record.token_id, by=ADMIN)
    forged = tokens["engineer"][:-4] + "AAAA"
    time.sleep(1.2)  # past the short token's expiry, however busy the machine
    for token, reason in ((short, "expired"), (revoked.secret, "revoked"),
                          (forged, "not valid"), ("not-a-token", "not an edgedeploy")):
        response = anonymous.get("/api/v1/auth/whoami",
                                 headers={"Authorization": f"Bearer {token}"})
        body = _problem(response, 401, "UNAUTHENTICATED")
        assert reason in body["detail"]
        assert token not in response.text
    basic = anonymous.get("/api/v1/auth/whoami", headers={"Authorization": "Basic dXNlcg=="})
    _problem(basic, 401, "UNAUTHENTICATED")


def test_credentials_never_reach_the_logs_or_problem_bodies(server, tokens, anonymous,
                                                            caplog, capfd):
    _, container = server
    revoked = container.issue_token()(PRINCIPALS["viewer"][0], by=ADMIN,
                                      lifetime=timedelta(hours=1))
    container.revoke_token()(revoked.record.token_id, by=ADMIN)
    secrets = [tokens["viewer"], revoked.secret, tokens["engineer"][:-1] + "x"]
    caplog.set_level(logging.DEBUG)
    bodies = []
    with structlog.testing.capture_logs() as events:
        for secret in secrets:
            for method, path in (("GET", "/api/v1/auth/whoami"),
                                 ("POST", "/api/v1/trace/links")):
                response = anonymous.request(method, path, json={"source": "A"},
                                             headers={"Authorization": f"Bearer {secret}"})
                bodies.append(response.text)
    out, err = capfd.readouterr()
    logged = json.dumps(events, default=str) + caplog.text + out + err
    assert any(e["event"] == "http.unauthenticated" for e in events)
    assert any(e["event"] == "http.forbidden" for e in events)
    for secret in secrets:
        assert secret not in logged
        assert not any(secret in body for body in bodies)
        assert secret.split("_")[2] not in logged


def test_a_body_naming_its_own_agent_is_refused_and_the_gate_does_not_move(server, clients):
    _, container = server
    engineer = clients["engineer"]
    assert engineer.post("/api/v1/requirements/import", params={"filename": EXAMPLE.name},
                         content=EXAMPLE.read_bytes()).status_code == 200
    from edgedeploy.domain.models import ModelRef

    container.register_model()(ModelRef.parse(MODEL), b"model-bytes", "eng.erin")
    before = _problem(engineer.post(f"/api/v1/models/{MODEL}/gate"), 409, "SAFETY_TRACE_GAP")
    ml = next(r.id for r in container.trace_store().items()
              if getattr(r, "level", None) and r.level.value == "ml")
    for client, path, body in (
            (engineer, "/api/v1/trace/links",
             {"source": ml, "relation": "implemented_by", "target": MODEL,
              "evidence": {"kind": "test-result", "verdict": "passed", "agent": "mallory"}}),
            (clients["safety-reviewer"], "/api/v1/trace/reviews",
             {"source": ml, "relation": "implemented_by", "target": MODEL,
              "reviewer": "mallory", "independent": True})):
        refused = _problem(client.post(path, json=body), 400, "INVALID_REQUEST")
        assert "agent" in refused["detail"] or "reviewer" in refused["detail"]
    after = _problem(engineer.post(f"/api/v1/models/{MODEL}/gate"), 409, "SAFETY_TRACE_GAP")
    assert (after["gaps"], after.get("detail")) == (before["gaps"], before.get("detail"))
    assert container.trace_store().links() == [] or all(
        link.target != MODEL for link in container.trace_store().links())


def test_an_engineer_cannot_record_a_review_independent_or_not(clients):
    for independent in (False, True):
        body = _problem(clients["engineer"].post("/api/v1/trace/reviews", json={
            "source": "SYS-AEB-001", "relation": "verified_by", "target": "T-1",
            "independent": independent}), 403, "FORBIDDEN")
        assert "safety-reviewer" in body["detail"]


def test_a_test_result_names_its_verdict(clients):
    body = _problem(clients["engineer"].post("/api/v1/trace/links", json={
        "source": "A", "relation": "verified_by", "target": "B",
        "evidence": {"kind": "test-result"}}), 400, "INVALID_REQUEST")
    assert "verdict" in body["detail"]


# --- OIDC -----------------------------------------------------------------------------------


@pytest.fixture(name="idp_key", scope="module")
def fx_idp_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(name="oidc_server")
def fx_oidc_server(tmp_path, idp_key):
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(idp_key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig",
                                          "alg": "RS256"}]}), encoding="utf-8")
    oidc = OidcSettings(issuer=ISSUER, audience=AUDIENCE, jwks_file=str(jwks),
                        unit_claim="department",
                        role_map={"adas-release": ["release-manager"],
                                  "adas-dev": ["engineer", "viewer"]})
    yield from serve(Settings(home=str(tmp_path / "home"),
                              identity=IdentitySettings(oidc=oidc)))


def _jwt(key, **overrides) -> str:
    now = datetime.now(UTC)
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-4711",
              "preferred_username": "rm.olga", "groups": ["adas-release", "canteen"],
              "department": "release/eu", "iat": now, "exp": now + timedelta(minutes=5),
              **overrides}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "idp-1"})


def _whoami(base: str, token: str) -> httpx.Response:
    return httpx.get(f"{base}/api/v1/auth/whoami", timeout=30,
                     headers={"Authorization": f"Bearer {token}"})


def test_a_jwt_from_the_identity_provider_is_accepted_with_its_mapped_roles(oidc_server,
                                                                            idp_key):
    base, _ = oidc_server
    response = _whoami(base, _jwt(idp_key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["roles"], body["unit"], body["authenticated_by"]) == (
        "rm.olga", ["release-manager"], "release/eu", "oidc")
    forbidden = httpx.post(f"{base}/api/v1/trace/artifacts", timeout=30,
                           json={"id": "T-1", "kind": "test"},
                           headers={"Authorization": f"Bearer {_jwt(idp_key)}"})
    _problem(forbidden, 403, "FORBIDDEN")


@pytest.mark.parametrize("overrides,reason", [
    ({"aud": "another-service"}, "audience"),
    ({"iss": "https://idp.example/realms/other"}, "issuer"),
    ({"exp": datetime.now(UTC) - timedelta(hours=1),
      "iat": datetime.now(UTC) - timedelta(hours=2)}, "expired"),
])
def test_a_jwt_for_another_audience_from_another_issuer_or_expired_is_refused(
        oidc_server, idp_key, overrides, reason):
    base, _ = oidc_server
    body = _problem(_whoami(base, _jwt(idp_key, **overrides)), 401, "UNAUTHENTICATED")
    assert reason in body["detail"]


def test_a_jwt_signed_by_another_key_is_refused(oidc_server):
    base, _ = oidc_server
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _problem(_whoami(base, _jwt(stranger)), 401, "UNAUTHENTICATED")


def test_without_oidc_settings_a_jwt_is_refused(anonymous, idp_key):
    response = anonymous.get("/api/v1/auth/whoami",
                             headers={"Authorization": f"Bearer {_jwt(idp_key)}"})
    body = _problem(response, 401, "UNAUTHENTICATED")
    assert "no OIDC" in body["detail"]


# --- CORS -----------------------------------------------------------------------------------

CONSOLE = "https://console.example"


def _preflight(base: str, origin: str) -> httpx.Response:
    return httpx.options(f"{base}/api/v1/trace/links", timeout=30, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})


def test_cors_is_closed_by_default(server):
    response = _preflight(server[0], CONSOLE)
    assert "access-control-allow-origin" not in response.headers


@pytest.fixture(name="cors_server")
def fx_cors_server(tmp_path):
    yield from serve(Settings(home=str(tmp_path / "home"),
                              http=HttpSettings(cors_origins=[CONSOLE])))


def test_cors_opens_only_to_the_listed_origins(cors_server):
    base, _ = cors_server
    listed = _preflight(base, CONSOLE)
    assert listed.headers.get("access-control-allow-origin") == CONSOLE
    assert "authorization" in listed.headers.get("access-control-allow-headers", "").lower()
    unlisted = _preflight(base, "https://evil.example")
    assert "access-control-allow-origin" not in unlisted.headers
