"""The evidence chains read back for verification, and checkpoints written as chains grow."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.orm import Session, sessionmaker

from edgedeploy.adapters.sql.errors import translated
from edgedeploy.adapters.sql.evidence_tables import chain_checkpoints
from edgedeploy.adapters.sql.rollout_tables import rollout_decisions
from edgedeploy.adapters.sql.tables import audit_log
from edgedeploy.application.ports.signing import EvidenceChains, EvidenceSigner
from edgedeploy.domain.audit import (
    AUDIT_CHAIN,
    AuditEntry,
    Checkpoint,
    checkpoint_payload,
    rollout_chain,
)


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive values (stored as UTC); PostgreSQL answers in the session's zone.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(int(row["sequence"]), _utc(row["recorded_at"]), row["subject"],
                      row["action"], row["outcome"], row["actor"], dict(row["details"]),
                      row["previous_hash"], row["entry_hash"])


def _signature(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""  # does not verify; reported as a bad signature, not a crash


class SqlAlchemyEvidenceLedger:
    """:class:`~edgedeploy.application.ports.signing.EvidenceLedger` over the SQL tables."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def read(self) -> EvidenceChains:
        """Every chain and checkpoint, read in one transaction."""
        with self._sessions() as session:
            url = session.get_bind().engine.url
            with translated(url):
                audit = [_entry(r) for r in session.execute(
                    select(audit_log).order_by(audit_log.c.sequence)).mappings()]
                entries: dict[str, list[AuditEntry]] = {AUDIT_CHAIN: audit}
                for row in session.execute(select(rollout_decisions).order_by(
                        rollout_decisions.c.rollout_id,
                        rollout_decisions.c.sequence)).mappings():
                    entries.setdefault(rollout_chain(row["rollout_id"]), []).append(_entry(row))
                checkpoints = [
                    Checkpoint(r["chain"], int(r["head_sequence"]), r["head_hash"],
                               _utc(r["signed_at"]), r["key_id"], _signature(r["signature"]))
                    for r in session.execute(
                        select(chain_checkpoints).order_by(chain_checkpoints.c.id)).mappings()]
                session.rollback()
        return EvidenceChains(entries, checkpoints)


def write_checkpoints(session: Session, heads: Mapping[str, AuditEntry],
                      signer: EvidenceSigner) -> None:
    """Sign and store the head of every chain in ``heads`` (inside the caller's transaction)."""
    if not heads:
        return
    signed_at = datetime.now(UTC)
    rows = []
    for chain, head in sorted(heads.items()):
        payload = checkpoint_payload(chain, head.sequence, head.entry_hash, signed_at,
                                     signer.key_id)
        signature = signer.sign(payload)
        rows.append({"chain": chain, "head_sequence": head.sequence,
                     "head_hash": head.entry_hash, "signed_at": signed_at,
                     "key_id": signature.key_id,
                     "signature": base64.b64encode(signature.value).decode()})
    with translated(session.get_bind().engine.url):
        session.execute(insert(chain_checkpoints), rows)


__all__ = ["SqlAlchemyEvidenceLedger", "write_checkpoints"]
