"""``edgedeploy audit verify`` and ``audit export`` on a real SQLite home."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edgedeploy.domain.audit import next_entry
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.cli import cli
from edgedeploy.entrypoints.settings import Settings

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(name="home")
def fx_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home with three gate decisions, each committed with a signed checkpoint."""
    home = tmp_path / "home"
    monkeypatch.setenv("EDGEDEPLOY_HOME", str(home))
    monkeypatch.delenv("EDGEDEPLOY_TOKEN", raising=False)
    root = bootstrap(Settings(home=str(home), log_level="error"))
    try:
        for number in range(3):
            with root.uow() as work:
                work.audit.append(next_entry(work.audit.last(), NOW, f"aeb@{number}",
                                             "trace-gate", "passed", "ci", {"n": number}))
                work.commit()
        root.evidence().put(b"verification report")
    finally:
        close_container(root)
    return home


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def tamper(home: Path, statement: str) -> None:
    with sqlite3.connect(home / "edgedeploy.db") as connection:
        connection.execute("DROP TRIGGER audit_log_refuse_update")
        connection.execute(statement)


def test_verify_exits_0_on_intact_evidence_then_3_naming_the_edited_entry(home: Path) -> None:
    intact = run("audit", "verify", "--json")
    assert intact.exit_code == 0, intact.output
    report = json.loads(intact.output)
    assert report["intact"] is True
    assert report["entries"] == 3
    assert report["files_checked"] == 1

    tamper(home, "UPDATE audit_log SET outcome = 'blocked' WHERE sequence = 2")
    broken = run("audit", "verify", "--json")

    assert broken.exit_code == 3
    first = json.loads(broken.output)["first_problem"]
    assert (first["chain"], first["sequence"]) == ("audit", 2)


def test_verify_names_a_damaged_evidence_file(home: Path) -> None:
    stored = next((home / "evidence" / "sha256").rglob("*"))
    while stored.is_dir():
        stored = next(stored.iterdir())
    stored.chmod(0o600)
    stored.write_bytes(b"altered report")

    result = run("audit", "verify")

    assert result.exit_code == 3
    assert "evidence-files" in result.output and "corrupted" in result.output


def test_a_gate_on_tampered_evidence_is_refused_with_exit_3(home: Path) -> None:
    tamper(home, "UPDATE audit_log SET actor = 'mallory' WHERE sequence = 1")

    result = run("trace", "gate", "aeb@1.0.0", "--json")

    assert result.exit_code == 3
    assert "AUDIT_CHAIN_BROKEN" in result.output


def test_an_exported_bundle_verifies_offline_and_fails_once_edited(home: Path,
                                                                   tmp_path: Path) -> None:
    bundle = tmp_path / "evidence.jsonl"
    exported = run("audit", "export", str(bundle), "--json")
    assert exported.exit_code == 0, exported.output
    summary = json.loads(exported.output)
    assert (summary["entries"], summary["checkpoints"]) == (3, 3)
    (home / "edgedeploy.db").unlink()  # offline: the bundle alone must do

    verified = run("audit", "verify", "--bundle", str(bundle), "--key-id", summary["key_id"],
                   "--json")
    assert verified.exit_code == 0, verified.output
    assert not (home / "edgedeploy.db").exists()

    lines = bundle.read_text().splitlines()
    edited = [line.replace('"outcome": "passed"', '"outcome": "blocked"', 1)
              if '"sequence": 3' in line else line for line in lines]
    assert edited != lines
    bundle.write_text("\n".join(edited) + "\n")
    broken = run("audit", "verify", "--bundle", str(bundle), "--json")

    assert broken.exit_code == 3
    first = json.loads(broken.output)["first_problem"]
    assert (first["chain"], first["sequence"]) == ("audit", 3)


def test_a_bundle_pinned_to_another_key_fails(home: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "evidence.jsonl"
    assert run("audit", "export", str(bundle)).exit_code == 0

    result = run("audit", "verify", "--bundle", str(bundle), "--key-id", "sha256:" + "0" * 64)

    assert result.exit_code == 3
    assert "not the pinned key" in result.output
