"""Trace evidence signed by the recording server, checked by ``audit verify`` and bundles.

A real home: SQLite, the on-disk Oxigraph trace store and the Ed25519 key file. Tampering goes
through the store's own SPARQL update, as someone with write access to its files could.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.identity import Principal, PrincipalKind, Role
from edgedeploy.domain.requirements import Artifact, ArtifactKind, ItemId, Requirement
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    Relation,
    TraceLink,
    Verdict,
    evidence_payload,
)
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.cli import cli
from edgedeploy.entrypoints.settings import Settings

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CI = Principal("ci", frozenset({Role.ENGINEER}), PrincipalKind.TOKEN)
SIGNED = (ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-1"))
LEGACY = (ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-2"))


@pytest.fixture(name="home")
def fx_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home whose trace holds one failed test result, recorded (and signed) by the server."""
    home = tmp_path / "home"
    monkeypatch.setenv("EDGEDEPLOY_HOME", str(home))
    monkeypatch.delenv("EDGEDEPLOY_TOKEN", raising=False)
    root = bootstrap(Settings(home=str(home), log_level="error"))
    try:
        root.trace_store().apply(TraceChange(items=[
            Requirement(ItemId("SYS-1"), "Brake for pedestrians", ASIL.B),
            Artifact(ItemId("TC-1"), ArtifactKind.TEST, "night pedestrians"),
            Artifact(ItemId("TC-2"), ArtifactKind.TEST, "day pedestrians")]))
        root.link_items()(*SIGNED, Evidence(EvidenceKind.TEST_RESULT, Verdict.FAILED, CI.name,
                                            NOW, note="3 of 40 missed"), actor=CI)
    finally:
        close_container(root)
    return home


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def sparql_update(home: Path, update: str) -> None:
    """Edit the trace store's files directly, around the server."""
    import pyoxigraph as ox

    store = ox.Store(str(home / "trace-store"))
    store.update(update)
    store.flush()
    del store


def flip_failed_to_passed(home: Path) -> None:
    sparql_update(home, """
        PREFIX trace: <https://edgedeploy.dev/ns/trace#>
        DELETE { ?s trace:linkState ?old } INSERT { ?s trace:linkState ?new }
        WHERE { ?s trace:linkState ?old . FILTER(CONTAINS(?old, '"tFt'))
                BIND(REPLACE(?old, '"tFt', '"tPt') AS ?new) }""")


def test_a_test_result_recorded_through_the_container_is_signed_with_its_key(
        home: Path) -> None:
    root = bootstrap(Settings(home=str(home), log_level="error"))
    try:
        link = root.trace_store().get_link(SIGNED)
        key = root.evidence_signer()
    finally:
        close_container(root)
    assert link is not None
    (record,) = link.evidence
    assert record.key_id == key.key_id
    assert record.signature is not None
    assert key.verify(evidence_payload(SIGNED, record), base64.b64decode(record.signature))
    assert not key.verify(evidence_payload(LEGACY, record), base64.b64decode(record.signature))


def test_verify_counts_the_signed_record_and_fails_naming_the_link_once_it_is_edited(
        home: Path) -> None:
    intact = run("audit", "verify", "--json")
    assert intact.exit_code == 0, intact.output
    assert json.loads(intact.output)["trace_evidence"] == {
        "records": 1, "signed": 1, "verified": 1, "unsigned": 0, "broken": 0}

    flip_failed_to_passed(home)
    root = bootstrap(Settings(home=str(home), log_level="error"))
    try:
        edited = root.trace_store().get_link(SIGNED)
    finally:
        close_container(root)
    assert edited is not None and edited.evidence[0].verdict is Verdict.PASSED

    broken = run("audit", "verify", "--json")
    assert broken.exit_code == 3, broken.output
    report = json.loads(broken.output)
    assert report["first_problem"]["chain"] == "trace:SYS-1 verified_by TC-1"
    assert report["first_problem"]["sequence"] == 1
    assert "does not verify" in report["first_problem"]["problem"]
    assert report["trace_evidence"]["broken"] == 1

    human = run("audit", "verify")
    assert human.exit_code == 3
    assert "trace:SYS-1 verified_by TC-1 entry 1" in human.output


