"""The roll-out journal: roll-outs, their device order and their hash-chained decisions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

The controller writes a roll-out's new state and the decision that led to it in one
transaction before any device is commanded, so these tables are what a restarted controller
resumes from (SR_ROLL_030). Decisions are chained by hash; ``entry_hash`` is unique so that a
second controller cannot append the same decision twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rollouts",
        sa.Column("rollout_id", sa.String(length=64), nullable=False),
        sa.Column("fleet", sa.String(length=128), nullable=False),
        sa.Column("model", sa.String(length=260), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("baseline", sa.String(length=260), nullable=False),
        sa.Column("baseline_digest", sa.String(length=71), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("current", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reference", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("rollout_id", name=op.f("pk_rollouts")),
    )
    op.create_index(op.f("ix_rollouts_fleet"), "rollouts", ["fleet"])

    op.create_table(
        "rollout_devices",
        sa.Column("rollout_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["rollout_id"], ["rollouts.rollout_id"],
                                name=op.f("fk_rollout_devices_rollout_id_rollouts")),
        sa.PrimaryKeyConstraint("rollout_id", "position", name=op.f("pk_rollout_devices")),
    )

    op.create_table(
        "rollout_decisions",
        sa.Column("rollout_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=260), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("previous_hash", sa.String(length=71), nullable=False),
        sa.Column("entry_hash", sa.String(length=71), nullable=False),
        sa.ForeignKeyConstraint(["rollout_id"], ["rollouts.rollout_id"],
                                name=op.f("fk_rollout_decisions_rollout_id_rollouts")),
        sa.PrimaryKeyConstraint("rollout_id", "sequence", name=op.f("pk_rollout_decisions")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_rollout_decisions_entry_hash")),
    )


def downgrade() -> None:
    op.drop_table("rollout_decisions")
    op.drop_table("rollout_devices")
    op.drop_index(op.f("ix_rollouts_fleet"), table_name="rollouts")
    op.drop_table("rollouts")
