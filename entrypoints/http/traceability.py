"""Requirements, trace links, artifacts, impact, the matrix, exports and the traceability gate."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, FromQuery, QueryParameter

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.traceability import (
    AssessReadiness,
    BuildTraceMatrix,
    EvaluateGate,
    EvidenceFiles,
    ExportTraceGraph,
    ImportRequirements,
    LinkItems,
    ListRequirements,
    RecordArtifact,
    RenderTraceMatrix,
    TraceQueries,
)
from edgedeploy.domain.identity import Permission, Principal
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact, ArtifactKind, ItemId, RequirementLevel
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import Evidence, EvidenceKind, Verdict
from edgedeploy.entrypoints.http.auth import guarded
from edgedeploy.entrypoints.http.dependencies import Now
from edgedeploy.entrypoints.http.dto import view
from edgedeploy.entrypoints.http.dto.common import ModelVersionPath
from edgedeploy.entrypoints.http.dto.traceability import (
    ArtifactCreate,
    ArtifactView,
    ExportFormat,
    GateReportView,
    ImpactView,
    ImportResultView,
    ReadinessView,
    RequirementListView,
    ReviewCreate,
    TraceDirection,
    TraceLinkCreate,
    TraceLinkView,
    TraceMatrixView,
    TraceView,
    matrix_view,
    requirement_view,
)
from edgedeploy.entrypoints.http.media_types import (
    REQUIREMENT_FILES,
    accepts,
    file_response_operation,
    raw_body_operation,
)
from edgedeploy.entrypoints.http.problems import problem_responses

GAPS = "Trace gaps block the release; ``gaps`` lists each one."
UNREGISTERED = "The model version is not registered."
BAD_VERSION = "The model version is not of the form ``name@version``."

LINK_EXAMPLE = Example(
    summary="An ML requirement implemented by a model version, with a passed review",
    value={"source": "ML-AEB-001", "relation": "implemented_by",
           "target": "aeb-perception@1.0.0",
           "evidence": {"kind": "review", "verdict": "passed", "independent": True,
                        "note": "Checked against the FMEA"}})
REVIEW_EXAMPLE = Example(
    summary="An independent review of a verification link",
    value={"source": "SYS-AEB-001", "relation": "verified_by", "target": "TEST-AEB-001",
           "independent": True})
ARTIFACT_EXAMPLE = Example(
    summary="A test recorded with its report (base64)",
    value={"id": "TEST-AEB-001", "kind": "test", "title": "Braking distance on wet road",
           "content": "UEFTU0VEOiAxMjAvMTIwIHJ1bnM="})


class TraceabilityController(Controller):
    """Requirements, trace links, impact and the traceability gate."""

    path = "/api/v1"
    tags = ["traceability"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/models/{ver:str}/trace", **guarded(Permission.READ),
         sync_to_thread=True, summary="Trace report of a model",
         responses=problem_responses(400, 404, 409, 422, s404=UNREGISTERED, s409=GAPS,
                                     s422=BAD_VERSION))
    def model_trace(
        self,
        ver: ModelVersionPath,
        evaluate_gate: NamedDependency[EvaluateGate],
    ) -> GateReportView:
        """The traceability report of a model version: 200 when complete, 409 with the gaps.

        Read-only: nothing is written to the audit log (``POST …/gate`` records a decision).
        """
        report = evaluate_gate(ModelRef.parse(ver), record=False)
        report.raise_for_gaps()
        return view(report, GateReportView)

    @post("/models/{ver:str}/gate", sync_to_thread=True, status_code=200,
          summary="Record a gate decision", **guarded(Permission.VERIFY_MODEL),
          responses=problem_responses(400, 404, 409, 415, 422, s404=UNREGISTERED, s409=GAPS,
                                      s422=BAD_VERSION))
    def gate(self, ver: ModelVersionPath, evaluate_gate: NamedDependency[EvaluateGate],
             principal: NamedDependency[Principal]) -> GateReportView:
        """Evaluate the gate and log the decision: 200 passed, 409 blocked with the gaps.

        Every evaluation, passed or blocked, becomes an entry of the hash-chained audit log,
        so an auditor sees who asked for a release and what the trace was at that moment.
        """
        report = evaluate_gate(ModelRef.parse(ver), principal.name)
        report.raise_for_gaps()
        return view(report, GateReportView)

    @get("/safety/readiness/{ver:str}", **guarded(Permission.READ),
         sync_to_thread=True, summary="Readiness checklist",
         responses=problem_responses(400, 404, 422, s404=UNREGISTERED, s422=BAD_VERSION))
    def readiness(
        self,
        ver: ModelVersionPath,
        assess_readiness: NamedDependency[AssessReadiness],
    ) -> ReadinessView:
        """The readiness checklist of a model version: registered, trace complete, audit intact.

        200 for every registered version: an unready one is an answer, listed check by
        check; 404 for a version that is not registered.
        """
        result = assess_readiness(ModelRef.parse(ver))
        return view(result, ReadinessView, ready=result.ready)

    @get("/requirements", **guarded(Permission.READ),
         sync_to_thread=True, summary="List requirements",
         responses=problem_responses(400))
    def requirements(self, list_requirements: NamedDependency[ListRequirements],
                     level: FromQuery[RequirementLevel | None] = None,
                     asil: FromQuery[ASIL | None] = None) -> RequirementListView:
        """Every imported requirement in import order, optionally of one level or ASIL."""
        found = list_requirements(level, asil)
        return RequirementListView(requirements=[requirement_view(r) for r in found],
                                   count=len(found))

    @post("/requirements/import", status_code=200, summary="Import requirements",
          **guarded(Permission.IMPORT_REQUIREMENTS, **accepts(REQUIREMENT_FILES)),
          operation_class=raw_body_operation(
              REQUIREMENT_FILES, "The requirements file itself (ReqIF, ReqIFz, CSV or YAML)."),
          responses=problem_responses(
              400, 409, 413, 415, 422,
              s400="The file cannot be read, or the import was refused as a whole "
                   "(``IMPORT_REFUSED``); nothing was changed."))
    async def import_requirements(
        self,
        request: Request[object, object, State],
        import_requirements: NamedDependency[ImportRequirements],
        principal: NamedDependency[Principal],
        filename: Annotated[str, QueryParameter(
            min_length=1, max_length=255,
            description="Name of the file (its suffix selects the format: .reqif, .reqifz, "
                        ".csv, .yaml)")],
        strict: Annotated[bool, QueryParameter(
            description="Refuse the file if the import reports any diagnostic")] = False,
    ) -> ImportResultView:
        """Import a requirements file sent as the raw request body; all or nothing.

        Requirements merge by identifier: changed ones get a new version and the links below
        them become suspect until reviewed again.
        """
        body = await request.body()
        if not body:
            raise InvalidInput(f"{filename}: the request body is empty")
        result = await anyio.to_thread.run_sync(
            lambda: import_requirements(filename, body, actor=principal, strict=strict))
        return view(result, ImportResultView)

    @post("/trace/links", sync_to_thread=True, status_code=201, summary="Link two items",
          **guarded(Permission.RECORD_ARTIFACT, Permission.RECORD_TEST_RESULT,
                    Permission.REVIEW),
          responses=problem_responses(400, 404, 409, 413, 415, 422,
                                      s404="An end of the link is not in the trace graph.",
                                      s422="The relation cannot connect these kinds of item."))
    def create_link(
        self,
        data: Annotated[TraceLinkCreate, Body(examples=[LINK_EXAMPLE])],
        link_items: NamedDependency[LinkItems],
        now: NamedDependency[Now],
        principal: NamedDependency[Principal],
    ) -> TraceLinkView:
        """Create a trace link, or add evidence to an existing one.

        The caller vouches for the evidence and is recorded as its agent; the gate counts
        only links with the evidence their requirement's ASIL demands. A test result needs
        ``record-test-result`` (and, when passed, its report's digest), a review
        ``review`` (``independent-review`` and no part in the work when independent), a
        bare link ``record-artifact``.
        """
        evidence = None
        if data.evidence is not None:
            e = data.evidence
            evidence = Evidence(e.kind, e.verdict, principal.name, now(), e.artifact_digest,
                                e.method, e.independent, e.note)
        link = link_items(ItemId(data.source), data.relation, ItemId(data.target), evidence,
                          actor=principal)
        return view(link, TraceLinkView)

    @post("/trace/reviews", sync_to_thread=True, status_code=201, summary="Review a link",
          **guarded(Permission.REVIEW),
          responses=problem_responses(400, 404, 409, 413, 415, 422,
                                      s404="An end of the link is not in the trace graph."))
    def review(self, data: Annotated[ReviewCreate, Body(examples=[REVIEW_EXAMPLE])],
               link_items: NamedDependency[LinkItems], now: NamedDependency[Now],
               principal: NamedDependency[Principal]) -> TraceLinkView:
        """Record the caller's passed review of a link; a suspect link is cleared by it.

        ASIL D requirements need an independent reviewer (ISO 26262-2, confirmation
        measures): ``independent`` is accepted only from a principal with
        ``independent-review`` who recorded neither the linked items nor their evidence.
        """
        evidence = Evidence(EvidenceKind.REVIEW, Verdict.PASSED, principal.name, now(),
                            independent=data.independent, note=data.note)
        link = link_items(ItemId(data.source), data.relation, ItemId(data.target), evidence,
                          actor=principal)
        return view(link, TraceLinkView)

    @post("/trace/artifacts", sync_to_thread=True, status_code=201, summary="Record an artifact",
          **guarded(Permission.RECORD_ARTIFACT),
          responses=problem_responses(400, 409, 413, 415, 422,
                                      s409="The id is already recorded as another kind."))
    def record_artifact(self, data: Annotated[ArtifactCreate, Body(examples=[ARTIFACT_EXAMPLE])],
                        record_artifact: NamedDependency[RecordArtifact],
                        evidence_files: NamedDependency[EvidenceFiles],
                        principal: NamedDependency[Principal]) -> ArtifactView:
        """Record a test, dataset or deployment in the trace graph (again: updated by id).

        With ``content`` the bytes are kept as evidence and the artifact is fixed by their
        SHA-256, so the trace names exactly the report or data set that was used.
        """
        digest = evidence_files.store(data.content) if data.content is not None else None
        artifact = record_artifact(Artifact(ItemId(data.id), ArtifactKind(data.kind.value),
                                            title=data.title or data.id, digest=digest),
                                   actor=principal)
        return view(artifact, ArtifactView)

    @get("/trace/impact/{item_id:str}", **guarded(Permission.READ),
         sync_to_thread=True, summary="Change impact",
         responses=problem_responses(400, 404, s404="The item is not in the trace graph."))
    def impact(
        self,
        item_id: FromPath[str],
        trace_queries: NamedDependency[TraceQueries],
    ) -> ImpactView:
        """Every requirement, test, dataset, model and deployment a change would affect."""
        report = trace_queries.impact(ItemId(item_id))
        return view(report, ImpactView, total=report.total)

    @get("/trace/forward/{item_id:str}", **guarded(Permission.READ),
         sync_to_thread=True, summary="Forward trace",
         responses=problem_responses(400, 404, s404="The item is not in the trace graph."))
    def forward(
        self,
        item_id: FromPath[str],
        trace_queries: NamedDependency[TraceQueries],
    ) -> TraceView:
        """Everything downstream of an item, towards deployment."""
        result = trace_queries.forward(ItemId(item_id))
        return view(result, TraceView, direction=TraceDirection.FORWARD)

    @get("/trace/backward/{item_id:str}", **guarded(Permission.READ),
         sync_to_thread=True, summary="Backward trace",
         responses=problem_responses(400, 404, s404="The item is not in the trace graph."))
    def backward(
        self,
        item_id: FromPath[str],
        trace_queries: NamedDependency[TraceQueries],
    ) -> TraceView:
        """Everything upstream of an item, towards the system requirements."""
        result = trace_queries.backward(ItemId(item_id))
        return view(result, TraceView, direction=TraceDirection.BACKWARD)

    @get("/trace/matrix", **guarded(Permission.READ),
         sync_to_thread=True, summary="Traceability matrix")
    def matrix(self, build_matrix: NamedDependency[BuildTraceMatrix]) -> TraceMatrixView:
        """The traceability matrix: every requirement, its trace, its gaps, and the score."""
        return matrix_view(build_matrix())

    @get("/trace/matrix.csv", **guarded(Permission.READ),
         sync_to_thread=True, media_type="text/csv",
         summary="Traceability matrix as CSV")
    def matrix_csv(self, render_matrix: NamedDependency[RenderTraceMatrix]) -> Response[bytes]:
        """The matrix as a UTF-8 CSV file, one row per requirement, for spreadsheets."""
        return _attachment(render_matrix.csv(), "text/csv", "trace-matrix.csv")

    @get("/trace/matrix.html", **guarded(Permission.READ),
         sync_to_thread=True, media_type="text/html",
         summary="Traceability matrix as HTML")
    def matrix_html(self, render_matrix: NamedDependency[RenderTraceMatrix]) -> Response[bytes]:
        """The matrix as one self-contained HTML page, fit to attach to a release record."""
        return Response(render_matrix.html(), media_type="text/html")

    @get("/trace/export", **guarded(Permission.EXPORT),
         sync_to_thread=True, summary="Export the trace", responses=problem_responses(400),
         operation_class=file_response_operation(
             frozenset(f.media_type for f in ExportFormat),
             "The export, in the media type of the requested ``format``."))
    def export(self, export_trace: NamedDependency[ExportTraceGraph],
               fmt: Annotated[ExportFormat, QueryParameter(name="format",
                                                      description="The serialisation.")]
               = ExportFormat.REQIF) -> Response[bytes]:
        """Requirements and links as ReqIF for requirement tools, or the whole graph as RDF.

        ``format`` selects the serialisation; the response's media type follows it.
        """
        suffix = {ExportFormat.REQIF: "reqif", ExportFormat.TURTLE: "ttl",
                  ExportFormat.JSON_LD: "jsonld", ExportFormat.N_TRIPLES: "nt"}[fmt]
        return _attachment(export_trace(fmt.value), fmt.media_type, f"trace.{suffix}")


def _attachment(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
