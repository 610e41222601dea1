"""DTOs of requirements, trace links, artifacts, the matrix, the gate and readiness."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from edgedeploy.application.ports.reporting import TraceMatrix
from edgedeploy.domain.requirements import ArtifactKind, Requirement, RequirementLevel
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import EvidenceKind, Relation, Verdict, VerificationMethod
from edgedeploy.entrypoints.http.dto.common import GapView, Id, Text

# --- input ----------------------------------------------------------------------------------


class EvidenceCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Evidence to record on a link: what it is and its outcome.

    Who vouches for it is the authenticated caller, never a name in the body.
    """

    kind: EvidenceKind = EvidenceKind.TEST_RESULT
    verdict: Verdict
    method: VerificationMethod | None = None
    independent: bool = False
    artifact_digest: str | None = None
    note: Text = ""


class TraceLinkCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A link to create, or evidence to add to an existing one."""

    source: Id
    relation: Relation
    target: Id
    evidence: EvidenceCreate | None = None


class ReviewCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A passed review of a link by the caller; a suspect link is cleared by it."""

    source: Id
    relation: Relation
    target: Id
    independent: bool = False
    note: Text = ""


class RecordedKind(enum.StrEnum):
    """Artifacts recorded directly; model versions are registered with their bytes instead."""

    TEST = "test"
    DATASET = "dataset"
    DEPLOYMENT = "deployment"


class ArtifactCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A test, dataset or deployment to record in the trace graph.

    ``content`` (base64 in JSON) is stored as evidence and the artifact is fixed by its
    SHA-256, so a later change to the file shows up as a different digest.
    """

    id: Id
    kind: RecordedKind
    title: Text = ""
    content: bytes | None = None


class ExportFormat(enum.StrEnum):
    """Exchange formats: ReqIF for requirement tools, RDF serialisations for the whole graph."""

    REQIF = "reqif"
    TURTLE = "turtle"
    JSON_LD = "json-ld"
    N_TRIPLES = "n-triples"

    @property
    def media_type(self) -> str:
        """The media type a client saves or parses the export as."""
        return {ExportFormat.REQIF: "application/xml", ExportFormat.TURTLE: "text/turtle",
                ExportFormat.JSON_LD: "application/ld+json",
                ExportFormat.N_TRIPLES: "application/n-triples"}[self]


# --- output ---------------------------------------------------------------------------------


class EvidenceView(msgspec.Struct, kw_only=True):
    """Evidence on a link."""

    kind: EvidenceKind
    verdict: Verdict
    agent: str
    recorded_at: datetime
    artifact_digest: str | None
    method: VerificationMethod | None
    independent: bool
    note: str


class TraceLinkView(msgspec.Struct, kw_only=True):
    """A link with its evidence; ``suspect`` links need a new review before they count."""

    source: str
    relation: Relation
    target: str
    suspect: bool
    evidence: list[EvidenceView]


class ArtifactView(msgspec.Struct, kw_only=True):
    """A recorded work product."""

    id: str
    kind: ArtifactKind
    title: str
    digest: str | None


class RequirementView(msgspec.Struct, kw_only=True):
    """One requirement as imported."""

    id: str
    title: str
    asil: ASIL
    level: RequirementLevel
    text: str
    status: str
    version: int
    parent: str | None
    decomposition: str | None
    attributes: list[tuple[str, str]]


class RequirementListView(msgspec.Struct, kw_only=True):
    """Requirements in import order."""

    requirements: list[RequirementView]
    count: int


class GateReportView(msgspec.Struct, kw_only=True):
    """The traceability verdict for a model version."""

    model: str
    passed: bool
    score: float
    gaps: list[GapView]
    scope: list[str]
    checks: int
    checks_met: int
    checked_at: datetime
    audit_sequence: int | None


class ReadinessCheckView(msgspec.Struct, kw_only=True):
    """One line of the readiness checklist."""

    name: str
    passed: bool
    detail: str


class ReadinessView(msgspec.Struct, kw_only=True):
    """The readiness checklist of a model version."""

    model: str
    ready: bool
    checks: list[ReadinessCheckView]


class DiagnosticView(msgspec.Struct, kw_only=True):
    """A warning raised while importing."""

    location: str
    message: str
    item: str | None
    severity: str


class ImportResultView(msgspec.Struct, kw_only=True):
    """What an import changed."""

    source: str
    created: list[str]
    updated: list[str]
    unchanged: int
    links_added: int
    suspect_links: int
    diagnostics: list[DiagnosticView]


class ImpactView(msgspec.Struct, kw_only=True):
    """Everything a change to ``root`` affects."""

    root: str
    requirements: list[str]
    tests: list[str]
    datasets: list[str]
    models: list[str]
    deployments: list[str]
    links: int
    total: int


class TraceDirection(enum.StrEnum):
    """Which way a trace walks the graph."""

    FORWARD = "forward"
    BACKWARD = "backward"


class TraceView(msgspec.Struct, kw_only=True):
    """Items reached by a forward or backward trace, and the links walked."""

    root: str
    direction: TraceDirection
    items: list[str]
    links: list[tuple[str, Relation, str]]


class MatrixRowView(msgspec.Struct, kw_only=True):
    """One requirement's line in the traceability matrix."""

    requirement: RequirementView
    parents: list[str]
    children: list[str]
    realized_by: list[str]
    verified_by: list[tuple[str, str]]
    reviews: list[str]
    suspect_links: int
    gaps: list[GapView]


class TraceMatrixView(msgspec.Struct, kw_only=True):
    """The whole matrix with its compliance score."""

    title: str
    generated_at: datetime
    score: float
    gap_count: int
    rows: list[MatrixRowView]


# --- conversions ----------------------------------------------------------------------------


def requirement_data(requirement: Requirement) -> dict[str, Any]:
    """A requirement as the plain data of :class:`RequirementView`.

    The ASIL decomposition is shown as its ISO 26262-9 notation (``B(D)``), the way
    requirement documents write it.
    """
    raw: dict[str, Any] = msgspec.to_builtins(requirement, enc_hook=str)
    raw["decomposition"] = (str(requirement.decomposition)
                            if requirement.decomposition is not None else None)
    return raw


def requirement_view(requirement: Requirement) -> RequirementView:
    """The DTO of one requirement."""
    return msgspec.convert(requirement_data(requirement), RequirementView, strict=False)


def matrix_view(matrix: TraceMatrix) -> TraceMatrixView:
    """The DTO of the whole matrix."""
    rows = []
    for row in matrix.rows:
        raw: dict[str, Any] = msgspec.to_builtins(row, enc_hook=str)
        raw["requirement"] = requirement_data(row.requirement)
        rows.append(raw)
    return msgspec.convert({"title": matrix.title, "generated_at": matrix.generated_at,
                            "score": matrix.score, "gap_count": matrix.gap_count,
                            "rows": rows}, TraceMatrixView, strict=False)


__all__ = [
    "ArtifactCreate", "ArtifactView", "DiagnosticView", "EvidenceCreate", "EvidenceView",
    "ExportFormat", "GateReportView", "ImpactView", "ImportResultView",
    "MatrixRowView", "ReadinessCheckView", "ReadinessView", "RecordedKind",
    "RequirementListView", "RequirementView", "ReviewCreate", "TraceDirection",
    "TraceLinkCreate", "TraceLinkView", "TraceMatrixView", "TraceView", "matrix_view",
    "requirement_data", "requirement_view",
]
