"""The relational schema: one ``MetaData`` and the Core tables the repositories read and write.

The domain classes (``edgedeploy.domain.models.ModelVersion``,
``edgedeploy.domain.audit.AuditEntry``) are frozen,
slotted dataclasses that know nothing of SQLAlchemy; ``edgedeploy.adapters.sql.repositories``
converts
rows to them explicitly. Keeping the mapping in one adapter keeps the domain ORM-free.

Adding a table for another capability (drift verdicts, the rollout journal, ...):

1. Declare it here (or in a module of ``adapters/sql/`` that this module imports at its end)
   with ``Table("drift_verdicts", metadata, ...)`` on the shared ``metadata`` below. Do not
   name constraints by hand: the naming convention gives every constraint a stable name that
   migrations can refer to on both SQLite and PostgreSQL.
2. Use ``UtcDateTime`` for instants and ``JsonDocument`` for free-form JSON, so that values
   read back compare equal to what the domain stored.
3. Add a migration under ``alembic/versions/`` (``alembic revision -m "..."`` writes the
   skeleton; ``--autogenerate`` compares against this ``metadata``), with ``down_revision``
   set to the current head. ``tests/integration/sql`` checks that the migrated schema and
   this ``metadata`` agree, so a table declared here without a migration fails the suite.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant stored as UTC and read back time-zone aware in UTC.

    SQLite keeps no offset and PostgreSQL answers in the session's time zone; normalising both
    ways makes a value read back equal to, and ``isoformat()`` identical to, a UTC value
    written, which the audit chain's hashes depend on.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """UTC on the way in; naive values are refused rather than guessed."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing naive datetime {value.isoformat()}: give a time zone")
        utc = value.astimezone(UTC)
        # SQLite's DateTime stores naive text; the offset is implied (always UTC).
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware UTC on the way out, whatever the driver returned."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JsonDocument(TypeDecorator[Any]):
    """A JSON value stored as written and read back as plain ``dict``/``list``/scalars.

    Values are normalised through ``json`` on the way in (``default=str``, as the audit hash
    does), so what is read back hashes exactly like what was hashed before storing. NaN and
    infinities are refused: PostgreSQL's JSON rejects them and they would not round-trip.
    """

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Plain JSON types only, converted exactly as the audit hash converts them."""
        if value is None:
            return None
        return json.loads(json.dumps(value, default=str, allow_nan=False))


model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("version", String(128), nullable=False),
    Column("digest", String(71), nullable=False, index=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    Column("registered_by", String(255), nullable=False),
    Column("source_name", Text, nullable=False, server_default=""),
    UniqueConstraint("name", "version"),
    CheckConstraint("size_bytes > 0", name="size_positive"),
)
"""Registered model versions; ``(name, version)`` is the business key, ``id`` is for joins."""

audit_log = Table(
    "audit_log",
    metadata,
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("subject", String(255), nullable=False, index=True),
    Column("action", String(128), nullable=False),
    Column("outcome", String(128), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("details", JsonDocument, nullable=False),
    Column("previous_hash", String(71), nullable=False),
    Column("entry_hash", String(71), nullable=False),
    UniqueConstraint("entry_hash"),
    CheckConstraint("sequence >= 1", name="sequence_positive"),
)
"""The hash-chained decision log. Append-only: the migration installs triggers refusing
UPDATE and DELETE, and ``sequence`` being the primary key refuses a second entry N."""

__all__ = [
    "NAMING_CONVENTION",
    "JsonDocument",
    "UtcDateTime",
    "audit_log",
    "metadata",
    "model_versions",
]

# The roll-out journal and the drift monitor declare their tables in modules of their own;
# importing them here puts them on ``metadata`` for Alembic and the schema check, whichever
# module is imported first.
import edgedeploy.adapters.sql.drift_tables  # noqa: E402
import edgedeploy.adapters.sql.evidence_tables  # noqa: E402
import edgedeploy.adapters.sql.identity_tables  # noqa: E402
import edgedeploy.adapters.sql.rollout_tables  # noqa: E402, F401
