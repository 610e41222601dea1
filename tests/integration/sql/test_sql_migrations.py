"""The Alembic migrations build exactly the schema declared in ``adapters/sql/tables.py``."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from edgedeploy.adapters.sql import (
    create_engine_for,
    current_revision,
    head_revision,
    metadata,
    upgrade_to_head,
)
from edgedeploy.adapters.sql.migrate import alembic_config


def test_an_empty_database_has_no_revision(database_url: str) -> None:
    assert current_revision(database_url) is None


def test_upgrading_an_empty_database_brings_it_to_the_head(database_url: str) -> None:
    assert upgrade_to_head(database_url) == head_revision()

    assert current_revision(database_url) == head_revision()


def test_upgrading_twice_changes_nothing_and_keeps_the_data(database_url: str) -> None:
    upgrade_to_head(database_url)
    engine = create_engine_for(database_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO model_versions (name, version, digest, size_bytes, registered_at, "
                "registered_by, source_name) VALUES ('aeb', '1', 'sha256:" + "a" * 64 + "', 1, "
                "'2026-01-01 00:00:00', 'release', '')")

        upgrade_to_head(database_url)

        with engine.connect() as connection:
            count = connection.exec_driver_sql("SELECT count(*) FROM model_versions").scalar()
    finally:
        engine.dispose()
    assert count == 1
    assert current_revision(database_url) == head_revision()


def test_the_migrated_schema_matches_the_declared_tables(migrated_url: str) -> None:
    engine = create_engine_for(migrated_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    finally:
        engine.dispose()

    assert differences == []


def test_downgrading_to_base_removes_everything_and_upgrading_again_works(
        migrated_url: str) -> None:
    engine = create_engine_for(migrated_url)
    try:
        with engine.begin() as connection:
            config = alembic_config(migrated_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        with engine.connect() as connection:
            remaining = set(engine.dialect.get_table_names(connection)) - {"alembic_version"}
    finally:
        engine.dispose()

    assert remaining == set()
    assert current_revision(migrated_url) is None
    assert upgrade_to_head(migrated_url) == head_revision()


def test_offline_mode_writes_the_sql_including_the_append_only_guard() -> None:
    buffer = io.StringIO()
    config = alembic_config("postgresql+psycopg://edgedeploy@db.example/edgedeploy")
    config.output_buffer = buffer

    command.upgrade(config, "head", sql=True)

    sql = buffer.getvalue()
    assert "CREATE TABLE audit_log" in sql
    assert "CREATE TRIGGER audit_log_refuse_change BEFORE UPDATE OR DELETE" in sql


def test_threads_starting_together_migrate_once_without_failing(database_url: str) -> None:
    starters = 3
    start = threading.Barrier(starters)
    revisions: list[str] = []
    failures: list[BaseException] = []

    def first_use() -> None:
        try:
            start.wait()
            revisions.append(upgrade_to_head(database_url))
        except BaseException as failure:
            failures.append(failure)

    threads = [threading.Thread(target=first_use) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert revisions == [head_revision()] * starters
    assert current_revision(database_url) == head_revision()


def test_processes_starting_together_migrate_once_without_failing(database_url: str) -> None:
    repository = Path(__file__).resolve().parents[3]
    script = ("import sys; from edgedeploy.adapters.sql.migrate import upgrade_to_head; "
              "upgrade_to_head(sys.argv[1])")
    processes = [subprocess.Popen([sys.executable, "-c", script, database_url], cwd=repository,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(3)]
    outputs = [process.communicate(timeout=120)[0] for process in processes]

    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    assert current_revision(database_url) == head_revision()
