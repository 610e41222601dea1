"""An append-only, hash-chained log of safety decisions.

Each entry's hash covers its content and the previous entry's hash, so removing, reordering or
editing any entry breaks every hash after it (ISO 26262-8 clause 10: configuration evidence).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edgedeploy.domain.errors import Conflict

GENESIS = "sha256:" + "0" * 64


class AuditChainBroken(Conflict):
    """The audit log no longer verifies: an entry was changed, removed or reordered."""

    code = "AUDIT_CHAIN_BROKEN"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One decision: what was decided about which subject, by whom, with which details."""

    sequence: int
    recorded_at: datetime
    subject: str
    action: str
    outcome: str
    actor: str
    details: Mapping[str, Any]
    previous_hash: str
    entry_hash: str


def entry_hash(sequence: int, recorded_at: datetime, subject: str, action: str, outcome: str,
               actor: str, details: Mapping[str, Any], previous_hash: str) -> str:
    """The SHA-256 over a canonical JSON form of the entry and its predecessor's hash."""
    canonical = json.dumps(
        {"sequence": sequence, "recorded_at": recorded_at.isoformat(), "subject": subject,
         "action": action, "outcome": outcome, "actor": actor, "details": details,
         "previous_hash": previous_hash},
        sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def next_entry(previous: AuditEntry | None, recorded_at: datetime, subject: str, action: str,
               outcome: str, actor: str, details: Mapping[str, Any]) -> AuditEntry:
    """The entry that follows ``previous`` in the chain."""
    sequence = 1 if previous is None else previous.sequence + 1
    prev_hash = GENESIS if previous is None else previous.entry_hash
    return AuditEntry(sequence, recorded_at, subject, action, outcome, actor, dict(details),
                      prev_hash, entry_hash(sequence, recorded_at, subject, action, outcome,
                                            actor, details, prev_hash))


def verify_chain(entries: Iterable[AuditEntry]) -> int:
    """Check every link of the chain; return the number of entries.

    Raises:
        AuditChainBroken: naming the first entry that does not verify.
    """
    previous_hash, expected = GENESIS, 1
    for entry in entries:
        if entry.sequence != expected:
            raise AuditChainBroken(f"audit entry {expected} is missing (found {entry.sequence})")
        recomputed = entry_hash(entry.sequence, entry.recorded_at, entry.subject, entry.action,
                                entry.outcome, entry.actor, entry.details, previous_hash)
        if entry.previous_hash != previous_hash or entry.entry_hash != recomputed:
            raise AuditChainBroken(f"audit entry {entry.sequence} does not verify: it was "
                                   "altered or an earlier entry was")
        previous_hash, expected = entry.entry_hash, expected + 1
    return expected - 1
