"""The simulated fleet and fleet files."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edgedeploy.adapters.fleet import (
    HttpFleet,
    JournalOnlyTarget,
    SimulatedBehaviour,
    SimulatedFleet,
    load_fleet,
    open_fleet,
)
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.rollout import FleetDriver
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState

OLD, NEW = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1")
D = "sha256:" + "d" * 64


def fleet(seed: int = 1, new: SimulatedBehaviour | None = None) -> SimulatedFleet:
    return SimulatedFleet(300, OLD, {OLD: SimulatedBehaviour(),
                                     NEW: new or SimulatedBehaviour()}, seed=seed)


def test_simulated_devices_take_only_newer_epochs():
    f = fleet()
    ids = [d.device_id for d in f.devices()[:10]]
    f.apply([DesiredState(d, NEW, D, 5) for d in ids])
    f.apply([DesiredState(d, OLD, D, 5) for d in ids])
    assert f.count_on(NEW) == 10 and f.accepted_commands == 10


def test_off_line_simulated_devices_are_unreachable_until_they_return():
    f = fleet()
    ids = [d.device_id for d in f.devices()[:4]]
    f.set_online(ids[:2], False)
    result = f.apply([DesiredState(d, NEW, D, 1) for d in ids])
    assert set(result.unreachable) == set(ids[:2]) and f.count_on(NEW) == 2
    f.set_online(ids[:2], True)
    f.apply([DesiredState(d, NEW, D, 1) for d in ids[:2]])
    assert f.count_on(NEW) == 4


def test_the_same_seed_gives_the_same_health_and_a_degraded_version_shows_it():
    runs = []
    for _ in range(2):
        f = fleet(seed=9, new=SimulatedBehaviour().degraded(error_factor=3))
        ids = [d.device_id for d in f.devices()]
        f.apply([DesiredState(d, NEW, D, 1) for d in ids[:150]])
        start = f.clock.now()
        f.advance(3)
        runs.append((f.health(ids[:150], NEW, start), f.health(ids[150:], OLD, start)))
    assert runs[0] == runs[1]
    canary, baseline = runs[0]
    assert canary.devices == 150 and canary.latency_count == canary.inferences
    assert canary.errors / canary.inferences > 2 * baseline.errors / baseline.inferences


def private_token(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_urlsafe(32) + "\n")
    path.chmod(0o600)
    return path


def test_a_fleet_file_describes_http_agents_and_simulated_fleets(tmp_path: Path):
    private_token(tmp_path / "secrets" / "cars.token")
    http = tmp_path / "cars.yaml"
    http.write_text("name: cars\nkind: http\nagents:\n"
                    "  - {id: ecu-1, url: 'http://127.0.0.1:9', labels: {hardware: a}}\n"
                    "auth: {token_file: secrets/cars.token}\n")
    described = load_fleet(http)
    assert described.name == "cars" and isinstance(described.target, HttpFleet)
    assert described.target.devices()[0].labels == {"hardware": "a"}
    described.target.close()
    sim = tmp_path / "sim.yaml"
    sim.write_text("kind: simulated\nsize: 25\nbaseline: aeb@1.0\n")
    assert len(load_fleet(sim).target.devices()) == 25


def test_an_unreachable_http_agent_is_reported_not_raised():
    f = HttpFleet({"ecu-1": "http://127.0.0.1:9"}, timeout_s=0.5, swap_wait_s=0)
    result = f.apply([DesiredState("ecu-1", NEW, D, 1)])
    assert result.unreachable == ("ecu-1",)
    assert f.health(["ecu-1"], NEW, datetime.now(UTC)).inferences == 0
    f.close()


def test_a_fleet_file_of_unknown_kind_is_invalid_input(tmp_path: Path):
    bad = tmp_path / "x.yaml"
    bad.write_text("kind: carrier-pigeon\n")
    with pytest.raises(InvalidInput, match="unknown kind"):
        load_fleet(bad)


def test_a_simulated_fleet_drives_itself_in_health_windows_on_its_own_clock(
        tmp_path: Path) -> None:
    path = tmp_path / "sim.yaml"
    path.write_text("name: sim\nkind: simulated\nsize: 10\nbaseline: aeb@1.0\n")
    described = open_fleet(path)
    assert isinstance(described, FleetDriver)
    assert described.clock is described.target.clock
    start = described.clock.now()
    began = time.monotonic()
    described.pace(3600.0)  # a controller's interval: one simulated window, no real wait
    described.elapse(1.0)
    assert time.monotonic() - began < 1.0
    assert (described.clock.now() - start).total_seconds() == 2 * described.target.window_s
    described.close()


def test_agents_over_http_live_in_real_time_on_the_controllers_clock(tmp_path: Path) -> None:
    token = private_token(tmp_path / "cars.token")
    described = open_fleet({"name": "cars", "kind": "http",
                            "agents": [{"id": "ecu-1", "url": "http://127.0.0.1:9"}],
                            "auth": {"token_file": str(token)}})
    try:
        assert described.name == "cars" and described.clock is None
        began = time.monotonic()
        described.elapse(5.0)
        assert time.monotonic() - began < 0.5
        described.pace(0.2)
        assert time.monotonic() - began >= 0.2
    finally:
        described.close()


def test_a_missing_fleet_file_or_an_incomplete_description_is_invalid_input(
        tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is not a file") as missing:
        open_fleet(tmp_path / "nowhere.yaml")
    assert missing.value.code == "FLEET_INVALID"
    with pytest.raises(InvalidInput, match="inline fleet description") as incomplete:
        open_fleet({"kind": "http"})
    assert incomplete.value.code == "FLEET_INVALID"


def test_the_journal_only_target_reaches_no_device_and_owes_every_command() -> None:
    target = JournalOnlyTarget()
    result = target.apply([DesiredState("ecu-1", NEW, D, 3)])
    assert result.acknowledged == () and result.unreachable == ("ecu-1",)
    assert target.devices() == [] and target.running(["ecu-1"]) == {"ecu-1": None}


AGENTS = "kind: http\nagents:\n  - {id: ecu-1, url: 'http://127.0.0.1:9'}\n"


@pytest.mark.parametrize(("auth", "why"), [
    ("", "'auth.token_file' is required"),
    ("auth: {token: abcdefghijklmnopqrstuvwxyz0123456789}\n", "'auth.token_file' is required"),
    ("auth: {token_file: cars.token, token: x}\n", "never inline"),
    ("auth: {token_file: missing.token}\n", "missing.token' cannot be read"),
    ("auth: {token_file: cars.token, tls: {cert_file: c.pem}}\n", "cert_file and key_file"),
])
def test_an_http_fleet_file_without_a_usable_secret_is_invalid_input(tmp_path: Path, auth, why):
    private_token(tmp_path / "cars.token")
    path = tmp_path / "cars.yaml"
    path.write_text(AGENTS + auth)
    with pytest.raises(InvalidInput, match=why):
        load_fleet(path)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620])
def test_a_token_file_others_may_read_is_refused_naming_the_file(tmp_path: Path, mode):
    private_token(tmp_path / "cars.token").chmod(mode)
    path = tmp_path / "cars.yaml"
    path.write_text(AGENTS + "auth: {token_file: cars.token}\n")
    with pytest.raises(InvalidInput, match=r"cars\.token' is accessible to group or others"):
        load_fleet(path)


def test_a_token_file_that_is_no_token_is_refused_and_never_sent(tmp_path: Path):
    key = tmp_path / "id.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n"
                   "-----END PRIVATE KEY-----\n")
    key.chmod(0o600)
    path = tmp_path / "cars.yaml"
    path.write_text(AGENTS + "auth: {token_file: id.pem}\n")
    with pytest.raises(InvalidInput, match="must hold one line of 32 to 512 characters"):
        load_fleet(path)
