"""Drift alerts: every delivery of an alert to a webhook receiver.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drift_alert_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("verdict_id", sa.String(length=64), nullable=False),
        sa.Column("receiver", sa.String(length=255), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_alert_deliveries")),
    )
    op.create_index(op.f("ix_drift_alert_deliveries_verdict_id"), "drift_alert_deliveries",
                    ["verdict_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_drift_alert_deliveries_verdict_id"),
                  table_name="drift_alert_deliveries")
    op.drop_table("drift_alert_deliveries")
