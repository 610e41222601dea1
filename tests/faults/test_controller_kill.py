"""kill -9 of the controller right after every durable journal write, then resume.

Each run must reach the same end state as an uninterrupted run: the same phase and stage
states, every device on the same model, each device given each epoch at most once (no stage
applied twice), and a decision log whose hash chain verifies.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from edgedeploy.adapters.sql import SqlAlchemyUnitOfWorkFactory
from edgedeploy.domain.audit import verify_chain

SCRIPT = Path(__file__).with_name("controller_process.py")
ROOT = SCRIPT.parents[2]


def run_controller(workdir: Path, scenario: str, kill_after: int = 0) -> int:
    env = {**os.environ, "EDGEDEPLOY_FAULT_KILL_AFTER_WRITE": str(kill_after)}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), f"sqlite:///{workdir / 'journal.db'}",
         str(workdir / "fleet.json"), scenario],
        cwd=ROOT, env=env, capture_output=True, timeout=120, check=False)
    return proc.returncode


def end_state(workdir: Path, scenario: str) -> dict[str, object]:
    units_of_work = SqlAlchemyUnitOfWorkFactory.for_url(f"sqlite:///{workdir / 'journal.db'}")
    with units_of_work() as work:
        rollout = work.rollouts.get(f"fault-{scenario}")
        decisions = work.rollouts.decisions(rollout.rollout_id)
    verify_chain(decisions)
    fleet = json.loads((workdir / "fleet.json").read_text())
    accepted = [(d, e) for d, e, _ in fleet["accepted"]]
    return {"phase": rollout.phase.value, "stages": [s.value for s in rollout.stages],
            "epoch": rollout.epoch, "models": fleet["models"],
            "duplicates": len(accepted) - len(set(accepted)),
            "stage_changes": [(e.action, e.details["stage"]) for e in decisions
                              if e.action not in ("hold",)],
            "writes": len(decisions)}


@pytest.fixture(name="reference", scope="module")
def fx_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    out = {}
    for scenario in ("good", "bad"):
        workdir = tmp_path_factory.mktemp(f"reference-{scenario}")
        assert run_controller(workdir, scenario) == 0
        out[scenario] = end_state(workdir, scenario)
    return out


def test_the_uninterrupted_runs_end_as_expected(reference):
    assert reference["good"]["phase"] == "completed"
    assert set(reference["good"]["models"].values()) == {"aeb@1.1"}
    assert reference["bad"]["phase"] == "rolled_back"
    assert set(reference["bad"]["models"].values()) == {"aeb@1.0"}


@pytest.mark.parametrize("scenario", ["good", "bad"])
def test_a_controller_killed_after_any_journal_write_resumes_to_the_same_end_state(
        scenario: str, reference, tmp_path_factory: pytest.TempPathFactory) -> None:
    expected = reference[scenario]
    writes = int(expected["writes"])  # type: ignore[call-overload]
    assert writes >= 3
    for kill_after in range(1, writes + 1):
        workdir = tmp_path_factory.mktemp(f"kill-{scenario}-{kill_after}")
        rc = run_controller(workdir, scenario, kill_after)
        if kill_after < writes:
            assert rc == -signal.SIGKILL, f"write {kill_after} did not kill the controller"
        assert run_controller(workdir, scenario) == 0
        state = end_state(workdir, scenario)
        assert state["duplicates"] == 0, f"an epoch was applied twice after kill {kill_after}"
        for key in ("phase", "stages", "epoch", "models", "stage_changes"):
            assert state[key] == expected[key], f"{key} differs after kill at {kill_after}"
