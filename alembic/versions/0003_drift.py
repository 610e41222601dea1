"""The drift monitor: references, verdicts, weights, feedback and stream detector state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drift_references",
        sa.Column("deployment", sa.String(length=255), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("rows", sa.LargeBinary(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("deployment", name=op.f("pk_drift_references")),
    )
    op.create_table(
        "drift_verdicts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("deployment", sa.String(length=255), nullable=False),
        sa.Column("window_index", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_verdicts")),
        sa.UniqueConstraint("deployment", "window_index",
                            name=op.f("uq_drift_verdicts_deployment_window_index")),
    )
    op.create_index(op.f("ix_drift_verdicts_deployment"), "drift_verdicts", ["deployment"])
    op.create_index(op.f("ix_drift_verdicts_observed_at"), "drift_verdicts", ["observed_at"])
    op.create_table(
        "drift_weights",
        sa.Column("deployment", sa.String(length=255), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("deployment", name=op.f("pk_drift_weights")),
    )
    op.create_table(
        "drift_feedback",
        sa.Column("verdict_id", sa.String(length=64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["verdict_id"], ["drift_verdicts.id"],
                                name=op.f("fk_drift_feedback_verdict_id_drift_verdicts")),
        sa.PrimaryKeyConstraint("verdict_id", name=op.f("pk_drift_feedback")),
    )
    op.create_table(
        "drift_detector_state",
        sa.Column("deployment", sa.String(length=255), nullable=False),
        sa.Column("detector", sa.String(length=128), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("deployment", "detector", name=op.f("pk_drift_detector_state")),
    )


def downgrade() -> None:
    op.drop_table("drift_detector_state")
    op.drop_table("drift_feedback")
    op.drop_table("drift_weights")
    op.drop_index(op.f("ix_drift_verdicts_observed_at"), table_name="drift_verdicts")
    op.drop_index(op.f("ix_drift_verdicts_deployment"), table_name="drift_verdicts")
    op.drop_table("drift_verdicts")
    op.drop_table("drift_references")
