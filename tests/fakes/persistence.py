"""In-memory fakes of the relational ports, with commit/rollback semantics."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from edgedeploy.application.ports.identity import ApiToken, PrincipalRecord
from edgedeploy.domain.audit import AuditEntry
from edgedeploy.domain.errors import Conflict, NotFound
from edgedeploy.domain.events import DomainEvent
from edgedeploy.domain.models import ModelRef, ModelVersion
from tests.fakes.drift import InMemoryDriftRepository
from tests.fakes.rollout import InMemoryRolloutJournal


class InMemoryDatabase:
    """Committed state shared by every unit of work made from it.

    Models and the audit log are staged per unit of work; the drift repository and the
    roll-out journal fakes keep their own state and write through (their fakes are stateful
    on their own), so pass the ones a test inspects.
    """

    def __init__(self, *, rollouts: InMemoryRolloutJournal | None = None,
                 drift: InMemoryDriftRepository | None = None) -> None:
        self.models: dict[ModelRef, ModelVersion] = {}
        self.audit: list[AuditEntry] = []
        self.rollouts = rollouts if rollouts is not None else InMemoryRolloutJournal()
        self.drift = drift if drift is not None else InMemoryDriftRepository()
        self.principals = InMemoryPrincipals()
        self.tokens = InMemoryTokens()
        self.events: list[DomainEvent] = []
        """Every event of committed work, in commit order (for assertions)."""

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """A fresh unit of work over this database (a ``UnitOfWorkFactory``)."""
        return InMemoryUnitOfWork(self)


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


class InMemoryPrincipals:
    """Principals by name; writes through (no staging), like the journal fakes."""

    def __init__(self) -> None:
        self.records: dict[str, PrincipalRecord] = {}

    def get(self, name: str) -> PrincipalRecord | None:
        return self.records.get(name)

    def add(self, record: PrincipalRecord) -> None:
        if record.name in self.records:
            raise Conflict(f"principal {record.name} already exists",
                           code="PRINCIPAL_DUPLICATE")
        self.records[record.name] = record

    def update(self, record: PrincipalRecord) -> None:
        self.records[record.name] = record

    def list(self) -> list[PrincipalRecord]:
        return [self.records[name] for name in sorted(self.records)]


class InMemoryTokens:
    """API tokens by id; writes through."""

    def __init__(self) -> None:
        self.tokens: dict[str, ApiToken] = {}

    def get(self, token_id: str) -> ApiToken | None:
        return self.tokens.get(token_id)

    def add(self, token: ApiToken) -> None:
        self.tokens[token.token_id] = token

    def revoke(self, token_id: str, at: datetime) -> bool:
        token = self.tokens.get(token_id)
        if token is None or token.revoked_at is not None:
            return False
        self.tokens[token_id] = replace(token, revoked_at=at)
        return True

    def list(self, principal: str | None = None) -> list[ApiToken]:
        return [t for t in self.tokens.values() if principal in (None, t.principal)]


class InMemoryUnitOfWork:
    """Stages changes in copies and publishes them to the database on commit."""

    def __init__(self, database: InMemoryDatabase) -> None:
        self._db = database
        self.committed = False
        self.drift = database.drift
        self.rollouts = database.rollouts
        self.principals = database.principals
        self.tokens = database.tokens
        self._pending: list[DomainEvent] = []
        self._committed: list[DomainEvent] = []

    def __enter__(self) -> Self:
        self._models = dict(self._db.models)
        self._audit = list(self._db.audit)
        self.models = _Models(self._models)
        self.audit = _Audit(self._audit)
        self._pending = []
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()

    def commit(self) -> None:
        self._db.models = dict(self._models)
        self._db.audit = list(self._audit)
        self.committed = True
        self._committed.extend(self._pending)
        self._db.events.extend(self._pending)
        self._pending = []

    def add_event(self, *events: DomainEvent) -> None:
        self._pending.extend(events)

    def collect_events(self) -> list[DomainEvent]:
        events, self._committed = self._committed, []
        return events

    def rollback(self) -> None:
        self._pending = []
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

