"""In-memory fakes of the relational ports, with commit/rollback semantics."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

from edgedeploy.domain.audit import AuditEntry
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.models import ModelRef, ModelVersion


class InMemoryDatabase:
    """Committed state shared by every unit of work made from it."""

    def __init__(self) -> None:
        self.models: dict[ModelRef, ModelVersion] = {}
        self.audit: list[AuditEntry] = []


class _Models:
    def __init__(self, staged: dict[ModelRef, ModelVersion]) -> None:
        self._staged = staged

    def get(self, ref: ModelRef) -> ModelVersion | None:
        return self._staged.get(ref)

    def add(self, model: ModelVersion) -> None:
        self._staged[model.ref] = model

    def list(self, name: str | None = None) -> list[ModelVersion]:
        found = [m for m in self._staged.values() if name is None or m.ref.name == name]
        return sorted(found, key=lambda m: m.registered_at)


class _Audit:
    def __init__(self, staged: list[AuditEntry]) -> None:
        self._staged = staged

    def last(self) -> AuditEntry | None:
        return self._staged[-1] if self._staged else None

    def append(self, entry: AuditEntry) -> None:
        self._staged.append(entry)

    def entries(self, subject: str | None = None) -> list[AuditEntry]:
        return [e for e in self._staged if subject is None or e.subject == subject]


class InMemoryUnitOfWork:
    """Stages changes in copies and publishes them to the database on commit."""

    def __init__(self, database: InMemoryDatabase) -> None:
        self._db = database
        self.committed = False

    def __enter__(self) -> Self:
        self._models = dict(self._db.models)
        self._audit = list(self._db.audit)
        self.models = _Models(self._models)
        self.audit = _Audit(self._audit)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()

    def commit(self) -> None:
        self._db.models = dict(self._models)
        self._db.audit = list(self._audit)
        self.committed = True

    def rollback(self) -> None:
        self._models = dict(self._db.models)
        self._audit = list(self._db.audit)
        self.models = _Models(self._models)
        self.audit = _Audit(self._audit)


class InMemoryEvidenceStore:
    """Content-addressed bytes in a dict."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    def get(self, digest: str) -> bytes:
        try:
            return self.blobs[digest]
        except KeyError:
            raise NotFound(f"no evidence stored under {digest}") from None

    def path(self, digest: str) -> Path:
        raise NotFound(f"in-memory evidence {digest} has no path")

    def exists(self, digest: str) -> bool:
        return digest in self.blobs


class SteppingClock:
    """A clock that starts at a fixed instant and moves one second per reading."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now
