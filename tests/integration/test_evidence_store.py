"""The file evidence store keeps bytes under their SHA-256, atomically, and checks them on read."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from edgedeploy.adapters.files import EvidenceCorrupted, EvidenceNotFound, FileEvidenceStore
from edgedeploy.application.errors import BackendUnavailable, InvalidInput
from edgedeploy.domain.errors import NotFound

REPORT = b'{"model": "aeb-perception@1.0.0", "top1_agreement": 0.998}'
REPORT_DIGEST = "sha256:" + hashlib.sha256(REPORT).hexdigest()


@pytest.fixture(name="store")
def fx_store(tmp_path: Path) -> FileEvidenceStore:
    return FileEvidenceStore(tmp_path / "evidence")


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_put_returns_the_sha256_digest_and_get_returns_the_bytes(
        store: FileEvidenceStore) -> None:
    digest = store.put(REPORT)

    assert digest == REPORT_DIGEST
    assert store.get(digest) == REPORT
    assert store.exists(digest)


def test_the_bytes_lie_under_the_digest_split_after_two_characters(
        store: FileEvidenceStore) -> None:
    digest = store.put(REPORT)
    hexdigest = digest.removeprefix("sha256:")

    assert store.path(digest) == store.root / "sha256" / hexdigest[:2] / hexdigest[2:]
    assert store.path(digest).read_bytes() == REPORT


def test_putting_the_same_bytes_again_keeps_one_file(store: FileEvidenceStore) -> None:
    first = store.put(REPORT)
    second = store.put(REPORT)

    assert first == second
    assert files_under(store.root) == [store.path(first)]


def test_empty_evidence_is_stored_like_any_other(store: FileEvidenceStore) -> None:
    digest = store.put(b"")

    assert store.get(digest) == b""


def test_missing_evidence_is_not_found_and_named(store: FileEvidenceStore) -> None:
    with pytest.raises(EvidenceNotFound) as missing:
        store.get(REPORT_DIGEST)

    assert isinstance(missing.value, NotFound)
    assert REPORT_DIGEST in str(missing.value)
    assert not store.exists(REPORT_DIGEST)
    with pytest.raises(EvidenceNotFound):
        store.path(REPORT_DIGEST)


@pytest.mark.parametrize("digest", [
    "sha256:../../../etc/passwd",
    "sha256:" + "A" * 64,
    "md5:" + "a" * 32,
    "a" * 64,
])
def test_a_malformed_digest_is_refused_before_touching_the_disk(
        store: FileEvidenceStore, digest: str) -> None:
    with pytest.raises(InvalidInput, match="not an evidence digest"):
        store.get(digest)


def test_a_corrupted_file_is_detected_on_read(store: FileEvidenceStore) -> None:
    digest = store.put(REPORT)
    stored = store.path(digest)
    stored.chmod(0o644)
    stored.write_bytes(REPORT.replace(b"0.998", b"0.999"))

    with pytest.raises(EvidenceCorrupted) as corrupted:
        store.get(digest)

    assert digest in str(corrupted.value)
    assert corrupted.value.code == "EVIDENCE_CORRUPTED"


def test_putting_the_good_bytes_again_repairs_a_corrupted_file(
        store: FileEvidenceStore) -> None:
    digest = store.put(REPORT)
    store.path(digest).chmod(0o644)
    store.path(digest).write_bytes(b"damaged")

    store.put(REPORT)

    assert store.get(digest) == REPORT


def test_stored_evidence_is_read_only(store: FileEvidenceStore) -> None:
    digest = store.put(REPORT)

    assert store.path(digest).stat().st_mode & 0o222 == 0


def test_a_write_that_fails_leaves_no_partial_file(store: FileEvidenceStore,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_gone(_descriptor: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", disk_gone)

    with pytest.raises(BackendUnavailable, match="Input/output error"):
        store.put(REPORT)

    monkeypatch.undo()
    assert files_under(store.root) == []
    assert not store.exists(REPORT_DIGEST)


def test_a_failed_write_does_not_disturb_evidence_already_stored(
        store: FileEvidenceStore, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = store.put(REPORT)

    def disk_full(_descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(BackendUnavailable, match="No space left"):
        store.put(b"another report")
    monkeypatch.undo()

    assert files_under(store.root) == [store.path(kept)]
    assert store.get(kept) == REPORT
