"""Repositories over SQLAlchemy Core: rows in, frozen domain objects out.

Both repositories work inside the session of one ``SqlAlchemyUnitOfWork``; they never commit.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edgedeploy.adapters.sql.errors import translated
from edgedeploy.adapters.sql.tables import audit_log, model_versions
from edgedeploy.domain.audit import AuditChainBroken, AuditEntry, entry_hash
from edgedeploy.domain.errors import Conflict, InvariantViolation
from edgedeploy.domain.models import ModelRef, ModelVersion

AUDIT_LOCK_KEY = int.from_bytes(hashlib.sha256(b"edgedeploy.audit_log").digest()[:8], "big",
                                signed=True)
"""The PostgreSQL advisory lock that serialises audit appenders (one 64-bit key)."""


class SqlAlchemyModelVersionRepository:
    """Registered model versions in table ``model_versions``."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._url = session.get_bind().engine.url

    def get(self, ref: ModelRef) -> ModelVersion | None:
        """The version registered as ``ref``, or None."""
        query = select(model_versions).where(model_versions.c.name == ref.name,
                                             model_versions.c.version == ref.version)
        with translated(self._url):
            row = self._session.execute(query).mappings().one_or_none()
        return None if row is None else _model_version(row)

    def add(self, model: ModelVersion) -> None:
        """Register ``model``.

        Raises:
            Conflict: ``MODEL_VERSION_DUPLICATE`` when the name and version are taken, which
                the database refuses even when two registrations race.
            InvariantViolation: ``registered_at`` has no time zone.
        """
        _require_aware(model.registered_at, f"model {model.ref} registered_at")
        _require_fits(model_versions, {"registered_by": model.registered_by},
                      f"model {model.ref}")
        statement = insert(model_versions).values(
            name=model.ref.name, version=model.ref.version, digest=model.digest,
            size_bytes=model.size_bytes, registered_at=model.registered_at,
            registered_by=model.registered_by, source_name=model.source_name)
        with translated(self._url):
            try:
                with self._session.begin_nested():
                    self._session.execute(statement)
            except IntegrityError:
                raise Conflict(
                    f"model version {model.ref} is already registered; register a new version "
                    "instead of replacing it", code="MODEL_VERSION_DUPLICATE") from None

    def list(self, name: str | None = None) -> builtins.list[ModelVersion]:
        """Every version (of model ``name``), oldest registration first."""
        query = select(model_versions).order_by(model_versions.c.registered_at,
                                                model_versions.c.id)
        if name is not None:
            query = query.where(model_versions.c.name == name)
        with translated(self._url):
            rows = self._session.execute(query).mappings().all()
        return [_model_version(row) for row in rows]


class SqlAlchemyAuditLog:
    """The hash-chained decision log in table ``audit_log``; there is no update or delete."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._url = session.get_bind().engine.url
        self.appended: AuditEntry | None = None
        """The newest entry this unit of work stored (its commit signs a checkpoint of it)."""

    def last(self) -> AuditEntry | None:
        """The newest entry; no other appender can append until this unit of work ends.

        PostgreSQL: a transaction-scoped advisory lock, taken before the read, so it also
        serialises appenders to an empty log (where ``FOR UPDATE`` would lock no row). SQLite:
        the unit of work's transaction began with ``BEGIN IMMEDIATE`` and holds the write lock.
        """
        query = select(audit_log).order_by(audit_log.c.sequence.desc()).limit(1)
        with translated(self._url):
            if self._session.get_bind().dialect.name == "postgresql":
                self._session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                      {"key": AUDIT_LOCK_KEY})
            row = self._session.execute(query).mappings().one_or_none()
        return None if row is None else _audit_entry(row)

    def append(self, entry: AuditEntry) -> None:
        """Store ``entry`` after checking that its hash covers its content.

        Raises:
            AuditChainBroken: the entry's hash does not match its content.
            InvariantViolation: ``recorded_at`` is not in UTC (its ISO text is hashed, and the
                store keeps instants in UTC) or ``details`` is not JSON.
            Conflict: ``AUDIT_SEQUENCE_TAKEN`` when entry ``sequence`` (or the same hash) is
                already stored: another appender got there first.
        """
        _require_aware(entry.recorded_at, f"audit entry {entry.sequence} recorded_at")
        if entry.recorded_at.utcoffset() != timedelta(0):
            raise InvariantViolation(
                f"audit entry {entry.sequence} is recorded at {entry.recorded_at.isoformat()}; "
                "record audit entries in UTC")
        expected = entry_hash(entry.sequence, entry.recorded_at, entry.subject, entry.action,
                              entry.outcome, entry.actor, entry.details, entry.previous_hash)
        if entry.entry_hash != expected:
            raise AuditChainBroken(
                f"refusing audit entry {entry.sequence}: its hash {entry.entry_hash} does not "
                f"match its content ({expected})")
        _require_fits(audit_log, {"subject": entry.subject, "action": entry.action,
                                  "outcome": entry.outcome, "actor": entry.actor},
                      f"audit entry {entry.sequence}")
        try:
            json.dumps(entry.details, default=str, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvariantViolation(
                f"audit entry {entry.sequence} details are not JSON: {exc}") from None
        values: dict[str, Any] = {
            "sequence": entry.sequence, "recorded_at": entry.recorded_at,
            "subject": entry.subject, "action": entry.action, "outcome": entry.outcome,
            "actor": entry.actor, "details": dict(entry.details),
            "previous_hash": entry.previous_hash, "entry_hash": entry.entry_hash}
        with translated(self._url):
            try:
                with self._session.begin_nested():
                    self._session.execute(insert(audit_log).values(values))
            except IntegrityError:
                raise Conflict(
                    f"audit entry {entry.sequence} is already stored: another decision was "
                    "recorded first; read the newest entry again and retry",
                    code="AUDIT_SEQUENCE_TAKEN") from None
        self.appended = entry

    def entries(self, subject: str | None = None) -> builtins.list[AuditEntry]:
        """Every entry (about ``subject``) in sequence order."""
        query = select(audit_log).order_by(audit_log.c.sequence)
        if subject is not None:
            query = query.where(audit_log.c.subject == subject)
        with translated(self._url):
            rows = self._session.execute(query).mappings().all()
        return [_audit_entry(row) for row in rows]

    def count(self) -> int:
        """How many entries the log holds (for health checks and reports)."""
        with translated(self._url):
            return int(self._session.execute(
                select(func.count()).select_from(audit_log)).scalar_one())


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvariantViolation(f"{what} {moment.isoformat()} has no time zone; use UTC")


def _require_fits(table: Table, values: dict[str, str], what: str) -> None:
    """Refuse text longer than its column alike on every database.

    SQLite would store it anyway and PostgreSQL would fail the whole transaction.
    """
    for column, value in values.items():
        limit = getattr(table.c[column].type, "length", None)
        if limit is not None and len(value) > limit:
            raise InvariantViolation(
                f"{what}: {column} is {len(value)} characters long; at most {limit} are kept")


def _model_version(row: RowMapping) -> ModelVersion:
    return ModelVersion(
        ref=ModelRef(row["name"], row["version"]), digest=row["digest"],
        size_bytes=int(row["size_bytes"]), registered_at=row["registered_at"],
        registered_by=row["registered_by"], source_name=row["source_name"])


def _audit_entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        sequence=int(row["sequence"]), recorded_at=row["recorded_at"], subject=row["subject"],
        action=row["action"], outcome=row["outcome"], actor=row["actor"],
        details=row["details"], previous_hash=row["previous_hash"],
        entry_hash=row["entry_hash"])
