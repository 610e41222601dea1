"""A deploy request cannot turn its fleet into a path outside the server's fleets directory."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from edgedeploy.entrypoints.settings import HttpSettings, RolloutSettings, Settings
from tests.e2e.conftest import issue_tokens, serve
from tests.e2e.test_rollout_cli_http import BASELINE, READY, fleet_description, seed


@pytest.fixture(name="deploy")
def fx_deploy(tmp_path: Path):
    """(post a deploy body, the fleets directory, the scratch root) on a seeded server."""
    fleets = tmp_path / "srv" / "fleets"
    fleets.mkdir(parents=True)
    settings = Settings(home=str(tmp_path / "srv" / "home"), actor="api.test",
                        http=HttpSettings(max_body_bytes=256 * 1024),
                        rollout=RolloutSettings(fleets_dir=str(fleets)))
    served = serve(settings)
    base, container = next(served)
    seed(container)
    token = issue_tokens(container)["release-manager"]
    with httpx.Client(base_url=base, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        def post(body: dict[str, object]) -> httpx.Response:
            return client.post(f"/api/v1/deploy/{READY}", json={**body,
                                                               "baseline": str(BASELINE)})
        yield post, fleets, tmp_path
    next(served, None)


def _files(root: Path) -> set[Path]:
    return set(root.rglob("*"))


def _refused(response: httpx.Response, *words: str) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = str(response.json().get("detail", ""))
    for word in words:
        assert word in detail
    return detail


@pytest.mark.parametrize("name", ["../../escape", "/tmp/absolute-fleet", "a/b"])
def test_a_fleet_name_that_is_a_path_is_refused_and_nothing_is_written(deploy, name):
    post, _fleets, root = deploy
    before = _files(root)
    response = post({"fleet": {**fleet_description("x"), "name": name}})
    _refused(response, "fleet name")
    assert _files(root) == before


def test_a_device_id_that_is_a_path_is_refused_before_any_agent_directory_exists(deploy):
    post, _fleets, root = deploy
    before = _files(root)
    response = post({"fleet": {"name": "bench", "kind": "local", "repository": "packages",
                               "devices": ["ecu-0", "../../../owned"]}})
    _refused(response, "device id")
    assert _files(root) == before
    assert not (root / "owned").exists()


@pytest.mark.parametrize("field", ["home", "repository"])
def test_inline_paths_outside_the_fleets_directory_are_refused(deploy, field):
    post, _fleets, root = deploy
    before = _files(root)
    description = {"name": "bench", "kind": "local", "repository": "packages",
                   "devices": ["ecu-0"], field: str(root / "elsewhere")}
    _refused(post({"fleet": description}), field)
    _refused(post({"fleet": {**description, field: "../elsewhere"}}), field)
    assert _files(root) == before


def test_a_fleet_file_outside_the_fleets_directory_is_refused_without_echoing_it(deploy):
    post, _fleets, root = deploy
    secret = root / "secret.yaml"
    secret.write_text("password: hunter2-very-secret\n", encoding="utf-8")
    for name in (str(secret), "../../secret.yaml", "/etc/passwd"):
        detail = _refused(post({"fleet_file": name}), "fleet_file")
        assert "hunter2" not in detail and "root:" not in detail


def test_a_fleet_file_that_is_no_mapping_or_no_yaml_is_invalid_input_without_its_content(
        deploy):
    post, fleets, _root = deploy
    (fleets / "list.yaml").write_text("- hunter2-very-secret\n", encoding="utf-8")
    (fleets / "broken.yaml").write_text("name: [hunter2-very-secret\n", encoding="utf-8")
    for name in ("list.yaml", "broken.yaml"):
        detail = _refused(post({"fleet_file": name}))
        assert "hunter2" not in detail


def test_a_fleet_file_in_the_fleets_directory_is_deployed(deploy):
    post, fleets, _root = deploy
    (fleets / "bench.yaml").write_text(json.dumps(fleet_description("bench")),
                                       encoding="utf-8")
    response = post({"fleet_file": "bench.yaml"})
    assert response.status_code == 202, response.text
