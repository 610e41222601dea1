"""Ports for the relational side: the repositories and the one unit of work over all of them.

Models, the audit log, drift verdicts and stream state, roll-outs with their journal and
decision log: every use case writes them through one :class:`UnitOfWork`, in one transaction,
and adds the domain events its work raises; the message bus hands those events to their
handlers only after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from edgedeploy.application.ports.drift import DriftRepository
from edgedeploy.application.ports.identity import PrincipalRepository, TokenRepository
from edgedeploy.application.ports.rollout import RolloutJournal
from edgedeploy.domain.audit import AuditEntry
from edgedeploy.domain.events import DomainEvent
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
    """One transaction over every repository: commit, or nothing happened.

    Use it as ``with uow_factory() as work: ...; work.commit()``. Leaving the block without
    ``commit()`` rolls back, and discards the events added in it.

    Attributes:
        models: registered model versions.
        audit: the hash-chained decision log of the registry and the gate.
        drift: drift references, verdicts, weights, feedback and stream detector state.
        rollouts: roll-outs, their device order and their hash-chained decision logs.
        principals: who may act, with which roles and organisation unit.
        tokens: API tokens of those principals (salted hashes only).
    """

    models: ModelVersionRepository
    audit: AuditLog
    drift: DriftRepository
    rollouts: RolloutJournal
    principals: PrincipalRepository
    tokens: TokenRepository

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
        """Discard the work and the events added since the last commit."""
        ...

    def add_event(self, *events: DomainEvent) -> None:
        """Remember events the work raised; they are handed out only once it is committed."""
        ...

    def collect_events(self) -> list[DomainEvent]:
        """The events of committed work, oldest first; each is handed out once."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
"""A fresh unit of work per call: use cases keep the factory, never one open instance, so
concurrent requests and the roll-out ticker never share a transaction."""
