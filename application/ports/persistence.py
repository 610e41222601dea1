"""Ports for the relational side: model registry, audit log, and the unit of work over both."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from edgedeploy.domain.audit import AuditEntry
from edgedeploy.domain.models import ModelRef, ModelVersion


class ModelVersionRepository(Protocol):
    """Registered model versions."""

    def get(self, ref: ModelRef) -> ModelVersion | None:
        """One version, or None."""
        ...

    def add(self, model: ModelVersion) -> None:
        """Register a new version (the use case has checked it is new)."""
        ...

    def list(self, name: str | None = None) -> list[ModelVersion]:
        """Every version (of one model), oldest first."""
        ...


class AuditLog(Protocol):
    """The append-only, hash-chained decision log."""

    def last(self) -> AuditEntry | None:
        """The newest entry, locked against a concurrent append until the unit of work ends."""
        ...

    def append(self, entry: AuditEntry) -> None:
        """Store the next entry; a clash on its sequence number is refused by the store."""
        ...

    def entries(self, subject: str | None = None) -> list[AuditEntry]:
        """Entries (about one subject) in sequence order."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the repositories: commit or nothing happened."""

    models: ModelVersionRepository
    audit: AuditLog

    def __enter__(self) -> Self:
        ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None:
        """Make the work durable."""
        ...

    def rollback(self) -> None:
        """Discard the work."""
        ...
