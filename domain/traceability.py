"""Trace links, the evidence they carry, and the rules for which links may exist."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from edgedeploy.domain.errors import Conflict, InvariantViolation, NotFound
from edgedeploy.domain.requirements import ItemId, ItemKind


class Relation(enum.StrEnum):
    """Typed, directed trace relations; every link points downstream (towards deployment)."""

    DERIVES = "derives"                # requirement -> derived requirement
    REFINES = "refines"                # requirement -> refining requirement
    SATISFIED_BY = "satisfied_by"      # requirement -> dataset or model
    VERIFIED_BY = "verified_by"        # requirement -> test
    IMPLEMENTED_BY = "implemented_by"  # requirement -> model version
    DEPLOYED_AS = "deployed_as"        # model version -> deployment

    @classmethod
    def parse(cls, text: str) -> Relation:
        """Read a relation name as users type it (``verified-by``, ``VerifiedBy``, …).

        Raises:
            InvalidLink: no relation has that name.
        """
        key = "".join(ch for ch in text.lower() if ch.isalpha())
        for relation in cls:
            if relation.value.replace("_", "") == key:
                return relation
        names = ", ".join(r.value for r in cls)
        raise InvalidLink(f"'{text}' is not a trace relation; expected one of {names}",
                          code="TRACE_RELATION_UNKNOWN")


DECOMPOSING = frozenset({Relation.DERIVES, Relation.REFINES})
REALIZING = frozenset({Relation.SATISFIED_BY, Relation.IMPLEMENTED_BY})

# Which item kinds each relation may connect (source kinds, target kinds).
LINK_RULES: dict[Relation, tuple[frozenset[ItemKind], frozenset[ItemKind]]] = {
    Relation.DERIVES: (frozenset({ItemKind.REQUIREMENT}), frozenset({ItemKind.REQUIREMENT})),
    Relation.REFINES: (frozenset({ItemKind.REQUIREMENT}), frozenset({ItemKind.REQUIREMENT})),
    Relation.SATISFIED_BY: (frozenset({ItemKind.REQUIREMENT}),
                            frozenset({ItemKind.DATASET, ItemKind.MODEL})),
    Relation.VERIFIED_BY: (frozenset({ItemKind.REQUIREMENT}), frozenset({ItemKind.TEST})),
    Relation.IMPLEMENTED_BY: (frozenset({ItemKind.REQUIREMENT}), frozenset({ItemKind.MODEL})),
    Relation.DEPLOYED_AS: (frozenset({ItemKind.MODEL}), frozenset({ItemKind.DEPLOYMENT})),
}


class InvalidLink(InvariantViolation):
    """A link connects kinds of item its relation does not allow, or an item to itself."""

    code = "TRACE_LINK_INVALID"


class DuplicateTraceLink(Conflict):
    """The same (source, relation, target) link already exists."""

    code = "TRACE_LINK_DUPLICATE"


class ItemNotFound(NotFound):
    """A trace item that was named does not exist."""

    code = "TRACE_ITEM_NOT_FOUND"


class LinkNotFound(NotFound):
    """A trace link that was named does not exist."""

    code = "TRACE_LINK_NOT_FOUND"


class Verdict(enum.StrEnum):
    """The outcome an evidence record states."""

    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"


class EvidenceKind(enum.StrEnum):
    """What an evidence record is: a test result, a review, an analysis, or a generated report."""

    TEST_RESULT = "test-result"
    REVIEW = "review"
    ANALYSIS = "analysis"
    REPORT = "report"


class VerificationMethod(enum.StrEnum):
    """Verification methods in the sense of ISO 26262-6/-8 (the D rule asks for two)."""

    TEST = "test"
    SIMULATION = "simulation"
    ANALYSIS = "analysis"
    INSPECTION = "inspection"
    FAULT_INJECTION = "fault-injection"
    FIELD_TEST = "field-test"
    BACK_TO_BACK = "back-to-back"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a link can be trusted: who recorded what, when, about which bytes (PROV-O).

    ``signature`` (base64) and ``key_id`` are the recording server's signature over
    :func:`evidence_payload` and the id of the key that made it; both are None on records
    written before evidence was signed.
    """

    kind: EvidenceKind
    verdict: Verdict
    agent: str
    recorded_at: datetime
    artifact_digest: str | None = None
    method: VerificationMethod | None = None
    independent: bool = False
    note: str = ""
    signature: str | None = None
    key_id: str | None = None

    def __post_init__(self) -> None:
        if not self.agent.strip():
            raise InvalidLink("evidence must name who recorded it", code="EVIDENCE_INVALID")
        if self.recorded_at.tzinfo is None:
            raise InvalidLink("evidence time must carry a time zone", code="EVIDENCE_INVALID")
        if self.kind is EvidenceKind.TEST_RESULT and self.method is None:
            object.__setattr__(self, "method", VerificationMethod.TEST)


