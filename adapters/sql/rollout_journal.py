"""The roll-out journal on SQLAlchemy Core: roll-outs, device order and decision logs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, RowMapping, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edgedeploy.adapters.sql.errors import translated
from edgedeploy.adapters.sql.rollout_tables import (
    rollout_decisions,
    rollout_devices,
    rollouts,
)
from edgedeploy.domain.audit import AuditEntry
from edgedeploy.domain.errors import Conflict, NotFound
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import (
    DeviceInfo,
    Rollout,
    RolloutPhase,
    RolloutPlan,
    RolloutStage,
)


class RolloutJournalConflict(Conflict):
    """Another controller changed the roll-out since it was read."""

    code = "ROLLOUT_JOURNAL_CONFLICT"


_ACTIVE_PHASES = tuple(p.value for p in RolloutPhase if not p.is_final)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class SqlAlchemyRolloutJournal:
    """:class:`edgedeploy.application.ports.rollout.RolloutJournal` over SQL.

    It works inside the session of one ``SqlAlchemyUnitOfWork`` (exposed as ``rollouts``) and
    never commits: a roll-out's new state, its decision and whatever else the use case writes
    commit together, so a controller killed at any point resumes from a state that matches
    its log. The tables come from the Alembic migrations (or ``metadata.create_all`` on a
    scratch database).
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._url = session.get_bind().engine.url
        self.appended: dict[str, AuditEntry] = {}
        """The newest decision stored per roll-out in this unit of work (signed at commit)."""

    # --- writes ---------------------------------------------------------------------------

    def create(self, rollout: Rollout, entry: AuditEntry) -> None:
        """Store a new roll-out, its device order and its first decision.

        Raises:
            RolloutJournalConflict: the roll-out id is taken.
        """
        with translated(self._url):
            seq = self._session.execute(
                select(func.count()).select_from(rollouts)).scalar_one()
            try:
                with self._session.begin_nested():
                    self._session.execute(
                        insert(rollouts).values(**_row(rollout), created_seq=seq + 1))
                    self._session.execute(insert(rollout_devices), [
                        {"rollout_id": rollout.rollout_id, "position": i,
                         "device_id": d.device_id, "labels": dict(d.labels)}
                        for i, d in enumerate(rollout.devices)])
                    self._session.execute(insert(rollout_decisions).values(
                        **_entry_row(rollout.rollout_id, entry)))
            except IntegrityError as exc:
                raise RolloutJournalConflict(
                    f"roll-out {rollout.rollout_id} already exists") from exc
        self.appended[rollout.rollout_id] = entry

    def record(self, rollout: Rollout, entry: AuditEntry, expected_epoch: int) -> None:
        """Store the new state and its decision (compare-and-set on the stored epoch).

        Raises:
            RolloutJournalConflict: the stored epoch is no longer ``expected_epoch``, or the
                decision's sequence number is taken: another controller moved it on.
        """
        values = _row(rollout)
        del values["rollout_id"]
        with translated(self._url):
            try:
                with self._session.begin_nested():
                    result = self._session.execute(
                        update(rollouts)
                        .where(rollouts.c.rollout_id == rollout.rollout_id,
                               rollouts.c.epoch == expected_epoch)
                        .values(**values))
                    changed = cast(CursorResult[Any], result).rowcount
                    if changed != 1:
                        raise RolloutJournalConflict(
                            f"roll-out {rollout.rollout_id} is no longer at epoch "
                            f"{expected_epoch}: another controller moved it on")
                    self._session.execute(insert(rollout_decisions).values(
                        **_entry_row(rollout.rollout_id, entry)))
            except IntegrityError as exc:
                raise RolloutJournalConflict(
                    f"decision {entry.sequence} of roll-out {rollout.rollout_id} was already "
                    "recorded by another controller") from exc
        self.appended[rollout.rollout_id] = entry

    # --- reads ----------------------------------------------------------------------------

    def get(self, rollout_id: str) -> Rollout:
        """One roll-out.

        Raises:
            NotFound: unknown id.
        """
        with self._read() as conn:
            row = conn.execute(select(rollouts).where(
                rollouts.c.rollout_id == rollout_id)).mappings().first()
            if row is None:
                raise NotFound(f"no roll-out '{rollout_id}'", code="ROLLOUT_NOT_FOUND")
            return self._load(conn, row)

    def active(self, fleet: str) -> Rollout | None:
        """The non-final roll-out on ``fleet``."""
        with self._read() as conn:
            row = conn.execute(
                select(rollouts).where(rollouts.c.fleet == fleet,
                                       rollouts.c.phase.in_(_ACTIVE_PHASES))
                .order_by(rollouts.c.created_seq.desc())).mappings().first()
            return None if row is None else self._load(conn, row)

    def latest(self, fleet: str) -> Rollout | None:
        """The newest roll-out on ``fleet``."""
        with self._read() as conn:
            row = conn.execute(select(rollouts).where(rollouts.c.fleet == fleet)
                               .order_by(rollouts.c.created_seq.desc())).mappings().first()
            return None if row is None else self._load(conn, row)

    def max_epoch(self, fleet: str) -> int:
        """Highest epoch used on ``fleet``."""
        with self._read() as conn:
            value = conn.execute(select(func.max(rollouts.c.epoch)).where(
                rollouts.c.fleet == fleet)).scalar()
            return int(value or 0)

    def decisions(self, rollout_id: str) -> list[AuditEntry]:
        """The decision log, oldest first."""
        with self._read() as conn:
            rows = conn.execute(select(rollout_decisions)
                                .where(rollout_decisions.c.rollout_id == rollout_id)
                                .order_by(rollout_decisions.c.sequence)).mappings().all()
        return [AuditEntry(r["sequence"], _aware(r["recorded_at"]) or datetime.now(UTC),
                           r["subject"], r["action"], r["outcome"], r["actor"],
                           dict(r["details"]), r["previous_hash"], r["entry_hash"])
                for r in rows]

    def list_ids(self, fleet: str | None = None) -> list[str]:
        """Roll-out ids, oldest first (for ``rollout list`` style views)."""
        with self._read() as conn:
            query = select(rollouts.c.rollout_id).order_by(rollouts.c.created_seq)
            if fleet is not None:
                query = query.where(rollouts.c.fleet == fleet)
            return list(conn.execute(query).scalars())

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with translated(self._url):
            yield self._session

    def _load(self, conn: Session, row: RowMapping) -> Rollout:
        devices = conn.execute(select(rollout_devices.c.device_id, rollout_devices.c.labels)
                               .where(rollout_devices.c.rollout_id == row["rollout_id"])
                               .order_by(rollout_devices.c.position)).all()
        return Rollout(
            rollout_id=row["rollout_id"], fleet=row["fleet"],
            model=ModelRef.parse(row["model"]), digest=row["digest"],
            baseline=ModelRef.parse(row["baseline"]), baseline_digest=row["baseline_digest"],
            plan=RolloutPlan.from_dict(row["plan"]),
            devices=tuple(DeviceInfo(d, dict(labels)) for d, labels in devices),
            stages=tuple(RolloutStage(s) for s in row["stages"]), current=row["current"],
            epoch=row["epoch"], created_at=_aware(row["created_at"]) or datetime.now(UTC),
            stage_started_at=_aware(row["stage_started_at"]),
            reference=(None if row["reference"] is None
                       else HealthWindow.from_dict(row["reference"])),
            reason=row["reason"])


def _row(rollout: Rollout) -> dict[str, Any]:
    return {"rollout_id": rollout.rollout_id, "fleet": rollout.fleet,
            "model": str(rollout.model), "digest": rollout.digest,
            "baseline": str(rollout.baseline), "baseline_digest": rollout.baseline_digest,
            "plan": rollout.plan.to_dict(), "stages": [s.value for s in rollout.stages],
            "current": rollout.current, "epoch": rollout.epoch,
            "phase": rollout.phase.value, "created_at": rollout.created_at,
            "stage_started_at": rollout.stage_started_at,
            "reference": None if rollout.reference is None else rollout.reference.to_dict(),
            "reason": rollout.reason}


def _entry_row(rollout_id: str, entry: AuditEntry) -> dict[str, Any]:
    return {"rollout_id": rollout_id, "sequence": entry.sequence,
            "recorded_at": entry.recorded_at, "subject": entry.subject,
            "action": entry.action, "outcome": entry.outcome, "actor": entry.actor,
            "details": dict(entry.details), "previous_hash": entry.previous_hash,
            "entry_hash": entry.entry_hash}


