"""Tables of the roll-out journal, declared on the main schema's ``MetaData``.

Alembic owns them (``alembic/versions/0002_rollout.py``); ``edgedeploy.adapters.sql.tables``
imports this
module at its end so that the schema check and autogenerate see them whichever module is
imported first. Constraint names come from the shared naming convention.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from edgedeploy.adapters.sql.tables import metadata

rollouts = Table(
    "rollouts", metadata,
    Column("rollout_id", String(64), primary_key=True),
    Column("fleet", String(128), nullable=False, index=True),
    Column("model", String(260), nullable=False),
    Column("digest", String(71), nullable=False),
    Column("baseline", String(260), nullable=False),
    Column("baseline_digest", String(71), nullable=False),
    Column("plan", JSON, nullable=False),
    Column("stages", JSON, nullable=False),
    Column("current", Integer, nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("phase", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("stage_started_at", DateTime(timezone=True), nullable=True),
    Column("reference", JSON, nullable=True),
    Column("reason", Text, nullable=False, default=""),
    Column("created_seq", Integer, nullable=False),
)

rollout_devices = Table(
    "rollout_devices", metadata,
    Column("rollout_id", String(64), ForeignKey("rollouts.rollout_id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("device_id", String(128), nullable=False),
    Column("labels", JSON, nullable=False),
)

rollout_decisions = Table(
    "rollout_decisions", metadata,
    Column("rollout_id", String(64), ForeignKey("rollouts.rollout_id"), primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("subject", String(260), nullable=False),
    Column("action", String(64), nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("details", JSON, nullable=False),
    Column("previous_hash", String(71), nullable=False),
    Column("entry_hash", String(71), nullable=False),
    UniqueConstraint("entry_hash"),
)

__all__ = ["metadata", "rollout_decisions", "rollout_devices", "rollouts"]
