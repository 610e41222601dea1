"""The unit of work over the SQL repositories: one database transaction per ``with`` block."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from edgedeploy.adapters.sql.errors import translated, unavailable
from edgedeploy.adapters.sql.repositories import (
    SqlAlchemyAuditLog,
    SqlAlchemyModelVersionRepository,
)
from edgedeploy.application.ports.persistence import AuditLog, ModelVersionRepository


class SqlAlchemyUnitOfWork:
    """One transaction over ``models`` and ``audit``: commit, or nothing happened.

    Use it as ``with uow: ...; uow.commit()``. Leaving the block without ``commit()`` (or
    through an exception) rolls back. The instance can be entered again afterwards; each entry
    opens a fresh session. The repositories exist only inside the block.

    Example:
        ``uow = SqlAlchemyUnitOfWork(create_session_factory(create_engine_for(url)))``
    """

    # Typed as the ports: Protocol attributes are invariant, so the concrete classes would not
    # satisfy ``UnitOfWork`` for mypy.
    models: ModelVersionRepository
    audit: AuditLog

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

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
        self.models = SqlAlchemyModelVersionRepository(session)
        self.audit = SqlAlchemyAuditLog(session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Roll back whatever was not committed, and release the connection."""
        session = self._session
        if session is None:
            return
        self._session = None
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
        """Make the work durable.

        Raises:
            BackendUnavailable: the database refused or lost the commit; nothing was written.
        """
        session = self._require_open()
        with translated(session.get_bind().engine.url):
            session.commit()

    def rollback(self) -> None:
        """Discard the work done since the last commit."""
        session = self._require_open()
        with translated(session.get_bind().engine.url):
            session.rollback()

    def _require_open(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it as a context manager")
        return self._session
