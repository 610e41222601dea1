"""Engines are configured for a durable, serialised audit log on both back ends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from edgedeploy.adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    default_database_url,
    redact,
)


def test_the_default_database_is_a_sqlite_file_in_the_home_folder(tmp_path: Path) -> None:
    assert default_database_url(tmp_path) == f"sqlite:///{tmp_path / 'edgedeploy.db'}"


def test_a_sqlite_engine_creates_the_folder_and_sets_wal_durability_keys_and_timeout(
        tmp_path: Path) -> None:
    url = default_database_url(tmp_path / "new-home")
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            pragma = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                      for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    finally:
        engine.dispose()

    assert (tmp_path / "new-home" / "edgedeploy.db").is_file()
    assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                      "busy_timeout": 30_000}


def test_a_sqlite_transaction_takes_the_write_lock_when_it_begins(tmp_path: Path) -> None:
    url = default_database_url(tmp_path)
    engine = create_engine_for(url)
    try:
        with engine.connect() as holder:
            holder.exec_driver_sql("SELECT 1")  # only reads, yet must hold the write lock
            other_writer = sqlite3.connect(tmp_path / "edgedeploy.db", timeout=0,
                                           isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other_writer.execute("BEGIN IMMEDIATE")
            finally:
                other_writer.close()
    finally:
        engine.dispose()


def test_redaction_hides_the_password_and_keeps_the_rest() -> None:
    shown = redact("postgresql+psycopg://release:s3cret@db.plant.example:5432/edgedeploy")

    assert shown == "postgresql+psycopg://release:***@db.plant.example:5432/edgedeploy"


def test_a_postgresql_connection_killed_by_the_server_is_replaced_transparently(
        migrated_url: str) -> None:
    if not migrated_url.startswith("postgresql"):
        pytest.skip("the server-side kill is a PostgreSQL test")
    engine = create_engine_for(migrated_url)
    killer = create_engine(make_url(migrated_url))
    try:
        with engine.connect() as pooled:
            backend = pooled.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with killer.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})

        with SqlAlchemyUnitOfWork(create_session_factory(engine)) as uow:
            assert uow.models.list("no-such-model") == []
        with engine.connect() as pooled:
            replacement = pooled.execute(text("SELECT pg_backend_pid()")).scalar_one()
    finally:
        engine.dispose()
        killer.dispose()

    assert replacement != backend
