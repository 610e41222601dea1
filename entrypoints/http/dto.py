"""msgspec DTOs of the HTTP API: ``…Create`` for input, ``…View`` for output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class EvidenceCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Evidence to record on a link."""

    kind: str = "test-result"
    verdict: str = "passed"
    agent: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    method: str | None = None
    independent: bool = False
    artifact_digest: str | None = None
    note: Annotated[str, msgspec.Meta(max_length=4000)] = ""


class TraceLinkCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A link to create, or evidence to add to an existing one."""

    source: Id
    relation: str
    target: Id
    evidence: EvidenceCreate | None = None


class EvidenceView(msgspec.Struct, kw_only=True):
    """Evidence on a link."""

    kind: str
    verdict: str
    agent: str
    recorded_at: datetime
    artifact_digest: str | None
    method: str | None
    independent: bool
    note: str


class TraceLinkView(msgspec.Struct, kw_only=True):
    """A link with its evidence."""

    source: str
    relation: str
    target: str
    suspect: bool
    evidence: list[EvidenceView]


class GapView(msgspec.Struct, kw_only=True):
    """One gap in a trace."""

    item: str
    code: str
    asil: str
    message: str


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


class TraceView(msgspec.Struct, kw_only=True):
    """Items reached by a forward or backward trace."""

    root: str
    direction: str
    items: list[str]
    links: list[list[str]]


def view(value: Any, cls: type[Any], **extra: Any) -> Any:
    """Convert a domain/application result into its DTO (``extra`` adds derived fields)."""
    raw = msgspec.to_builtins(value)
    raw.update(extra)
    return msgspec.convert(raw, cls, strict=False)


class ProblemView(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    instance: str
    detail: str | None = None
    gaps: list[GapView] | None = None


class OptimizeCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Start an optimization of a PyTorch model (paths are on the server)."""

    source: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    calibration: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    module: str | None = None
    budget: Annotated[float, msgspec.Meta(ge=0, le=100)] = 0.5
    backend: str = "onnxruntime"
    device: str = "cpu"
    qat_epochs: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0


class JobAcceptedView(msgspec.Struct, kw_only=True):
    """A job was queued; poll ``status_url``."""

    job_id: str
    status: str
    status_url: str


class JobView(msgspec.Struct, kw_only=True):
    """A job's status, progress per stage, and its result or error."""

    id: str
    kind: str
    subject: str
    status: str
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: dict[str, float]
    result: dict[str, Any] | None
    error: dict[str, str] | None


class DriftWindowCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A window of features, embeddings or prediction outcomes (null reads as missing)."""

    rows: Annotated[list[list[float | None]], msgspec.Meta(min_length=1, max_length=100_000)]


class DriftReferenceCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Reference rows to fit the detectors on."""

    rows: Annotated[list[list[float]], msgspec.Meta(min_length=1, max_length=1_000_000)]
    feature_names: list[str] | None = None
    categorical: list[str] = []
    kind: str = "features"


class DriftFeedbackCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A reviewer's judgement of a verdict."""

    feedback: str
    reviewer: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
