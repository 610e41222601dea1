"""Tables of the drift monitor: references, verdicts over time, weights, feedback, stream state.

Declared on the shared ``metadata``; migrations ``0003`` and ``0004`` create them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from edgedeploy.adapters.sql.tables import JsonDocument, UtcDateTime, metadata

drift_references = Table(
    "drift_references",
    metadata,
    Column("deployment", String(255), primary_key=True),
    Column("profile", JsonDocument, nullable=False),
    Column("rows", LargeBinary, nullable=False),
    Column("fitted_at", UtcDateTime, nullable=False),
)
"""One reference per monitored deployment: its profile and its rows (``.npy`` bytes)."""

drift_verdicts = Table(
    "drift_verdicts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("deployment", String(255), nullable=False, index=True),
    Column("window_index", Integer, nullable=False),
    Column("observed_at", UtcDateTime, nullable=False, index=True),
    Column("severity", String(16), nullable=False),
    Column("verdict", JsonDocument, nullable=False),
    UniqueConstraint("deployment", "window_index"),
)
"""Every verdict with its scores, attributions and the window's summary statistics."""

drift_weights = Table(
    "drift_weights",
    metadata,
    Column("deployment", String(255), primary_key=True),
    Column("weights", JsonDocument, nullable=False),
)
"""The adapted detector weights of each deployment."""

drift_feedback = Table(
    "drift_feedback",
    metadata,
    Column("verdict_id", String(64), ForeignKey("drift_verdicts.id"), primary_key=True),
    Column("record", JsonDocument, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)
"""At most one confirmed / false-alarm judgement per verdict."""

drift_detector_state = Table(
    "drift_detector_state",
    metadata,
    Column("deployment", String(255), primary_key=True),
    Column("detector", String(128), primary_key=True),
    Column("state", JsonDocument, nullable=False),
)
"""The carried state of stream detectors between windows."""

drift_alert_deliveries = Table(
    "drift_alert_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("verdict_id", String(64), nullable=False, index=True),
    Column("receiver", String(255), nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("delivered", Boolean, nullable=False),
    Column("record", JsonDocument, nullable=False),
)
"""Every delivery of a drift alert to a receiver: attempts, outcome, last status."""
