"""Engines for the embedded SQLite file and for PostgreSQL, configured for the audit log's needs.

SQLite is the default (one file under the edgedeploy home); PostgreSQL serves a team or a
plant. Both must serialise appends to the hash-chained audit log and must fail fast and clearly
when the database cannot be reached, so the settings here are not cosmetic.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from edgedeploy.application.errors import BackendUnavailable, InvalidInput

DATABASE_FILE_NAME = "edgedeploy.db"
SQLITE_BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another one before the database counts as unavailable."""
POSTGRES_CONNECT_TIMEOUT_S = 10
"""How long to wait for a PostgreSQL server before reporting it unreachable."""


def default_database_url(home: Path) -> str:
    """The SQLite file used when no database URL is configured: ``<home>/edgedeploy.db``."""
    return f"sqlite:///{home / DATABASE_FILE_NAME}"


def parse_database_url(url: str) -> URL:
    """Read a database URL, choosing psycopg for plain ``postgresql://`` URLs.

    Raises:
        InvalidInput: the text is not a URL of a supported database.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"'{url}' is not a database URL: {exc}") from None
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise InvalidInput(
            f"database {redact(parsed)} is not supported: use sqlite:///<file> or "
            "postgresql+psycopg://user@host/db")
    return parsed


def redact(url: URL | str) -> str:
    """The URL as text with any password replaced by ``***``, fit for messages and logs."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<unparseable database URL>"
    return parsed.render_as_string(hide_password=True)


def create_engine_for(url: str) -> Engine:
    """An engine for ``url`` (SQLite file or PostgreSQL), ready for the unit of work.

    SQLite: the file's folder is created; WAL journal (readers do not block the writer),
    ``synchronous=FULL`` (a committed audit entry survives power loss), foreign keys on, a
    busy timeout, and every transaction opened with ``BEGIN IMMEDIATE`` so that the read of
    the newest audit entry and the append after it cannot interleave with another writer
    (a deferred transaction upgrading its lock would fail with "database is locked" at once
    instead of waiting). PostgreSQL: ``pool_pre_ping`` so a restarted server costs no failed
    request, and a connect timeout so an unreachable server is reported, not waited on.

    Raises:
        InvalidInput: the URL is malformed or names an unsupported database.
        BackendUnavailable: the SQLite file's folder cannot be created.
    """
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for ``SqlAlchemyUnitOfWork``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    in_memory = database in {"", ":memory:"} or url.query.get("mode") == "memory"
    if not in_memory:
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendUnavailable(
                f"database {redact(url)} is unavailable: cannot create folder {folder}: "
                f"{exc.strerror}") from None
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # The driver's own transaction handling would emit a deferred BEGIN; take it over.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
