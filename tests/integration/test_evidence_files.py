"""Evidence files are handled as hostile: no symbolic links followed, nothing stored open."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from edgedeploy.adapters.files import FileEvidenceStore
from edgedeploy.adapters.files.evidence_store import read_evidence_file
from edgedeploy.application.errors import InvalidInput

REPORT = b'{"suite": "aeb", "passed": 41, "failed": 0}'


@pytest.fixture(name="secret")
def fx_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "elsewhere" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n")
    return secret


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_stored_evidence_is_closed_to_others_and_its_folders_are_0750(tmp_path: Path) -> None:
    store = FileEvidenceStore(tmp_path / "evidence")
    path = store.path(store.put(REPORT))
    assert stat.S_IMODE(path.stat().st_mode) == 0o440
    for folder in (path.parent, path.parent.parent, store.root):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o750, folder


def test_folders_left_open_by_an_earlier_version_are_closed_on_the_next_write(
        tmp_path: Path) -> None:
    store = FileEvidenceStore(tmp_path / "evidence")
    first = store.path(store.put(REPORT))
    first.parent.chmod(0o755)
    first.parent.parent.chmod(0o755)
    store.put(REPORT + b" ")
    assert stat.S_IMODE(first.parent.parent.stat().st_mode) == 0o750


def test_a_symbolic_link_is_refused_naming_the_path_and_nothing_is_stored(
        tmp_path: Path, secret: Path) -> None:
    link = tmp_path / "report.json"
    link.symlink_to(secret)
    store = FileEvidenceStore(tmp_path / "evidence")
    with pytest.raises(InvalidInput, match=r"report\.json' is a symbolic link") as refused:
        store.put_file(link)
    assert refused.value.code == "EVIDENCE_FILE_REFUSED"
    assert stored_files(store.root) == []


def test_a_fifo_or_a_folder_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InvalidInput, match="not a regular file"):
        read_evidence_file(fifo)
    with pytest.raises(InvalidInput, match="not a regular file"):
        read_evidence_file(tmp_path)


def test_a_regular_file_is_stored_with_its_bytes(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_bytes(REPORT)
    store = FileEvidenceStore(tmp_path / "evidence")
    assert store.get(store.put_file(report)) == REPORT


@pytest.mark.parametrize("command", [
    ["trace", "artifact", "test", "TC-1", "--file"],
    ["trace", "link", "MLR-1", "verified_by", "TC-1", "--verdict", "passed", "--evidence"],
])
def test_the_cli_refuses_a_symlinked_evidence_file_with_exit_2_and_stores_nothing(
        tmp_path: Path, secret: Path, monkeypatch: pytest.MonkeyPatch,
        command: list[str]) -> None:
    from edgedeploy.entrypoints.cli import cli

    home = tmp_path / "home"
    monkeypatch.setenv("EDGEDEPLOY_HOME", str(home))
    monkeypatch.setenv("EDGEDEPLOY_ACTOR", "cli.test")
    link = tmp_path / "results.xml"
    link.symlink_to(secret)
    result = CliRunner().invoke(cli, [*command, str(link)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert str(link) in result.output and "symbolic link" in result.output
    assert all(b"secret-hash" not in p.read_bytes() for p in stored_files(home))
