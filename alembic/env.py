"""Alembic environment for edgedeploy's relational schema.

The database URL comes from, in order: the Config (``edgedeploy.adapters.sql.migrate`` sets it, or
``sqlalchemy.url`` in an ini file), ``alembic -x url=...``, then the environment variable
``EDGEDEPLOY_DATABASE_URL``. A connection handed over in ``config.attributes["connection"]``
is used as is, so the caller's transaction covers the migration.
"""

from __future__ import annotations

import hashlib
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, text

from edgedeploy.adapters.sql.engine import create_engine_for
from edgedeploy.adapters.sql.tables import metadata

MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"edgedeploy.migrations").digest()[:8], "big", signed=True)

config = context.config
target_metadata = metadata

if config.config_file_name is not None:
    # Only the alembic command line configures logging; the application owns its own.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = (config.get_main_option("sqlalchemy.url")
           or context.get_x_argument(as_dictionary=True).get("url")
           or os.environ.get("EDGEDEPLOY_DATABASE_URL"))
    if not url:
        raise SystemExit(
            "no database URL: set EDGEDEPLOY_DATABASE_URL, or run alembic -x url=<database URL>")
    return url


def run_migrations_offline() -> None:
    """Write the SQL to standard output instead of running it (``alembic upgrade --sql``)."""
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True,
                      dialect_opts={"paramstyle": "named"}, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two services starting at once must not both create the schema.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": MIGRATION_LOCK_KEY})
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = create_engine_for(database_url())
    try:
        with engine.begin() as connection:
            run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