def test_a_record_added_around_the_server_with_a_made_up_key_is_broken(home: Path) -> None:
    root = bootstrap(Settings(home=str(home), log_level="error"))
    try:
        forged = Evidence(EvidenceKind.REVIEW, Verdict.PASSED, "mallory", NOW, independent=True,
                          signature=base64.b64encode(b"x" * 64).decode(),
                          key_id="sha256:" + "0" * 64)
        root.trace_store().apply(TraceChange(links=[TraceLink(*LEGACY, evidence=(forged,))]))
    finally:
        close_container(root)

    result = run("audit", "verify", "--json")

    assert result.exit_code == 3
    first = json.loads(result.output)["first_problem"]
    assert first["chain"] == "trace:SYS-1 verified_by TC-2"
    assert "not a known key" in first["problem"]


def test_unsigned_legacy_records_are_reported_as_unsigned_not_broken(home: Path) -> None:
    root = bootstrap(Settings(home=str(home), log_level="error"))
    try:
        legacy = Evidence(EvidenceKind.TEST_RESULT, Verdict.FAILED, "ci", NOW)
        root.trace_store().apply(TraceChange(links=[TraceLink(*LEGACY, evidence=(legacy,))]))
    finally:
        close_container(root)

    result = run("audit", "verify", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["trace_evidence"] == {
        "records": 2, "signed": 1, "verified": 1, "unsigned": 1, "broken": 0}
    assert report["warnings"] == [
        "trace:SYS-1 verified_by TC-2 record 1: unsigned (recorded before evidence was "
        "signed, or written around the server)"]
    human = run("audit", "verify")
    assert human.exit_code == 0
    assert "trace:SYS-1 verified_by TC-2 record 1: unsigned" in human.output
    assert "1 of 2 trace evidence record(s) signed and verified" in human.output


def test_a_bundle_carries_the_signed_record_and_fails_offline_once_it_is_edited(
        home: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "evidence.jsonl"
    exported = run("audit", "export", str(bundle), "--json")
    assert exported.exit_code == 0, exported.output
    summary = json.loads(exported.output)
    assert summary["evidence_records"] == 1
    (home / "edgedeploy.db").unlink()  # offline: neither the database nor the trace store
    (home / "keys" / "signing.pem").unlink()

    verified = run("audit", "verify", "--bundle", str(bundle), "--key-id", summary["key_id"],
                   "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["trace_evidence"]["verified"] == 1

    lines = bundle.read_text().splitlines()
    edited = [line.replace('"verdict": "failed"', '"verdict": "passed"')
              if '"kind": "evidence"' in line else line for line in lines]
    assert edited != lines
    bundle.write_text("\n".join(edited) + "\n")
    broken = run("audit", "verify", "--bundle", str(bundle), "--json")

    assert broken.exit_code == 3, broken.output
    first = json.loads(broken.output)["first_problem"]
    assert (first["chain"], first["sequence"]) == ("trace:SYS-1 verified_by TC-1", 1)


def test_a_trace_store_held_by_a_running_server_is_a_warning_and_the_chains_still_verify(
        home: Path) -> None:
    import pyoxigraph as ox

    server = ox.Store(str(home / "trace-store"))  # holds the store's lock, as a server does
    try:
        result = run("audit", "verify", "--json")
    finally:
        del server

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["trace_evidence"] is None
    assert report["warnings"][0].startswith("trace evidence not checked: ")
    assert "already open" in report["warnings"][0]


def test_a_bundle_of_the_first_version_without_trace_evidence_still_verifies(
        home: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "evidence.jsonl"
    assert run("audit", "export", str(bundle)).exit_code == 0
    lines = [json.loads(line) for line in bundle.read_text().splitlines()]
    lines[0]["version"] = 1
    bundle.write_text("".join(json.dumps(line) + "\n" for line in lines
                              if line["kind"] != "evidence"))

    result = run("audit", "verify", "--bundle", str(bundle), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["trace_evidence"] is None


def test_a_bundle_missing_a_record_between_two_others_is_refused_as_malformed(
        home: Path, tmp_path: Path) -> None:
    root = bootstrap(Settings(home=str(home), log_level="error"))
    try:
        for note in ("retest 1", "retest 2"):
            root.link_items()(*SIGNED, Evidence(EvidenceKind.TEST_RESULT, Verdict.FAILED,
                                                CI.name, NOW, note=note), actor=CI)
    finally:
        close_container(root)
    bundle = tmp_path / "evidence.jsonl"
    assert run("audit", "export", str(bundle)).exit_code == 0
    bundle.write_text("".join(line + "\n" for line in bundle.read_text().splitlines()
                              if '"number": 2' not in line))

    result = run("audit", "verify", "--bundle", str(bundle))

    assert result.exit_code == 2, result.output
    assert "not numbered 1 to 2" in result.output
