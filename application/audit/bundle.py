"""Evidence bundles: the chains, their checkpoints, the trace evidence and the public key.

A bundle is JSON lines: a header (format, export time, key id, public key PEM), then one line
per chain entry, one per checkpoint and one per evidence record on the trace (with its
signature). An auditor verifies it without the database or the trace store; pinning the key
id (``--key-id``) guards against a bundle re-signed with another key. Version 1 bundles
(no trace evidence) still verify.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edgedeploy.application.audit.trace_evidence import check_trace_evidence
from edgedeploy.application.audit.verify import EvidenceVerification, verify_chains
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.signing import (
    EvidenceChains,
    EvidenceLedger,
    SignatureVerifier,
)
from edgedeploy.application.ports.system import Clock
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.domain.audit import AuditEntry, ChainProblem, Checkpoint
from edgedeploy.domain.requirements import ItemId
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    InvalidLink,
    LinkKey,
    Relation,
    TraceLink,
    Verdict,
    VerificationMethod,
)

BUNDLE_FORMAT = "edgedeploy-evidence-bundle"
BUNDLE_VERSION = 2
READABLE_VERSIONS = frozenset({1, 2})


@dataclass(frozen=True, slots=True)
class EvidenceBundle:
    """An exported bundle: its bytes and what it holds."""

    data: bytes
    chains: int
    entries: int
    checkpoints: int
    key_id: str
    evidence_records: int = 0


class ExportEvidenceBundle:
    """Write every chain, checkpoint, trace evidence record and the public key as JSON lines."""

    def __init__(self, ledger: EvidenceLedger, key: SignatureVerifier, clock: Clock, *,
                 trace: Callable[[], TraceStore] | None = None) -> None:
        self._ledger, self._key, self._clock = ledger, key, clock
        self._trace = trace

    def __call__(self) -> EvidenceBundle:
        """The bundle of the evidence as stored now.

        Raises:
            BackendUnavailable: the trace store cannot be opened (a bundle without the trace
                evidence would pass for a complete one).
        """
        chains = self._ledger.read()
        lines = [{"kind": "header", "format": BUNDLE_FORMAT, "version": BUNDLE_VERSION,
                  "exported_at": self._clock.now().isoformat(), "key_id": self._key.key_id,
                  "public_key_pem": self._key.public_key_pem.decode()}]
        count = 0
        for chain, entries in sorted(chains.entries.items()):
            for entry in entries:
                count += 1
                lines.append({"kind": "entry", "chain": chain, "sequence": entry.sequence,
                              "recorded_at": entry.recorded_at.isoformat(),
                              "subject": entry.subject, "action": entry.action,
                              "outcome": entry.outcome, "actor": entry.actor,
                              "details": entry.details, "previous_hash": entry.previous_hash,
                              "entry_hash": entry.entry_hash})
        for checkpoint in chains.checkpoints:
            lines.append({"kind": "checkpoint", "chain": checkpoint.chain,
                          "head_sequence": checkpoint.head_sequence,
                          "head_hash": checkpoint.head_hash,
                          "signed_at": checkpoint.signed_at.isoformat(),
                          "key_id": checkpoint.key_id,
                          "signature": base64.b64encode(checkpoint.signature).decode()})
        records = 0
        for link in [] if self._trace is None else self._trace().links():
            for number, evidence in enumerate(link.evidence, start=1):
                records += 1
                lines.append(_evidence_line(link, number, evidence))
        data = "".join(json.dumps(line, sort_keys=True, default=str) + "\n" for line in lines)
        return EvidenceBundle(data.encode(), len(chains.entries), count,
                              len(chains.checkpoints), self._key.key_id, records)


def _evidence_line(link: TraceLink, number: int, evidence: Evidence) -> dict[str, Any]:
    return {"kind": "evidence", "source": link.source, "relation": link.relation.value,
            "target": link.target, "number": number, "evidence_kind": evidence.kind.value,
            "verdict": evidence.verdict.value, "agent": evidence.agent,
            "recorded_at": evidence.recorded_at.isoformat(),
            "artifact_digest": evidence.artifact_digest,
            "method": None if evidence.method is None else evidence.method.value,
            "independent": evidence.independent, "note": evidence.note,
            "signature": evidence.signature, "key_id": evidence.key_id}


def _evidence_of(line: dict[str, Any]) -> tuple[LinkKey, int, Evidence]:
    key = (ItemId(str(line["source"])), Relation(line["relation"]), ItemId(str(line["target"])))
    method = line.get("method")
    digest, signature, key_id = line.get("artifact_digest"), line.get("signature"), \
        line.get("key_id")
    evidence = Evidence(
        kind=EvidenceKind(line["evidence_kind"]), verdict=Verdict(line["verdict"]),
        agent=str(line["agent"]), recorded_at=datetime.fromisoformat(line["recorded_at"]),
        artifact_digest=None if digest is None else str(digest),
        method=None if method is None else VerificationMethod(method),
        independent=bool(line.get("independent", False)), note=str(line.get("note", "")),
        signature=None if signature is None else str(signature),
        key_id=None if key_id is None else str(key_id))
    return key, int(line["number"]), evidence


class VerifyEvidenceBundle:
    """Verify a bundle offline, with the public key it carries (or only a pinned one)."""

    def __init__(self, verifier_from_pem: Callable[[bytes], SignatureVerifier]) -> None:
        self._verifier_from_pem = verifier_from_pem

    def __call__(self, data: bytes, *, key_ids: Iterable[str] = ()) -> EvidenceVerification:
        """Verify ``data``; ``key_ids``, when given, are the only keys trusted.

        Raises:
            InvalidInput: ``data`` is not an evidence bundle.
        """
        header, chains, records = _parse(data)
        verifier = self._verifier_from_pem(str(header.get("public_key_pem", "")).encode())
        pinned = set(key_ids)
        problems: list[ChainProblem] = []
        if header.get("key_id") != verifier.key_id:
            problems.append(ChainProblem("bundle", None, "the header's key id does not match "
                                                         "its public key"))
        if pinned and verifier.key_id not in pinned:
            problems.append(ChainProblem("bundle", None, f"the bundle's key {verifier.key_id} "
                                                         "is not the pinned key"))
        trusted = {} if pinned and verifier.key_id not in pinned else \
            {verifier.key_id: verifier}
        statuses, found = verify_chains(chains, trusted)
        trace = None
        if header.get("version") != 1:
            trace = check_trace_evidence(records, trusted)
            found += trace.problems
        return EvidenceVerification(tuple(statuses), tuple(problems + found), None,
                                    tuple(trusted), trace)


def _parse(data: bytes) -> tuple[dict[str, Any], EvidenceChains, list[TraceLink]]:
    entries: dict[str, list[AuditEntry]] = {}
    checkpoints: list[Checkpoint] = []
    evidence: dict[LinkKey, dict[int, Evidence]] = {}
    header: dict[str, Any] | None = None
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            kind = line["kind"]
            if kind == "header":
                if (line.get("format") != BUNDLE_FORMAT
                        or line.get("version") not in READABLE_VERSIONS):
                    raise ValueError(f"not a {BUNDLE_FORMAT} of version "
                                     f"{', '.join(map(str, sorted(READABLE_VERSIONS)))}")
                header = line
            elif kind == "entry":
                entries.setdefault(str(line["chain"]), []).append(AuditEntry(
                    int(line["sequence"]), datetime.fromisoformat(line["recorded_at"]),
                    line["subject"], line["action"], line["outcome"], line["actor"],
                    line["details"], line["previous_hash"], line["entry_hash"]))
            elif kind == "checkpoint":
                checkpoints.append(Checkpoint(
                    str(line["chain"]), int(line["head_sequence"]), str(line["head_hash"]),
                    datetime.fromisoformat(line["signed_at"]), str(line["key_id"]),
                    base64.b64decode(line["signature"], validate=True)))
            elif kind == "evidence":
                key, position, record = _evidence_of(line)
                if position in evidence.setdefault(key, {}):
                    raise ValueError(f"record {position} of {key[0]} {key[1].value} {key[2]} "
                                     "appears twice")
                evidence[key][position] = record
            else:
                raise ValueError(f"unknown kind {kind!r}")
        except (ValueError, KeyError, TypeError, binascii.Error, InvalidLink) as exc:
            raise InvalidInput(f"evidence bundle line {number} is malformed: {exc}",
                               code="BUNDLE_INVALID") from None
    if header is None:
        raise InvalidInput("not an evidence bundle: no header line", code="BUNDLE_INVALID")
    for chain in entries.values():
        chain.sort(key=lambda entry: entry.sequence)
    links = [_link(key, records) for key, records in sorted(evidence.items())]
    return header, EvidenceChains(entries, checkpoints), links


def _link(key: LinkKey, records: dict[int, Evidence]) -> TraceLink:
    """A link of the bundle with its records in order; a missing number breaks the order."""
    try:
        return TraceLink(*key, evidence=tuple(records[n] for n in range(1, len(records) + 1)))
    except KeyError:
        raise InvalidInput(f"evidence bundle: the records of {key[0]} {key[1].value} {key[2]} "
                           f"are not numbered 1 to {len(records)}", code="BUNDLE_INVALID") \
            from None
    except InvalidLink as exc:
        raise InvalidInput(f"evidence bundle: {exc.message}", code="BUNDLE_INVALID") from None
