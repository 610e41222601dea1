"""Alembic, driven from code: bring a database to the newest schema, or say where it stands.

``upgrade_to_head`` runs on first use and behind ``edgedeploy db upgrade``; ``current_revision``
and ``head_revision`` feed ``edgedeploy doctor``. The migration scripts live in the repository's
top-level ``alembic/`` folder, installed as ``edgedeploy/alembic``; both sit two levels above
this file, so the commands work from a checkout, an editable install or a wheel.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from edgedeploy.adapters.sql.engine import create_engine_for, parse_database_url
from edgedeploy.adapters.sql.errors import translated

SCRIPT_LOCATION = Path(__file__).resolve().parents[2] / "alembic"
"""The migration scripts: ``<repository>/alembic``, or ``edgedeploy/alembic`` when installed."""

_ALEMBIC_RUNNING = threading.Lock()
"""Alembic keeps the running migration in module globals: one run per process at a time."""


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url``, built without reading ``alembic.ini``."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    # ConfigParser would read '%' in a URL (an encoded password) as interpolation.
    rendered = parse_database_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def upgrade_to_head(url: str) -> str:
    """Apply every migration not yet applied to the database at ``url``; return the head.

    Safe to call on every start: an up-to-date database is left untouched, and concurrent
    callers are serialised: threads by a lock (Alembic's state is process-global), processes
    by the database (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock taken in
    ``alembic/env.py``).

    Raises:
        InvalidInput: the URL is malformed or names an unsupported database.
        BackendUnavailable: the database cannot be reached or refused the migration.
    """
    config = alembic_config(url)
    engine = create_engine_for(url)
    try:
        with _ALEMBIC_RUNNING, translated(engine.url), engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
    return head_revision()


def current_revision(url: str) -> str | None:
    """The migration the database at ``url`` is at, or None for an empty database.

    Raises:
        InvalidInput: the URL is malformed or names an unsupported database.
        BackendUnavailable: the database cannot be reached.
    """
    engine = create_engine_for(url)
    try:
        with translated(engine.url), engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest migration shipped with this version of edgedeploy."""
    head = ScriptDirectory(str(SCRIPT_LOCATION)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found under {SCRIPT_LOCATION}")
    return head
