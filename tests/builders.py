"""Builders for trace graphs used across unit, acceptance and demo-like tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from edgedeploy.domain.identity import Principal, Role
from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    Requirement,
    RequirementLevel,
)
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    Relation,
    TraceLink,
    Verdict,
    VerificationMethod,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def req(rid: str, asil: ASIL = ASIL.C, level: RequirementLevel = RequirementLevel.SYSTEM,
        text: str = "", **kw: object) -> Requirement:
    return Requirement(ItemId(rid), title=f"Requirement {rid}", asil=asil, level=level,
                       text=text or f"The system shall satisfy {rid}.", **kw)  # type: ignore[arg-type]


def art(aid: str, kind: ArtifactKind, digest: str | None = None) -> Artifact:
    return Artifact(ItemId(aid), kind, title=aid, digest=digest)


def result(verdict: Verdict = Verdict.PASSED, method: VerificationMethod = VerificationMethod.TEST,
           at: int = 0, agent: str = "ci") -> Evidence:
    return Evidence(EvidenceKind.TEST_RESULT, verdict, agent, T0 + timedelta(minutes=at),
                    method=method)


def review(agent: str = "a.reviewer", independent: bool = False, at: int = 0) -> Evidence:
    return Evidence(EvidenceKind.REVIEW, Verdict.PASSED, agent, T0 + timedelta(minutes=at),
                    independent=independent)


def link(source: str, relation: Relation, target: str, *evidence: Evidence,
         suspect: bool = False) -> TraceLink:
    return TraceLink(ItemId(source), relation, ItemId(target), tuple(evidence), suspect)


def person(name: str, *roles: Role, unit: str = "") -> Principal:
    """An authenticated principal holding ``roles``."""
    return Principal(name, frozenset(roles), unit=unit)


ENGINEER = person("e.engineer", Role.ENGINEER, unit="development/perception")
CI = person("ci", Role.ENGINEER, unit="development/pipeline")
REVIEWER = person("a.reviewer", Role.SAFETY_REVIEWER, unit="safety/assessment")
STARTER = person("alice", Role.RELEASE_MANAGER, unit="release")
MANAGER = person("bob", Role.RELEASE_MANAGER, unit="release")
SECOND_MANAGER = person("dana", Role.RELEASE_MANAGER, unit="release")
OPERATOR = person("carol", Role.RELEASE_MANAGER, unit="operations")
