"""Content-addressed evidence files: ``<root>/sha256/ab/cdef...`` holds ``sha256:abcdef...``.

A digest names its bytes forever, so a file is written once, atomically (a temporary file in
the same folder, fsynced, then renamed over the final name and the folder fsynced), and
checked against its name every time it is read: evidence that no longer matches its digest is
reported, never served.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from edgedeploy.application.errors import BackendUnavailable, InvalidInput
from edgedeploy.domain.errors import Conflict, NotFound
from edgedeploy.domain.requirements import is_sha256_digest

ALGORITHM = "sha256"
_CHUNK = 1 << 20
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


class EvidenceNotFound(NotFound):
    """No evidence is stored under the digest asked for."""

    code = "EVIDENCE_NOT_FOUND"


class EvidenceCorrupted(Conflict):
    """A stored evidence file no longer matches its digest: it was altered or damaged."""

    code = "EVIDENCE_CORRUPTED"


class FileEvidenceStore:
    """Evidence (artifacts, reports) kept as files named by their SHA-256 under ``root``."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    @property
    def root(self) -> Path:
        """The folder under which ``sha256/`` lies."""
        return self._root

    def put(self, data: bytes) -> str:
        """Store ``data`` and return ``sha256:<hex>``; storing the same bytes again is a no-op.

        A file already present under that digest but damaged is replaced by the good bytes.

        Raises:
            BackendUnavailable: the file could not be written (disk full, no permission);
                no partial file is left behind.
        """
        digest = f"{ALGORITHM}:{hashlib.sha256(data).hexdigest()}"
        target = self._location(digest)
        if target.is_file() and self._hash_of(target) == digest:
            return digest
        self._write_atomically(target, data)
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes stored under ``digest``, checked against it.

        Raises:
            InvalidInput: ``digest`` is not ``sha256:<64 lower-case hex>``.
            EvidenceNotFound: nothing is stored under ``digest``.
            EvidenceCorrupted: the stored bytes no longer hash to ``digest``.
            BackendUnavailable: the file exists but cannot be read.
        """
        target = self._location(digest)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise EvidenceNotFound(f"no evidence {digest} in {self._root}") from None
        except OSError as exc:
            raise BackendUnavailable(
                f"evidence {digest} at {target} cannot be read: {exc.strerror}") from None
        actual = f"{ALGORITHM}:{hashlib.sha256(data).hexdigest()}"
        if actual != digest:
            raise EvidenceCorrupted(
                f"evidence {digest} at {target} is corrupted: its bytes hash to {actual}; "
                "restore it from a backup or produce the evidence again")
        return data

    def path(self, digest: str) -> Path:
        """The file holding ``digest``, for tools that read files (not re-verified here).

        Raises:
            InvalidInput: ``digest`` is malformed.
            EvidenceNotFound: nothing is stored under ``digest``.
        """
        target = self._location(digest)
        if not target.is_file():
            raise EvidenceNotFound(f"no evidence {digest} in {self._root}")
        return target

    def exists(self, digest: str) -> bool:
        """True when a file is stored under ``digest`` (whose content ``get`` will verify)."""
        return self._location(digest).is_file()

    def _location(self, digest: str) -> Path:
        # The digest becomes a path: only the strict form may, so no '..' or '/' gets in.
        if not is_sha256_digest(digest):
            raise InvalidInput(f"'{digest}' is not an evidence digest; expected sha256:<64 hex>",
                               code="EVIDENCE_DIGEST_INVALID")
        hexdigest = digest.removeprefix(f"{ALGORITHM}:")
        return self._root / ALGORITHM / hexdigest[:2] / hexdigest[2:]

    @staticmethod
    def _hash_of(target: Path) -> str:
        digest = hashlib.sha256()
        try:
            with target.open("rb") as stream:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
        except OSError:
            return ""
        return f"{ALGORITHM}:{digest.hexdigest()}"

    def _write_atomically(self, target: Path, data: bytes) -> None:
        folder = target.parent
        temporary: Path | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name[:8]}.",
                                            suffix=".tmp")
            temporary = Path(name)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            temporary.chmod(_READ_ONLY)
            temporary.replace(target)
            temporary = None
            _fsync_folder(folder)
        except OSError as exc:
            raise BackendUnavailable(
                f"evidence store {self._root} cannot write {target.name[:12]}...: "
                f"{exc.strerror or exc}") from None
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    temporary.unlink()


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable: fsync the folder that holds the new name."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
