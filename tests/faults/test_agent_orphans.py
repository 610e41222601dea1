"""A controller's local agents end with it, and a controller started after a kill -9 takes
over the agents it finds instead of leaving them running beside fresh ones.

Real processes throughout: a controller process holding a ``kind: local`` fleet through the
CLI's fleet session, the agents it spawns, and the signals sent to it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edgedeploy.domain.models import ModelRef
from tests.fakes.onnx_models import publish

SCRIPT = Path(__file__).with_name("controller_process.py")
ROOT = SCRIPT.parents[2]
DEVICES = ["ecu-0", "ecu-1", "ecu-2"]
V1 = ModelRef("aeb", "1.0")
# Generous: three agents start and stop on a busy two-core machine.
START_S, STOP_S = 120.0, 60.0


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


class Controller:
    """One controller process and the JSON line it prints once its fleet is up."""

    def __init__(self, fleet_file: Path, *release: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--local", str(fleet_file), *release],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks until the fleet is up or the process ends
        if not line:
            self.proc.wait(timeout=STOP_S)
            pytest.fail(f"controller ended with {self.proc.returncode}: "
                        f"{self.proc.stderr.read() if self.proc.stderr else ''}")
        self.report = json.loads(line)

    def signal(self, signum: int) -> int:
        self.proc.send_signal(signum)
        return self.proc.wait(timeout=STOP_S)


def recorded_pids(home: Path) -> dict[str, int]:
    """The agent pid each device's pid file names (absent files are left out)."""
    out = {}
    for device in DEVICES:
        path = home / device / "agent.pid"
        if path.exists():
            out[device] = int(json.loads(path.read_text(encoding="utf-8"))["pid"])
    return out


def agent_processes(home: Path) -> dict[str, list[int]]:
    """Every live agent process per device whose home is under ``home`` (from procfs)."""
    found: dict[str, list[int]] = {d: [] for d in DEVICES}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or not process_alive(int(entry.name)):
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"edgedeploy.entrypoints.agent" in args and b"--home" in args:
            agent_home = Path(args[args.index(b"--home") + 1].decode())
            if agent_home.parent == home and agent_home.name in found:
                found[agent_home.name].append(int(entry.name))
    return found


def wait_until_gone(pids: list[int], within_s: float) -> list[int]:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and any(process_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if process_alive(p)]


def reported_status(home: Path, token_file: Path, device: str) -> dict[str, object]:
    """What the agent itself answers on the port its pid file names."""
    port = json.loads((home / device / "agent.pid").read_text(encoding="utf-8"))["port"]
    secret = token_file.read_text(encoding="utf-8").strip()
    response = httpx.get(f"http://127.0.0.1:{port}/v1/status", timeout=10.0,
                         headers={"Authorization": f"Bearer {secret}"})
    response.raise_for_status()
    result: dict[str, object] = response.json()
    return result


@pytest.fixture(name="fleet_file")
def fx_fleet_file(tmp_path: Path) -> Iterator[Path]:
    fleet_file = tmp_path / "fleet-local.yaml"
    fleet_file.write_text(json.dumps({"name": "orphans", "kind": "local",
                                      "repository": "packages", "home": "agents",
                                      "devices": DEVICES}), encoding="utf-8")
    yield fleet_file
    # Whatever a failed test leaves behind is ended here, never by name.
    for pids in agent_processes(tmp_path / "agents").values():
        for pid in pids:
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(name="digest")
def fx_digest(fleet_file: Path) -> str:
    return publish(fleet_file.parent / "packages", fleet_file.parent / "build", V1, 1.0)


def test_sigterm_to_the_controller_stops_every_agent_of_its_fleet(fleet_file: Path) -> None:
    home = fleet_file.parent / "agents"
    controller = Controller(fleet_file)
    running = agent_processes(home)
    assert running == \
        {d: [pid] for d, pid in controller.report["pids"].items()}

    returncode = controller.signal(signal.SIGTERM)

    left = wait_until_gone([p for pids in running.values() for p in pids], STOP_S)
    assert left == [], f"agents {left} outlived their controller"
    assert agent_processes(home) == {d: [] for d in DEVICES}
    assert returncode == 128 + signal.SIGTERM, "the controller did not end through its handler"
    assert recorded_pids(home) == {}, "a stopped agent left its pid file"


def test_a_controller_started_after_a_kill_takes_over_the_agents_it_finds(
        fleet_file: Path, digest: str) -> None:
    home = fleet_file.parent / "agents"
    first = Controller(fleet_file, str(V1), digest)
    orphans = {d: pids[0] for d, pids in agent_processes(home).items() if len(pids) == 1}
    assert orphans == first.report["pids"]

    # kill -9 runs no handler: the agents stay, as after a crash or a power cut of the host.
    assert first.signal(signal.SIGKILL) == -signal.SIGKILL
    assert all(process_alive(p) for p in orphans.values())

    second = Controller(fleet_file)
    try:
        running = agent_processes(home)
        assert all(len(running[d]) == 1 for d in DEVICES), f"agents per device: {running}"
        assert {d: pids[0] for d, pids in running.items()} == second.report["pids"]
        assert second.report["pids"] == recorded_pids(home)
        # Adopted agents keep their pids; any replaced one must be gone.
        for device in second.report["adopted"]:
            assert second.report["pids"][device] == orphans[device]
        assert sorted(second.report["adopted"]) == DEVICES
        for device in DEVICES:
            status = second.report["status"][device]
            assert status is not None and status["model"] == str(V1)
            reported = reported_status(home, fleet_file.parent / "agents" / "fleet.token",
                                       device)
            assert {k: reported[k] for k in ("model", "epoch")} == \
                {k: status[k] for k in ("model", "epoch")}
    finally:
        assert second.signal(signal.SIGTERM) == 128 + signal.SIGTERM
    assert wait_until_gone(list(orphans.values()), STOP_S) == []
    assert agent_processes(home) == {d: [] for d in DEVICES}


def test_a_pid_file_naming_another_process_is_replaced_and_that_process_left_alone(
        tmp_path: Path) -> None:
    from edgedeploy.adapters.fleet import LocalAgentFleet

    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    home = tmp_path / "agents"
    (home / "ecu-0").mkdir(parents=True)
    (home / "ecu-0" / "agent.pid").write_text(
        json.dumps({"pid": bystander.pid, "port": 9, "device_id": "ecu-0"}), encoding="utf-8")
    try:
        fleet = LocalAgentFleet(home, tmp_path / "packages", ["ecu-0"])
        try:
            started = fleet.pid("ecu-0")
            assert fleet.adopted() == []
            assert started is not None and started != bystander.pid
            recorded = json.loads((home / "ecu-0" / "agent.pid").read_text(encoding="utf-8"))
            assert recorded["pid"] == started
        finally:
            fleet.close()
        assert bystander.poll() is None, "a process that is no agent of this fleet was stopped"
    finally:
        bystander.kill()
        bystander.wait(timeout=STOP_S)
