"""Trace graphs for the trace-store kit: one hand-written ASIL-D example and its evidence.

:func:`aeb_graph` holds every case the coverage facts distinguish, so a store that answers
like the domain's reference ``TraceGraph`` on it has met most of the port's subtleties.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    Requirement,
    RequirementLevel,
    TraceItem,
)
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    Relation,
    TraceLink,
    Verdict,
    VerificationMethod,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1))
DIGEST = "sha256:" + "ab" * 32


def at(minutes: int, tz: timezone = UTC) -> datetime:
    """A fixed instant ``minutes`` after T0, written in ``tz``."""
    return (T0 + timedelta(minutes=minutes)).astimezone(tz)


def result(verdict: Verdict, minutes: int, method: VerificationMethod | None = None,
           kind: EvidenceKind = EvidenceKind.TEST_RESULT) -> Evidence:
    """A test result (or another kind of record) at minute ``minutes`` on the rig's clock."""
    return Evidence(kind, verdict, "ci@hil-rig-3", at(minutes), artifact_digest=DIGEST,
                    method=method)


def review(minutes: int, *, independent: bool = False,
           verdict: Verdict = Verdict.PASSED) -> Evidence:
    """A review by a safety engineer, in CET, with a note that needs escaping."""
    return Evidence(EvidenceKind.REVIEW, verdict, "Jana Novák <safety>", at(minutes, CET),
                    independent=independent, note="checked \"all\" cases\nline 2")


def aeb_graph() -> tuple[list[TraceItem], list[TraceLink]]:
    """An ASIL-D emergency-braking requirement decomposed down to a deployed model.

    It holds every case the coverage facts distinguish: latest-wins evidence in both
    directions, an analysis without method, reviews with and without independence, a suspect
    link, a decomposition, an ASIL that is not inherited, and a requirement with no trace.
    """
    rid = ItemId
    items: list[TraceItem] = [
        Requirement(rid("SYS-1"), "Brake for pedestrians", ASIL.D,
                    text="<xhtml:div>Brake when a <b>pedestrian</b> &amp; TTC &lt; 1.2 s"
                         "</xhtml:div>",
                    level=RequirementLevel.SYSTEM, status="approved", version=3,
                    attributes=(("Owner", "safety"), ("ReqIF.ForeignID", "4711"),
                                ("Owner", "second value, kept in order"))),
        Requirement(rid("ML-1"), "Detect pedestrians", ASIL.B, level=RequirementLevel.ML,
                    decomposition=DecomposedAsil(ASIL.B, ASIL.D), parent=rid("SYS-1"),
                    position=1),
        Requirement(rid("ML-2"), "Monitor detector plausibility", ASIL.B,
                    level=RequirementLevel.ML, decomposition=DecomposedAsil(ASIL.B, ASIL.D),
                    parent=rid("SYS-1"), position=2, status="draft"),
        Requirement(rid("ML-3"), "Night-time recall", ASIL.A, level=RequirementLevel.ML,
                    text="Recall ≥ 0.97 at night — ünïcödé"),
        Requirement(rid("DS-1"), "Dataset covers night scenes", ASIL.QM,
                    level=RequirementLevel.DATASET),
        Requirement(rid("ORPHAN-1"), "Nobody traced me", ASIL.C),
        Artifact(rid("TC-1"), ArtifactKind.TEST, "HIL pedestrian test", recorded_by="hil.bench"),
        Artifact(rid("TC-2"), ArtifactKind.TEST, "Fault injection: camera dropout"),
        Artifact(rid("TC-3"), ArtifactKind.TEST, "Recall at night"),
        Artifact(rid("TC-4"), ArtifactKind.TEST),
        Artifact(rid("data/night#v2?x=1"), ArtifactKind.DATASET, "Night scenes",
                 digest=DIGEST, attributes=(("license", "internal"),), recorded_by="data.team"),
        Artifact(rid("aeb-detector@1.4.0"), ArtifactKind.MODEL, "AEB detector",
                 digest="sha256:" + "0f" * 32),
        Artifact(rid("ecu-front/slot-0"), ArtifactKind.DEPLOYMENT, "Front ECU slot 0"),
    ]
    links = [
        TraceLink(rid("SYS-1"), Relation.DERIVES, rid("ML-1"), (review(5, independent=True),)),
        TraceLink(rid("SYS-1"), Relation.DERIVES, rid("ML-2"), (review(6),)),
        TraceLink(rid("SYS-1"), Relation.REFINES, rid("ML-3")),
        TraceLink(rid("SYS-1"), Relation.VERIFIED_BY, rid("TC-1"), (
            result(Verdict.FAILED, 10), result(Verdict.PASSED, 20),
            review(25, independent=True))),
        TraceLink(rid("SYS-1"), Relation.VERIFIED_BY, rid("TC-2"), (
            result(Verdict.PASSED, 30, VerificationMethod.FAULT_INJECTION),)),
        TraceLink(rid("ML-1"), Relation.VERIFIED_BY, rid("TC-1"), (
            result(Verdict.PASSED, 10), result(Verdict.FAILED, 40))),
        TraceLink(rid("ML-1"), Relation.VERIFIED_BY, rid("TC-4"), (
            result(Verdict.PASSED, 40, kind=EvidenceKind.ANALYSIS),), suspect=True),
        TraceLink(rid("ML-1"), Relation.IMPLEMENTED_BY, rid("aeb-detector@1.4.0")),
        TraceLink(rid("ML-2"), Relation.SATISFIED_BY, rid("aeb-detector@1.4.0"), (
            Evidence(EvidenceKind.REPORT, Verdict.INCONCLUSIVE, "release-bot", at(50)),)),
        TraceLink(rid("ML-3"), Relation.VERIFIED_BY, rid("TC-3"), (
            result(Verdict.INCONCLUSIVE, 60),)),
        TraceLink(rid("ML-3"), Relation.DERIVES, rid("DS-1"),
                  (review(61, verdict=Verdict.FAILED),)),
        TraceLink(rid("DS-1"), Relation.SATISFIED_BY, rid("data/night#v2?x=1")),
        TraceLink(rid("aeb-detector@1.4.0"), Relation.DEPLOYED_AS, rid("ecu-front/slot-0")),
    ]
    return items, links
