"""The unit of work over every SQL repository: one database transaction per ``with`` block.

Models, the audit log, drift verdicts and stream state, roll-outs with their decision logs:
all of them work on the one session the unit of work opens, so a use case commits everything
it wrote or nothing. Domain events the use case adds are handed out by ``collect_events`` only
once their transaction committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from edgedeploy.adapters.sql.drift_repository import SqlAlchemyDriftRepository
from edgedeploy.adapters.sql.engine import create_engine_for, create_session_factory
from edgedeploy.adapters.sql.errors import translated, unavailable
from edgedeploy.adapters.sql.evidence_ledger import write_checkpoints
from edgedeploy.adapters.sql.evidence_tables import append_only_statements
from edgedeploy.adapters.sql.identity_repository import (
    SqlAlchemyPrincipalRepository,
    SqlAlchemyTokenRepository,
)
from edgedeploy.adapters.sql.repositories import (
    SqlAlchemyAuditLog,
    SqlAlchemyModelVersionRepository,
)
from edgedeploy.adapters.sql.rollout_journal import SqlAlchemyRolloutJournal
from edgedeploy.adapters.sql.tables import metadata
from edgedeploy.application.ports.drift import DriftRepository
from edgedeploy.application.ports.identity import PrincipalRepository, TokenRepository
from edgedeploy.application.ports.persistence import AuditLog, ModelVersionRepository
from edgedeploy.application.ports.rollout import RolloutJournal
from edgedeploy.application.ports.signing import EvidenceSigner
from edgedeploy.domain.audit import AUDIT_CHAIN, AuditEntry, rollout_chain
from edgedeploy.domain.events import DomainEvent


class SqlAlchemyUnitOfWork:
    """One transaction over every repository (models, audit, drift, roll-outs, identity).

    Use it as ``with uow: ...; uow.commit()``. Leaving the block without ``commit()`` (or
    through an exception) rolls back and drops the events added since the last commit. The
    instance can be entered again afterwards; each entry opens a fresh session. The
    repositories exist only inside the block. Not shared between threads: use cases keep a
    factory (:class:`SqlAlchemyUnitOfWorkFactory`, or the container's provider) and open one
    per call.

    ``after_commit`` is called with the running count of commits of this instance's
    factory; the fault-injection suite uses it to kill a controller right after its Nth
    durable write.

    With a ``signer``, every commit that grew an evidence chain (the audit log, a roll-out's
    decisions) also stores a signed checkpoint of each grown chain's head, in the same
    transaction.

    Example:
        ``uow = SqlAlchemyUnitOfWork(create_session_factory(create_engine_for(url)))``
    """

    # Typed as the ports: Protocol attributes are invariant, so the concrete classes would not
    # satisfy ``UnitOfWork`` for mypy.
    models: ModelVersionRepository
    audit: AuditLog
    drift: DriftRepository
    rollouts: RolloutJournal
    principals: PrincipalRepository
    tokens: TokenRepository

    def __init__(self, session_factory: sessionmaker[Session], *,
                 after_commit: Callable[[], None] | None = None,
                 signer: EvidenceSigner | None = None) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._after_commit = after_commit
        self._signer = signer
        self._pending: list[DomainEvent] = []
        self._committed: list[DomainEvent] = []

    @property
    def url(self) -> str:
        """The database this unit of work writes to, password hidden."""
        bind = self._session_factory.kw.get("bind")
        return "<unbound>" if bind is None else bind.url.render_as_string(hide_password=True)

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; it cannot be nested")
        session = self._session_factory()
        self._session = session
        self._pending = []
        self.models = SqlAlchemyModelVersionRepository(session)
        self.audit = SqlAlchemyAuditLog(session)
        self.drift = SqlAlchemyDriftRepository(session)
        self.rollouts = SqlAlchemyRolloutJournal(session)
        self.principals = SqlAlchemyPrincipalRepository(session)
        self.tokens = SqlAlchemyTokenRepository(session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Roll back whatever was not committed, and release the connection."""
        session = self._session
        if session is None:
            return
        self._session = None
        self._pending = []
        try:
            session.rollback()
        except SQLAlchemyError as failure:
            # A lost connection also loses the transaction; report it unless the block is
            # already failing for a reason the caller needs to see first.
            if exc is None:
                raise unavailable(session.get_bind().engine.url, failure) from failure
        finally:
            session.close()
        if isinstance(exc, SQLAlchemyError):
            raise unavailable(session.get_bind().engine.url, exc) from exc

    def commit(self) -> None:
        """Make the work durable; its events become collectable.

        Raises:
            BackendUnavailable: the database refused or lost the commit; nothing was written
                and the events are dropped.
        """
        session = self._require_open()
        try:
            if self._signer is not None:
                write_checkpoints(session, self._grown_chains(), self._signer)
            with translated(session.get_bind().engine.url):
                session.commit()
        except BaseException:
            self._pending = []
            raise
        self._committed.extend(self._pending)
        self._pending = []
        self._forget_growth()
        if self._after_commit is not None:
            self._after_commit()

    def rollback(self) -> None:
        """Discard the work done since the last commit, and its events."""
        session = self._require_open()
        self._pending = []
        self._forget_growth()
        with translated(session.get_bind().engine.url):
            session.rollback()

    def add_event(self, *events: DomainEvent) -> None:
        """Remember events of this work; they are handed out once it is committed."""
        self._require_open()
        self._pending.extend(events)

    def collect_events(self) -> list[DomainEvent]:
        """The events of committed work, oldest first; each is handed out once."""
        events, self._committed = self._committed, []
        return events

    def _grown_chains(self) -> dict[str, AuditEntry]:
        heads: dict[str, AuditEntry] = {}
        audit = getattr(self.audit, "appended", None)
        if isinstance(audit, AuditEntry):
            heads[AUDIT_CHAIN] = audit
        for rollout_id, entry in getattr(self.rollouts, "appended", {}).items():
            heads[rollout_chain(rollout_id)] = entry
        return heads

    def _forget_growth(self) -> None:
        if isinstance(self.audit, SqlAlchemyAuditLog):
            self.audit.appended = None
        if isinstance(self.rollouts, SqlAlchemyRolloutJournal):
            self.rollouts.appended = {}

    def _require_open(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it as a context manager")
        return self._session


class SqlAlchemyUnitOfWorkFactory:
    """Makes a fresh :class:`SqlAlchemyUnitOfWork` per call, all over one engine.

    ``after_write`` receives the running count of commits made through this factory (the
    fault-injection suite kills its controller after the Nth durable write).
    """

    def __init__(self, session_factory: sessionmaker[Session], *,
                 after_write: Callable[[int], None] | None = None,
                 signer: EvidenceSigner | None = None) -> None:
        self._session_factory = session_factory
        self._after_write = after_write
        self._signer = signer
        self._writes = 0
        self._lock = threading.Lock()

    @classmethod
    def for_url(cls, url: str, *, create_tables: bool = False,
                after_write: Callable[[int], None] | None = None,
                signer: EvidenceSigner | None = None) -> SqlAlchemyUnitOfWorkFactory:
        """Units of work on the database at ``url``.

        In the product the schema comes from the Alembic migrations; ``create_tables`` builds
        it directly on a scratch database (tests, the fault-injection controller).

        Raises:
            InvalidInput: the URL is malformed or names an unsupported database.
            BackendUnavailable: the database cannot be reached to create the tables.
        """
        engine = create_engine_for(url)
        if create_tables:
            create_schema(engine)
        return cls(create_session_factory(engine), after_write=after_write, signer=signer)

    @property
    def writes(self) -> int:
        """Commits made through this factory so far."""
        return self._writes

    def __call__(self) -> SqlAlchemyUnitOfWork:
        """A new, not yet entered unit of work."""
        return SqlAlchemyUnitOfWork(self._session_factory, after_commit=self._committed,
                                    signer=self._signer)

    def _committed(self) -> None:
        with self._lock:
            self._writes += 1
            count = self._writes
        if self._after_write is not None:
            self._after_write(count)


def create_schema(engine: Engine) -> None:
    """Create every table of the schema that is missing (scratch databases only).

    The evidence tables get the append-only triggers the migrations install, so a scratch
    database refuses rewriting evidence as a migrated one does.

    Raises:
        BackendUnavailable: the database refused.
    """
    with translated(engine.url):
        metadata.create_all(engine)
        with engine.begin() as connection:
            for statement in append_only_statements(engine.dialect.name):
                connection.execute(text(statement))


__all__ = ["SqlAlchemyUnitOfWork", "SqlAlchemyUnitOfWorkFactory", "create_schema"]
