"""Roll-outs through the CLI and the HTTP API, on a simulated fleet, with the real gate."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from edgedeploy.application.optimization.release import VERIFICATION_REPORT
from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.identity import Principal, PrincipalKind, Role
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact
from edgedeploy.domain.requirements import ArtifactKind as K
from edgedeploy.domain.requirements import RequirementLevel as L
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import Relation as R
from edgedeploy.domain.traceability import VerificationMethod as M
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.settings import Settings
from tests.builders import art, link, req, result, review

READY, BASELINE, UNVERIFIED = (ModelRef("aeb", "1.0.0"), ModelRef("aeb", "0.9.0"),
                               ModelRef("aeb", "2.0.0"))


def seed(container: Container) -> None:
    """A baseline, a release-ready version (QM trace, passed report) and an unverified one."""
    register, store, evidence = (container.register_model(), container.trace_store(),
                                 container.evidence())
    for ref in (BASELINE, READY, UNVERIFIED):
        register(ref, f"onnx bytes of {ref}".encode(), "release.engineer")
    store.apply(TraceChange(
        items=[req("SYS-1", ASIL.QM), req("MLR-1", ASIL.QM, L.ML), art("TC-1", K.TEST)],
        links=[link("SYS-1", R.DERIVES, "MLR-1"), link("MLR-1", R.IMPLEMENTED_BY, str(READY)),
               link("MLR-1", R.IMPLEMENTED_BY, str(UNVERIFIED)),
               link("SYS-1", R.VERIFIED_BY, "TC-1", result(), review()),
               link("MLR-1", R.VERIFIED_BY, "TC-1", result(method=M.TEST), review())]))
    digest = evidence.put(json.dumps({"passed": True, "checks": []}).encode())
    item = store.get_item(READY.item_id)
    assert isinstance(item, Artifact)
    store.apply(TraceChange(items=[Artifact(item.id, item.kind, item.title, item.digest,
                                            (*item.attributes, (VERIFICATION_REPORT, digest)))]))


def fleet_description(name: str) -> dict[str, object]:
    return {"name": name, "kind": "simulated", "size": 1000, "seed": 7,
            "baseline": str(BASELINE)}


@pytest.fixture(name="fleet_file")
def fx_fleet_file(tmp_path: Path) -> Path:
    path = tmp_path / "bench.yaml"
    path.write_text(json.dumps(fleet_description("bench")), encoding="utf-8")
    return path


@pytest.fixture(name="seeded_home")
def fx_seeded_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    container = bootstrap(Settings(home=str(home), actor="seed"))
    seed(container)
    close_container(container)
    return home


def test_deploy_drives_a_ready_version_to_the_whole_fleet_and_links_the_decision_log(
        cli, seeded_home, fleet_file) -> None:
    out = cli("deploy", str(READY), "--fleet", str(fleet_file), "--baseline", str(BASELINE),
              "--interval", "0", "--json")

    assert out.exit_code == 0, out.output
    view = json.loads(out.stdout)
    assert view["phase"] == "completed"
    assert [s["state"] for s in view["stages"]] == ["promoted"] * 4
    status = cli("rollout", "status", view["rollout_id"], "--json")
    assert json.loads(status.stdout)["phase"] == "completed"
    container = bootstrap(Settings(home=str(seeded_home)))
    try:
        deployment = f"deployment:bench:{view['rollout_id']}"
        store = container.trace_store()
        item = store.get_item(deployment)
        trace_link = store.get_link((READY.item_id, R.DEPLOYED_AS, deployment))
        assert item is not None and item.digest is not None
        assert container.evidence().exists(item.digest)
    finally:
        close_container(container)
    assert trace_link is not None
    assert [(e.kind.value, e.verdict.value) for e in trace_link.evidence] == [
        ("report", "passed")]


def test_deploy_refuses_an_unverified_version_with_exit_3_and_the_reasons(
        cli, seeded_home, fleet_file) -> None:
    out = cli("deploy", str(UNVERIFIED), "--fleet", str(fleet_file), "--baseline",
              str(BASELINE), "--json")

    assert out.exit_code == 3
    problem = json.loads(out.stdout)
    assert problem["type"] == "urn:problem:RELEASE_NOT_READY"
    assert "aeb@2.0.0 has no verification report" in problem["detail"]


def test_a_rollout_can_be_aborted_from_the_cli_and_a_second_abort_is_refused(
        cli, seeded_home, fleet_file) -> None:
    started = json.loads(cli("deploy", str(READY), "--fleet", str(fleet_file), "--baseline",
                             str(BASELINE), "--no-wait", "--json").stdout)
    assert started["phase"] == "running"

    aborted = cli("rollout", "abort", started["rollout_id"], "--reason", "field report",
                  "--json")
    again = cli("rollout", "abort", started["rollout_id"], "--json")

    assert json.loads(aborted.stdout)["phase"] == "aborted"
    assert again.exit_code == 3
    assert cli("rollout", "status", "ro-unknown").exit_code == 4
    container = bootstrap(Settings(home=str(seeded_home)))
    try:
        trace_link = container.trace_store().get_link(
            (READY.item_id, R.DEPLOYED_AS, f"deployment:bench:{started['rollout_id']}"))
    finally:
        close_container(container)
    assert trace_link is not None
    assert [e.verdict.value for e in trace_link.evidence] == ["failed"]


def test_the_api_starts_follows_and_aborts_a_rollout_and_refuses_unready_versions(
        server, clients) -> None:
    _, container = server
    seed(container)
    client = clients["release-manager"]
    refused = client.post(f"/api/v1/deploy/{UNVERIFIED}",
                          json={"fleet": fleet_description("api"),
                                "baseline": str(BASELINE)})
    accepted = client.post(f"/api/v1/deploy/{READY}",
                           json={"fleet": fleet_description("api"),
                                 "baseline": str(BASELINE)})
    location = accepted.headers["location"]
    status = client.get(location)
    approve = clients["release-manager-2"].post(f"{location}/approve", json={})
    aborted = client.post(f"{location}/abort", json={"reason": "stop the line"})
    again = client.post(f"{location}/abort")
    missing = client.get("/api/v1/rollouts/ro-missing")

    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["reasons"] == [
        "verification: aeb@2.0.0 has no verification report (run edgedeploy verify)"]
    assert accepted.status_code == 202
    assert location == f"/api/v1/rollouts/{accepted.json()['rollout_id']}"
    assert status.status_code == 200 and status.json()["model"] == str(READY)
    assert approve.status_code == 409
    assert aborted.status_code == 200 and aborted.json()["phase"] == "aborted"
    assert again.status_code == 409
    assert missing.status_code == 404


def test_the_background_ticker_drives_a_rollout_to_completion_and_releases_the_fleet(
        seeded_home) -> None:
    container = bootstrap(Settings(home=str(seeded_home), actor="api.test"))
    path = seeded_home / "ticker.yaml"
    path.write_text(json.dumps(fleet_description("ticker")), encoding="utf-8")
    ticker = container.rollout_ticker(interval_s=0.01)
    prepare = container.prepare_rollout()
    try:
        fleet = container.rollout_fleets().open_fleet(path)
        starter = Principal("rm.rita", frozenset({Role.RELEASE_MANAGER}), PrincipalKind.TOKEN)
        view = ticker.launch(fleet, lambda name: prepare(name, READY, BASELINE, actor=starter))
        ticker.start()
        deadline = time.monotonic() + 30
        while ticker.driving(view.rollout_id):
            assert time.monotonic() < deadline, "the ticker did not finish the roll-out"
            time.sleep(0.05)
        final = container.rollout_status()(view.rollout_id)
    finally:
        ticker.stop()
        close_container(container)

    assert final.phase == "completed"
