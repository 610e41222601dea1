"""Tamper evidence: signed chain checkpoints, and every evidence chain append-only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

The roll-out decision logs get the triggers the audit log has had since 0001, and the new
``chain_checkpoints`` table gets them too: UPDATE and DELETE are refused (on PostgreSQL,
TRUNCATE as well). The statements are written out here, not imported, so this revision keeps
doing what it did when later code changes (ISO 26262-8 clause 10).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("rollout_decisions", "chain_checkpoints")


def _sqlite(table: str) -> list[str]:
    refusal = f"{table} is append-only"
    return [
        f"CREATE TRIGGER {table}_refuse_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{refusal}: UPDATE refused'); END",
        f"CREATE TRIGGER {table}_refuse_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{refusal}: DELETE refused'); END",
    ]


def _postgres(table: str) -> list[str]:
    refusal = f"{table} is append-only"
    return [
        f"""CREATE FUNCTION {table}_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{refusal}: % refused', TG_OP USING ERRCODE = 'restrict_violation';
        END
        $$""",
        f"""CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()""",
        f"""CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change()""",
    ]


def upgrade() -> None:
    op.create_table(
        "chain_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chain", sa.String(length=96), nullable=False),
        sa.Column("head_sequence", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=71), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=71), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.CheckConstraint("head_sequence >= 1",
                           name=op.f("ck_chain_checkpoints_head_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_checkpoints")),
    )
    op.create_index(op.f("ix_chain_checkpoints_chain"), "chain_checkpoints", ["chain"])
    dialect = op.get_context().dialect.name
    for table in TABLES:
        statements = {"sqlite": _sqlite, "postgresql": _postgres}.get(dialect)
        for statement in statements(table) if statements else ():
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    for table in TABLES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_change ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_refuse_change()")
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_delete")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_update")
    op.drop_index(op.f("ix_chain_checkpoints_chain"), table_name="chain_checkpoints")
    op.drop_table("chain_checkpoints")
