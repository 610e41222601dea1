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

    The walk is :func:`first_chain_problem`'s, without checkpoints.

    Raises:
        AuditChainBroken: naming the first entry that does not verify.
    """
    listed = list(entries)
    problem = first_chain_problem(AUDIT_CHAIN, listed, ())
    if problem is not None:
        raise AuditChainBroken(f"audit entry {problem.sequence} {problem.problem}")
    return len(listed)


AUDIT_CHAIN = "audit"
"""The name of the registry's and the gate's decision log among the evidence chains."""

ROLLOUT_CHAIN_PREFIX = "rollout:"


def rollout_chain(rollout_id: str) -> str:
    """The evidence-chain name of one roll-out's decision log."""
    return f"{ROLLOUT_CHAIN_PREFIX}{rollout_id}"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement of a chain's length and head hash at one instant.

    Re-hashing a chain after editing it keeps the chain self-consistent; the signed head no
    longer matches, and the signing key is not in the database (ISO 26262-8 clause 10).
    """

    chain: str
    head_sequence: int
    head_hash: str
    signed_at: datetime
    key_id: str
    signature: bytes

    @property
    def payload(self) -> bytes:
        """The bytes the signature covers."""
        return checkpoint_payload(self.chain, self.head_sequence, self.head_hash,
                                  self.signed_at, self.key_id)


def checkpoint_payload(chain: str, head_sequence: int, head_hash: str, signed_at: datetime,
                       key_id: str) -> bytes:
    """The canonical JSON a checkpoint signature covers (sorted keys, no spaces)."""
    return json.dumps(
        {"chain": chain, "head_sequence": head_sequence, "head_hash": head_hash,
         "signed_at": signed_at.isoformat(), "key_id": key_id},
        sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """The first thing wrong with one evidence chain: where, and what."""

    chain: str
    sequence: int | None
    problem: str

    def __str__(self) -> str:
        where = self.chain if self.sequence is None else f"{self.chain} entry {self.sequence}"
        return f"{where}: {self.problem}"


def first_chain_problem(chain: str, entries: Iterable[AuditEntry],
                        checkpoints: Iterable[Checkpoint]) -> ChainProblem | None:
    """The lowest entry of ``chain`` whose link or checkpoint head does not hold, if any.

    Entries must re-hash, follow on from 1 without a gap, and each checkpoint's head must be
    in the chain with the signed hash; a chain shorter than its newest checkpoint lost its
    tail. Signatures are not checked here (that needs the key): see the audit use case.
    """
    problems: list[ChainProblem] = []
    hashes: dict[int, str] = {}
    previous_hash, expected = GENESIS, 1
    for entry in entries:
        if entry.sequence != expected:
            problems.append(ChainProblem(
                chain, expected, f"is missing (the next stored is {entry.sequence})"))
            break
        recomputed = entry_hash(entry.sequence, entry.recorded_at, entry.subject, entry.action,
                                entry.outcome, entry.actor, entry.details, previous_hash)
        if entry.previous_hash != previous_hash or entry.entry_hash != recomputed:
            problems.append(ChainProblem(
                chain, entry.sequence, "does not verify: it was altered, or an earlier "
                                       "entry was"))
            break
        hashes[entry.sequence] = entry.entry_hash
        previous_hash, expected = entry.entry_hash, expected + 1
    stored = expected - 1
    for checkpoint in checkpoints:
        if checkpoint.chain != chain:
            continue
        head = checkpoint.head_sequence
        if head > stored and not problems:
            problems.append(ChainProblem(
                chain, stored + 1, f"the chain ends at entry {stored} but a checkpoint signed "
                                   f"at {checkpoint.signed_at.isoformat()} saw {head} entries: "
                                   "its tail was cut"))
        elif head in hashes and hashes[head] != checkpoint.head_hash:
            problems.append(ChainProblem(
                chain, head, f"hash {hashes[head]} differs from {checkpoint.head_hash} signed "
                             f"at {checkpoint.signed_at.isoformat()}: the chain was rewritten"))
    return min(problems, key=lambda p: p.sequence or 0, default=None)