LinkKey = tuple[ItemId, Relation, ItemId]


def evidence_payload(link_key: LinkKey, evidence: Evidence) -> bytes:
    """The bytes the recording server signs: one evidence record bound to its link.

    Canonical JSON (sorted keys, no spaces, UTF-8) of every field that states something, the
    time as UTC ISO 8601 with microseconds, so that any store or export that keeps the record's
    meaning gives the same bytes, and moving a record to another link breaks its signature
    (ISO 26262-8 clause 10).
    """
    source, relation, target = link_key
    fields = {
        "source": source, "relation": relation.value, "target": target,
        "kind": evidence.kind.value, "verdict": evidence.verdict.value,
        "agent": evidence.agent,
        "recorded_at": evidence.recorded_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "artifact_digest": evidence.artifact_digest,
        "method": None if evidence.method is None else evidence.method.value,
        "independent": evidence.independent, "note": evidence.note,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class TraceLink:
    """A typed, directed link with its evidence; ``suspect`` until re-reviewed after a change."""

    source: ItemId
    relation: Relation
    target: ItemId
    evidence: tuple[Evidence, ...] = field(default=())
    suspect: bool = False

    def __post_init__(self) -> None:
        if self.source == self.target:
            raise InvalidLink(f"a link cannot connect {self.source} to itself")

    @property
    def key(self) -> LinkKey:
        """Identity of a link: at most one link per (source, relation, target)."""
        return (self.source, self.relation, self.target)

    def with_evidence(self, evidence: Evidence) -> TraceLink:
        """This link with one more evidence record."""
        return replace(self, evidence=(*self.evidence, evidence))

    def reviewed(self, review: Evidence) -> TraceLink:
        """This link after a re-review: no longer suspect, with the review recorded."""
        if review.kind is not EvidenceKind.REVIEW:
            raise InvalidLink("only a review clears a suspect link", code="EVIDENCE_INVALID")
        return replace(self.with_evidence(review), suspect=False)

    def latest(self, kind: EvidenceKind) -> Evidence | None:
        """The most recent evidence of one kind, or None."""
        records = [e for e in self.evidence if e.kind is kind]
        return max(records, key=lambda e: e.recorded_at) if records else None


def check_link_kinds(link: TraceLink, source_kind: ItemKind, target_kind: ItemKind) -> None:
    """Refuse a link whose relation does not allow these item kinds.

    Raises:
        InvalidLink: naming the relation and what it allows.
    """
    sources, targets = LINK_RULES[link.relation]
    if source_kind not in sources or target_kind not in targets:
        allowed = (f"{'/'.join(sorted(k.value for k in sources))} -> "
                   f"{'/'.join(sorted(k.value for k in targets))}")
        raise InvalidLink(
            f"{link.source} ({source_kind}) {link.relation} {link.target} ({target_kind}) "
            f"is not allowed: {link.relation} links {allowed}")


def passing_verification(link: TraceLink) -> bool:
    """A verification link passes when its latest test result or analysis passed."""
    records = [e for e in link.evidence
               if e.kind in (EvidenceKind.TEST_RESULT, EvidenceKind.ANALYSIS)]
    if not records:
        return False
    return max(records, key=lambda e: e.recorded_at).verdict is Verdict.PASSED


def failing_verification(link: TraceLink) -> bool:
    """A verification link fails when its latest test result or analysis failed."""
    records = [e for e in link.evidence
               if e.kind in (EvidenceKind.TEST_RESULT, EvidenceKind.ANALYSIS)]
    return bool(records) and max(records, key=lambda e: e.recorded_at).verdict is Verdict.FAILED
