"""Content-addressed evidence files: ``<root>/sha256/ab/cdef...`` holds ``sha256:abcdef...``.

A digest names its bytes forever, so a file is written once, atomically (a temporary file in
the same folder, fsynced, then renamed over the final name and the folder fsynced), and
checked against its name every time it is read: evidence that no longer matches its digest is
reported, never served. Stored files are read-only and closed to others (0440, folders 0750):
evidence may hold data not everyone on the machine may read.

Files handed in as evidence are treated as hostile: :func:`read_evidence_file` refuses a
symbolic link or anything but a regular file, so a planted link cannot make a privileged user
copy a secret (``/etc/shadow``) into the store.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from edgedeploy.application.errors import BackendUnavailable, InvalidInput
from edgedeploy.domain.errors import Conflict, NotFound
from edgedeploy.domain.requirements import is_sha256_digest

ALGORITHM = "sha256"
_CHUNK = 1 << 20
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP
_FOLDER = stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP
FILE_REFUSED = "EVIDENCE_FILE_REFUSED"


class EvidenceNotFound(NotFound):
    """No evidence is stored under the digest asked for."""

    code = "EVIDENCE_NOT_FOUND"


class EvidenceCorrupted(Conflict):
    """A stored evidence file no longer matches its digest: it was altered or damaged."""

    code = "EVIDENCE_CORRUPTED"


def read_evidence_file(path: Path) -> bytes:
    """The bytes of the regular file ``path``, opened without following a symbolic link.

    Raises:
        InvalidInput: ``path`` is a symbolic link, not a regular file, or cannot be read.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    try:
        # O_NONBLOCK: opening a FIFO must not hang the command; regular files ignore it.
        descriptor = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InvalidInput(f"evidence file '{path}' is a symbolic link; name the file "
                               "itself", code=FILE_REFUSED) from None
        raise InvalidInput(f"evidence file '{path}' cannot be read: {exc.strerror}",
                           code=FILE_REFUSED) from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise InvalidInput(f"evidence file '{path}' is not a regular file",
                               code=FILE_REFUSED)
        with os.fdopen(os.dup(descriptor), "rb") as stream:
            return stream.read()
    except OSError as exc:
        raise InvalidInput(f"evidence file '{path}' cannot be read: {exc.strerror}",
                           code=FILE_REFUSED) from None
    finally:
        os.close(descriptor)


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

    def put_file(self, path: Path) -> str:
        """Store the bytes of the file ``path`` (see :func:`read_evidence_file`).

        Raises:
            InvalidInput: ``path`` is a symbolic link or not a readable regular file; nothing
                is stored.
            BackendUnavailable: the evidence could not be written.
        """
        return self.put(read_evidence_file(path))

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

    def digests(self) -> Iterator[str]:
        """Every digest a file is stored under, in name order (for re-verifying them all)."""
        base = self._root / ALGORITHM
        for folder in sorted(base.iterdir()) if base.is_dir() else ():
            if len(folder.name) != 2 or not folder.is_dir():
                continue
            for item in sorted(folder.iterdir()):
                digest = f"{ALGORITHM}:{folder.name}{item.name}"
                if is_sha256_digest(digest):
                    yield digest

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
            self._make_folders(folder)
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


    def _make_folders(self, folder: Path) -> None:
        # Folders created here are closed to others; the store's own levels are kept so.
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        for level in reversed(missing):
            level.mkdir(mode=_FOLDER, exist_ok=True)
            level.chmod(_FOLDER)
        for level in (folder, folder.parent):
            if stat.S_IMODE(level.stat().st_mode) != _FOLDER:
                level.chmod(_FOLDER)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable: fsync the folder that holds the new name."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
