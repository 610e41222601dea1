from dataclasses import replace
from datetime import UTC, datetime

from edgedeploy.domain.audit import (
    Checkpoint,
    checkpoint_payload,
    entry_hash,
    first_chain_problem,
    next_entry,
)

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def chain(n: int):
    entries, last = [], None
    for i in range(n):
        last = next_entry(last, NOW, f"m@{i}", "trace-gate", "passed", "ci", {"i": i})
        entries.append(last)
    return entries


def checkpoint_of(entries, at: int) -> Checkpoint:
    head = entries[at - 1]
    return Checkpoint("audit", at, head.entry_hash, NOW, "sha256:k", b"sig")


def rehashed(entries, start: int):
    forged, previous = [], None
    for entry in entries:
        kept = entry
        if entry.sequence >= start:
            value = entry_hash(entry.sequence, entry.recorded_at, entry.subject, entry.action,
                               entry.outcome, entry.actor, entry.details, previous.entry_hash)
            kept = replace(entry, previous_hash=previous.entry_hash, entry_hash=value)
        forged.append(kept)
        previous = kept
    return forged


def test_a_chain_matching_its_checkpoints_has_no_problem():
    entries = chain(4)
    assert first_chain_problem("audit", entries, [checkpoint_of(entries, 2),
                                                  checkpoint_of(entries, 4)]) is None


def test_a_re_hashed_chain_is_named_at_the_first_rewritten_checkpoint_head():
    entries = chain(4)
    checkpoints = [checkpoint_of(entries, 2), checkpoint_of(entries, 3)]
    entries[1] = replace(entries[1], outcome="blocked")
    problem = first_chain_problem("audit", rehashed(entries, 2), checkpoints)
    assert problem is not None
    assert (problem.sequence, "rewritten" in problem.problem) == (2, True)


def test_a_chain_shorter_than_its_newest_checkpoint_lost_its_tail():
    entries = chain(5)
    problem = first_chain_problem("audit", entries[:3], [checkpoint_of(entries, 5)])
    assert problem is not None
    assert problem.sequence == 4 and "tail was cut" in problem.problem


def test_the_checkpoint_payload_is_canonical_and_covers_every_field():
    base = checkpoint_payload("audit", 3, "sha256:x", NOW, "sha256:k")
    assert base == checkpoint_payload("audit", 3, "sha256:x", NOW, "sha256:k")
    assert base != checkpoint_payload("audit", 4, "sha256:x", NOW, "sha256:k")
    assert base != checkpoint_payload("rollout:r1", 3, "sha256:x", NOW, "sha256:k")
    assert b" " not in base
