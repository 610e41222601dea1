"""A fleet counts a device on a version only when the device says so, wherever it was started."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edgedeploy.adapters.fleet import LocalAgentFleet, load_fleet
from edgedeploy.domain.rollout import DesiredState
from tests.integration.rollout.conftest import V1, V2, Models


def test_relative_paths_in_a_fleet_file_resolve_against_the_file_not_the_working_directory(
        tmp_path: Path, models: Models, monkeypatch: pytest.MonkeyPatch) -> None:
    fleet_dir = tmp_path / "fleets"
    shutil.copytree(models.repository, fleet_dir / "packages")
    (fleet_dir / "bench.yaml").write_text(json.dumps(
        {"name": "bench", "kind": "local", "repository": "packages", "home": "agents",
         "devices": ["ecu-0", "ecu-1"]}), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path)
    fleet = load_fleet(Path("fleets/bench.yaml"))
    monkeypatch.chdir(elsewhere)
    try:
        target = fleet.target
        result = target.apply([DesiredState(d.device_id, V1, models.digests[V1], 1)
                               for d in target.devices()])
        running = target.running(["ecu-0", "ecu-1"])
    finally:
        fleet.close()
    assert sorted(result.acknowledged) == ["ecu-0", "ecu-1"] and not result.unreachable
    assert running == {"ecu-0": V1, "ecu-1": V1}
    assert (fleet_dir / "agents" / "ecu-0").is_dir()
    assert not (elsewhere / "agents").exists() and not (tmp_path / "agents").exists()


def test_an_answer_that_does_not_report_the_desired_state_is_no_acknowledgement(
        tmp_path: Path, models: Models) -> None:
    fleet = LocalAgentFleet(tmp_path / "agents", models.repository, ["ecu-0", "ecu-1"])
    try:
        first = fleet.apply([DesiredState(d, V1, models.digests[V1], 1)
                             for d in ("ecu-0", "ecu-1")])
        # ecu-1 is told a digest its package does not have: its swap fails, V1 keeps serving.
        second = fleet.apply([DesiredState("ecu-0", V2, models.digests[V2], 2),
                              DesiredState("ecu-1", V2, "sha256:" + "0" * 64, 2)])
        # The same epoch again is answered "stale" with HTTP 200: still not on V2.
        again = fleet.apply([DesiredState("ecu-1", V2, "sha256:" + "0" * 64, 2)])
        running = fleet.running(["ecu-0", "ecu-1"])
    finally:
        fleet.close()
    assert sorted(first.acknowledged) == ["ecu-0", "ecu-1"]
    assert second.acknowledged == ("ecu-0",) and second.unreachable == ("ecu-1",)
    assert again.acknowledged == () and again.unreachable == ("ecu-1",)
    assert running == {"ecu-0": V2, "ecu-1": V1}
