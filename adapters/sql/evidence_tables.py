"""Signed checkpoints of the evidence chains, and the triggers that keep the chains append-only.

``alembic/versions/0006_tamper_evidence.py`` installs the same triggers on migrated databases;
:func:`append_only_statements` gives them to ``create_schema`` for scratch databases, so both
refuse an UPDATE or DELETE (and, on PostgreSQL, TRUNCATE) of the audit log, the roll-out
decision logs and the checkpoints alike.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Integer, String, Table, Text

from edgedeploy.adapters.sql.tables import UtcDateTime, metadata

chain_checkpoints = Table(
    "chain_checkpoints", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chain", String(96), nullable=False, index=True),
    Column("head_sequence", Integer, nullable=False),
    Column("head_hash", String(71), nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    Column("key_id", String(71), nullable=False),
    Column("signature", Text, nullable=False),
    CheckConstraint("head_sequence >= 1", name="head_positive"),
)
"""One row per chain that grew in a commit: its head, signed with the evidence key (base64)."""

APPEND_ONLY_TABLES = ("audit_log", "rollout_decisions", "chain_checkpoints")


def append_only_statements(dialect: str, tables: tuple[str, ...] = APPEND_ONLY_TABLES,
                           ) -> list[str]:
    """DDL refusing UPDATE and DELETE (PostgreSQL: TRUNCATE too) on ``tables``."""
    statements: list[str] = []
    for table in tables:
        refusal = f"{table} is append-only"
        if dialect == "sqlite":
            statements += [
                f"CREATE TRIGGER IF NOT EXISTS {table}_refuse_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{refusal}: UPDATE refused'); END",
                f"CREATE TRIGGER IF NOT EXISTS {table}_refuse_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{refusal}: DELETE refused'); END",
            ]
        elif dialect == "postgresql":
            statements += [
                f"""CREATE OR REPLACE FUNCTION {table}_refuse_change() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION '{refusal}: % refused', TG_OP
                        USING ERRCODE = 'restrict_violation';
                END
                $$""",
                f"DROP TRIGGER IF EXISTS {table}_refuse_change ON {table}",
                f"""CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()""",
                f"DROP TRIGGER IF EXISTS {table}_refuse_truncate ON {table}",
                f"""CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change()""",
            ]
    return statements


__all__ = ["APPEND_ONLY_TABLES", "append_only_statements", "chain_checkpoints"]
