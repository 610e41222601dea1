"""Signatures on the trace evidence: each record signed by the recording server, checked offline.

An evidence record (a test result, a review, an analysis, a report) is signed with the same
key as the chain checkpoints, over :func:`~edgedeploy.domain.traceability.evidence_payload`:
the record bound to its link. Whoever can write the trace store's files can still add or
edit a record, but cannot make it verify (ISO 26262-8 clause 10).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from edgedeploy.application.ports.signing import EvidenceSigner, SignatureVerifier
from edgedeploy.domain.audit import ChainProblem
from edgedeploy.domain.traceability import Evidence, LinkKey, TraceLink, evidence_payload


def sign_evidence(signer: EvidenceSigner, link_key: LinkKey, evidence: Evidence) -> Evidence:
    """``evidence`` with the signer's signature over it, bound to ``link_key``."""
    signed = signer.sign(evidence_payload(link_key, evidence))
    return replace(evidence, signature=base64.b64encode(signed.value).decode(),
                   key_id=signed.key_id)


def trace_chain(link_key: LinkKey) -> str:
    """The name findings about one link's evidence carry: ``trace:<source> <relation> <target>``."""
    source, relation, target = link_key
    return f"trace:{source} {relation.value} {target}"


def _describe(evidence: Evidence) -> str:
    return (f"the {evidence.kind.value} '{evidence.verdict.value}' recorded by "
            f"{evidence.agent} at {evidence.recorded_at.isoformat()}")


def evidence_problem(link_key: LinkKey, number: int, evidence: Evidence,
                     verifiers: Mapping[str, SignatureVerifier]) -> ChainProblem | None:
    """What is wrong with the signature of record ``number`` (from 1) on a link, if anything.

    An unsigned record is no problem here (see :class:`TraceEvidenceReport`).
    """
    if evidence.signature is None and evidence.key_id is None:
        return None
    chain = trace_chain(link_key)
    if evidence.signature is None or evidence.key_id is None:
        return ChainProblem(chain, number, f"{_describe(evidence)} carries half a signature "
                                           "(a signature without its key id or the reverse)")
    verifier = verifiers.get(evidence.key_id)
    if verifier is None:
        return ChainProblem(chain, number, f"{_describe(evidence)} is signed with key "
                                           f"{evidence.key_id}, which is not a known key")
    try:
        raw = base64.b64decode(evidence.signature, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw or not verifier.verify(evidence_payload(link_key, evidence), raw):
        return ChainProblem(chain, number, f"{_describe(evidence)} has a signature that does "
                                           "not verify: it was forged or altered")
    return None


@dataclass(frozen=True, slots=True)
class TraceEvidenceReport:
    """Every evidence record on the trace, checked against the known keys.

    Unsigned records (written before evidence was signed, or by a store filled some other
    way) are listed as warnings, not breaks, so that older stores still verify; every signed
    record must verify.

    Attributes:
        records: evidence records checked.
        signed: of which carry a signature.
        verified: of which verify with a known key.
        unsigned: ``<chain> record <n>`` of each unsigned record.
        problems: one finding per record whose signature does not verify.
    """

    records: int
    signed: int
    verified: int
    unsigned: tuple[str, ...]
    problems: tuple[ChainProblem, ...]


def check_trace_evidence(links: Iterable[TraceLink],
                         verifiers: Mapping[str, SignatureVerifier]) -> TraceEvidenceReport:
    """Check the signature of every evidence record on ``links``."""
    records = signed = verified = 0
    unsigned: list[str] = []
    problems: list[ChainProblem] = []
    for link in links:
        for number, evidence in enumerate(link.evidence, start=1):
            records += 1
            if evidence.signature is None and evidence.key_id is None:
                unsigned.append(f"{trace_chain(link.key)} record {number}")
                continue
            signed += 1
            problem = evidence_problem(link.key, number, evidence, verifiers)
            if problem is None:
                verified += 1
            else:
                problems.append(problem)
    return TraceEvidenceReport(records, signed, verified, tuple(unsigned), tuple(problems))
