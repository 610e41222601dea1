from dataclasses import replace
from datetime import UTC, datetime

import pytest

from edgedeploy.domain.audit import AuditChainBroken, next_entry, verify_chain
from edgedeploy.domain.models import DigestMismatch, InvalidModelVersion, ModelRef, ModelVersion

NOW = datetime(2026, 5, 1, tzinfo=UTC)
DIGEST = "sha256:" + "a" * 64


def chain(n: int):
    entries, last = [], None
    for i in range(n):
        last = next_entry(last, NOW, f"m@{i}", "trace-gate", "passed", "ci", {"i": i})
        entries.append(last)
    return entries


def test_an_intact_chain_verifies():
    assert verify_chain(chain(5)) == 5


def test_an_edited_entry_breaks_the_chain_at_that_entry():
    entries = chain(4)
    entries[2] = replace(entries[2], outcome="blocked")
    with pytest.raises(AuditChainBroken, match="entry 3 does not verify"):
        verify_chain(entries)


def test_a_removed_entry_is_detected():
    entries = chain(4)
    del entries[1]
    with pytest.raises(AuditChainBroken, match="entry 2 is missing"):
        verify_chain(entries)


def test_model_references_read_name_at_version():
    ref = ModelRef.parse("aeb-perception@1.2.0")
    assert (ref.name, ref.version, str(ref)) == ("aeb-perception", "1.2.0", "aeb-perception@1.2.0")
    with pytest.raises(InvalidModelVersion, match="NAME@VERSION"):
        ModelRef.parse("aeb-perception")
    with pytest.raises(InvalidModelVersion, match="model version"):
        ModelRef("aeb", "1 0")


def test_other_bytes_under_a_registered_version_are_refused():
    model = ModelVersion(ModelRef("aeb", "1"), DIGEST, 10, NOW, "ci")
    model.check_same_bytes(DIGEST)
    with pytest.raises(DigestMismatch, match="refusing different bytes"):
        model.check_same_bytes("sha256:" + "b" * 64)
