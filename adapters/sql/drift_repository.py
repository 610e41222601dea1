"""The drift monitor's repository on SQLAlchemy Core.

It works inside the session of one ``SqlAlchemyUnitOfWork`` and never commits: a verdict, the
stream state it leaves and whatever else the use case writes commit together. Domain values
are stored as JSON documents converted with msgspec (this adapter's own wire format) and
validated again by the domain classes on the way back; reference rows are stored as ``.npy``
bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edgedeploy.adapters.sql.drift_tables import (
    drift_alert_deliveries,
    drift_detector_state,
    drift_feedback,
    drift_references,
    drift_verdicts,
    drift_weights,
)
from edgedeploy.adapters.sql.errors import translated
from edgedeploy.application.ports.drift import AlertDelivery, WindowData
from edgedeploy.domain.drift import (
    DriftVerdict,
    FeedbackAlreadyRecorded,
    FeedbackRecord,
    ReferenceNotFitted,
    ReferenceProfile,
    WindowProfile,
)
from edgedeploy.domain.drift_policy import EnsembleWeights
from edgedeploy.domain.errors import Conflict


def _plain(value: Any) -> Any:
    """Builtins for JSON; non-finite floats become None (JSON has no NaN)."""
    data = msgspec.to_builtins(value)
    return _finite(data)


def _finite(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    return data


def _profile(raw: Any) -> WindowProfile | None:
    if raw is None:
        return None
    for key in ("means", "stds", "minimums", "maximums"):
        raw[key] = [math.nan if v is None else v for v in raw.get(key, [])]
    return msgspec.convert(raw, WindowProfile, strict=False)


def _verdict(raw: dict[str, Any]) -> DriftVerdict:
    profile = _profile(raw.pop("profile", None))
    verdict = msgspec.convert(raw, DriftVerdict, strict=False)
    return DriftVerdict(**{**{f: getattr(verdict, f) for f in verdict.__slots__},
                           "profile": profile})


class SqlAlchemyDriftRepository:
    """References, verdicts, weights, feedback and detector state in the SQL database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._url = session.get_bind().engine.url

    def save_reference(self, profile: ReferenceProfile, rows: WindowData) -> None:
        """Store (or replace) a deployment's reference; replacing starts its history anew."""
        import numpy as np  # only drift needs it; other commands open the database without it

        buffer = io.BytesIO()
        np.save(buffer, np.asarray(rows, dtype=np.float64), allow_pickle=False)
        with translated(self._url):
            self._session.execute(delete(drift_references).where(
                drift_references.c.deployment == profile.deployment))
            self._session.execute(insert(drift_references).values(
                deployment=profile.deployment, profile=_plain(profile),
                rows=buffer.getvalue(), fitted_at=profile.fitted_at))

    def reference(self, deployment: str) -> ReferenceProfile | None:
        """The deployment's reference profile, or None."""
        with translated(self._url):
            raw = self._session.execute(select(drift_references.c.profile).where(
                drift_references.c.deployment == deployment)).scalar_one_or_none()
        return None if raw is None else msgspec.convert(raw, ReferenceProfile, strict=False)

    def reference_rows(self, deployment: str) -> WindowData:
        """The reference rows as an array.

        Raises:
            ReferenceNotFitted: no reference for ``deployment``.
        """
        with translated(self._url):
            data = self._session.execute(select(drift_references.c.rows).where(
                drift_references.c.deployment == deployment)).scalar_one_or_none()
        if data is None:
            raise ReferenceNotFitted(f"no drift reference fitted for '{deployment}'")
        import numpy as np

        rows: WindowData = np.load(io.BytesIO(data), allow_pickle=False)
        return rows

    def add_verdict(self, verdict: DriftVerdict,
                    detector_states: Mapping[str, Mapping[str, float]] | None = None) -> None:
        """Append a verdict and the stream detectors' states, both in this unit of work.

        A second verdict for the same window is refused and nothing of this call is written
        (a savepoint keeps the rest of the unit of work usable).
        """
        with translated(self._url):
            try:
                with self._session.begin_nested():
                    self._session.execute(insert(drift_verdicts).values(
                        id=verdict.id, deployment=verdict.deployment,
                        window_index=verdict.window_index, observed_at=verdict.observed_at,
                        severity=verdict.severity.value, verdict=_plain(verdict)))
                    for detector, state in (detector_states or {}).items():
                        self._replace_state(verdict.deployment, detector, state)
            except IntegrityError as exc:
                raise Conflict(f"window {verdict.window_index} of {verdict.deployment} "
                               "already has a verdict", code="DRIFT_WINDOW_DUPLICATE") from exc

    def verdict(self, verdict_id: str) -> DriftVerdict | None:
        """One verdict, or None."""
        with translated(self._url):
            raw = self._session.execute(select(drift_verdicts.c.verdict).where(
                drift_verdicts.c.id == verdict_id)).scalar_one_or_none()
        return None if raw is None else _verdict(dict(raw))

    def verdicts(self, deployment: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[DriftVerdict]:
        """Verdicts in window order (per deployment)."""
        query = select(drift_verdicts.c.verdict).order_by(drift_verdicts.c.deployment,
                                                          drift_verdicts.c.window_index)
        if deployment is not None:
            query = query.where(drift_verdicts.c.deployment == deployment)
        if since is not None:
            query = query.where(drift_verdicts.c.observed_at >= since)
        if until is not None:
            query = query.where(drift_verdicts.c.observed_at <= until)
        with translated(self._url):
            return [_verdict(dict(raw)) for raw in self._session.execute(query).scalars()]

    def last_verdict(self, deployment: str) -> DriftVerdict | None:
        """The newest verdict of a deployment, or None."""
        query = (select(drift_verdicts.c.verdict)
                 .where(drift_verdicts.c.deployment == deployment)
                 .order_by(drift_verdicts.c.window_index.desc()).limit(1))
        with translated(self._url):
            raw = self._session.execute(query).scalar_one_or_none()
        return None if raw is None else _verdict(dict(raw))

    def weights(self, deployment: str) -> EnsembleWeights:
        """The deployment's weights (empty when never adapted)."""
        with translated(self._url):
            raw = self._session.execute(select(drift_weights.c.weights).where(
                drift_weights.c.deployment == deployment)).scalar_one_or_none()
        return EnsembleWeights() if raw is None else EnsembleWeights(
            dict(raw["values"]), float(raw["default"]))

    def save_weights(self, deployment: str, weights: EnsembleWeights) -> None:
        """Store the deployment's weights."""
        with translated(self._url):
            self._session.execute(
                delete(drift_weights).where(drift_weights.c.deployment == deployment))
            self._session.execute(insert(drift_weights).values(
                deployment=deployment,
                weights={"values": dict(weights.values), "default": weights.default}))

    def add_feedback(self, record: FeedbackRecord) -> None:
        """Store feedback; a verdict takes feedback once."""
        with translated(self._url):
            try:
                with self._session.begin_nested():
                    self._session.execute(insert(drift_feedback).values(
                        verdict_id=record.verdict_id, record=_plain(record),
                        recorded_at=record.recorded_at))
            except IntegrityError as exc:
                raise FeedbackAlreadyRecorded(
                    f"verdict {record.verdict_id} already has feedback") from exc

    def feedback(self, verdict_id: str) -> FeedbackRecord | None:
        """The feedback on a verdict, or None."""
        with translated(self._url):
            raw = self._session.execute(select(drift_feedback.c.record).where(
                drift_feedback.c.verdict_id == verdict_id)).scalar_one_or_none()
        return None if raw is None else msgspec.convert(raw, FeedbackRecord, strict=False)

    def detector_state(self, deployment: str, detector: str) -> Mapping[str, float] | None:
        """A stream detector's carried state, or None."""
        with translated(self._url):
            raw = self._session.execute(select(drift_detector_state.c.state).where(
                (drift_detector_state.c.deployment == deployment)
                & (drift_detector_state.c.detector == detector))).scalar_one_or_none()
        return None if raw is None else {k: float(v) for k, v in raw.items()}

    def save_detector_state(self, deployment: str, detector: str,
                            state: Mapping[str, float]) -> None:
        """Store a stream detector's carried state."""
        with translated(self._url):
            self._replace_state(deployment, detector, state)

    def _replace_state(self, deployment: str, detector: str,
                       state: Mapping[str, float]) -> None:
        self._session.execute(delete(drift_detector_state).where(
            (drift_detector_state.c.deployment == deployment)
            & (drift_detector_state.c.detector == detector)))
        self._session.execute(insert(drift_detector_state).values(
            deployment=deployment, detector=detector, state=dict(state)))

    def add_alert_deliveries(self, deliveries: Sequence[AlertDelivery]) -> None:
        """Record alert deliveries in this unit of work."""
        with translated(self._url):
            for delivery in deliveries:
                self._session.execute(insert(drift_alert_deliveries).values(
                    verdict_id=delivery.verdict_id, receiver=delivery.receiver,
                    sent_at=delivery.sent_at, delivered=delivery.delivered,
                    record=_plain(delivery)))

    def alert_deliveries(self, verdict_id: str | None = None) -> list[AlertDelivery]:
        """Recorded deliveries (of one verdict), oldest first."""
        query = select(drift_alert_deliveries.c.record).order_by(drift_alert_deliveries.c.id)
        if verdict_id is not None:
            query = query.where(drift_alert_deliveries.c.verdict_id == verdict_id)
        with translated(self._url):
            rows = self._session.execute(query).scalars().all()
        return [msgspec.convert(raw, AlertDelivery, strict=False) for raw in rows]
