"""The signed form of an evidence record: canonical bytes, bound to the record's link."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from edgedeploy.domain.requirements import ItemId
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    LinkKey,
    Relation,
    Verdict,
    VerificationMethod,
    evidence_payload,
)

KEY: LinkKey = (ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-1"))
AT = datetime(2026, 3, 1, 9, 0, 0, 120, tzinfo=UTC)
RECORD = Evidence(EvidenceKind.TEST_RESULT, Verdict.FAILED, "ci", AT,
                  artifact_digest="sha256:" + "ab" * 32, note="rig 3")


def test_the_payload_is_canonical_json_of_every_stated_field_with_sorted_keys() -> None:
    payload = evidence_payload(KEY, RECORD)

    fields = json.loads(payload)
    assert list(fields) == sorted(fields)
    assert fields == {
        "source": "SYS-1", "relation": "verified_by", "target": "TC-1",
        "kind": "test-result", "verdict": "failed", "agent": "ci",
        "recorded_at": "2026-03-01T09:00:00.000120+00:00",
        "artifact_digest": "sha256:" + "ab" * 32, "method": "test", "independent": False,
        "note": "rig 3"}
    assert b" " not in payload.replace(b"rig 3", b"")


def test_the_same_instant_in_another_time_zone_gives_the_same_bytes() -> None:
    elsewhere = replace(RECORD, recorded_at=AT.astimezone(timezone(timedelta(hours=5,
                                                                             minutes=45))))
    assert evidence_payload(KEY, elsewhere) == evidence_payload(KEY, RECORD)


def test_the_signature_and_key_id_are_not_part_of_what_is_signed() -> None:
    signed = replace(RECORD, signature="c2ln", key_id="sha256:" + "00" * 32)
    assert evidence_payload(KEY, signed) == evidence_payload(KEY, RECORD)


@pytest.mark.parametrize("changed", [
    replace(RECORD, verdict=Verdict.PASSED),
    replace(RECORD, kind=EvidenceKind.ANALYSIS),
    replace(RECORD, agent="mallory"),
    replace(RECORD, recorded_at=AT + timedelta(microseconds=1)),
    replace(RECORD, artifact_digest=None),
    replace(RECORD, method=VerificationMethod.SIMULATION),
    replace(RECORD, independent=True),
    replace(RECORD, note="rig 4"),
], ids=["verdict", "kind", "agent", "time", "digest", "method", "independent", "note"])
def test_every_stated_field_changes_the_payload(changed: Evidence) -> None:
    assert evidence_payload(KEY, changed) != evidence_payload(KEY, RECORD)


@pytest.mark.parametrize("other", [
    (ItemId("SYS-2"), Relation.VERIFIED_BY, ItemId("TC-1")),
    (ItemId("SYS-1"), Relation.SATISFIED_BY, ItemId("TC-1")),
    (ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-2")),
], ids=["source", "relation", "target"])
def test_a_record_moved_to_another_link_has_another_payload(other: LinkKey) -> None:
    assert evidence_payload(other, RECORD) != evidence_payload(KEY, RECORD)


def test_a_record_without_a_signature_says_so() -> None:
    assert (RECORD.signature, RECORD.key_id) == (None, None)
