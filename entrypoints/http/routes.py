"""Route handlers of the ``/api/v1`` HTTP API."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, QueryParameter

from edgedeploy.application.errors import InvalidInput
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import ItemId
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    Relation,
    Verdict,
    VerificationMethod,
)
from edgedeploy.entrypoints.http.dto import (
    GateReportView,
    ImpactView,
    ImportResultView,
    ProblemView,
    ReadinessView,
    TraceLinkCreate,
    TraceLinkView,
    TraceView,
    view,
)
from edgedeploy.entrypoints.http.state import container_of


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ProblemView, description=description,
                        media_type="application/problem+json", generate_examples=False)



class TraceabilityController(Controller):
    """Requirements, trace links, impact and the traceability gate."""

    path = "/api/v1"
    tags = ["traceability"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/models/{ver:str}/trace", sync_to_thread=True,
         responses={409: _problem("Trace gaps block the release; each gap is listed"),
                    404: _problem("The model version is not registered")})
    def model_trace(self, state: State, ver: FromPath[str]) -> GateReportView:
        """The traceability report of a model version: 200 complete, 409 with the gaps."""
        report = container_of(state).evaluate_gate()(ModelRef.parse(ver), record=False)
        report.raise_for_gaps()
        return view(report, GateReportView)  # type: ignore[no-any-return]

    @post("/models/{ver:str}/gate", sync_to_thread=True, status_code=200,
          responses={409: _problem("Trace gaps block the release; each gap is listed")})
    def gate(self, state: State, ver: FromPath[str]) -> GateReportView:
        """Evaluate and log the gate decision: 200 passed, 409 blocked with the gaps."""
        container = container_of(state)
        report = container.evaluate_gate()(ModelRef.parse(ver), container.config.actor())
        report.raise_for_gaps()
        return view(report, GateReportView)  # type: ignore[no-any-return]

    @get("/safety/readiness/{ver:str}", sync_to_thread=True)
    def readiness(self, state: State, ver: FromPath[str]) -> ReadinessView:
        """The readiness checklist of a model version."""
        result = container_of(state).assess_readiness()(ModelRef.parse(ver))
        return view(result, ReadinessView, ready=result.ready)  # type: ignore[no-any-return]

    @post("/requirements/import", status_code=200)
    async def import_requirements(
        self, state: State, request: Request[object, object, State],
        filename: Annotated[str, QueryParameter(min_length=1, max_length=255,
                                                description="Name of the file (its suffix "
                                                "selects the format: .reqif, .reqifz, .csv, "
                                                ".yaml)")],
    ) -> ImportResultView:
        """Import a requirements file sent as the raw request body; all or nothing."""
        body = await request.body()
        if not body:
            raise InvalidInput(f"{filename}: the request body is empty")
        result = await anyio.to_thread.run_sync(
            lambda: container_of(state).import_requirements()(filename, body))
        return view(result, ImportResultView)  # type: ignore[no-any-return]

    @post("/trace/links", sync_to_thread=True, status_code=201)
    def create_link(self, state: State, data: TraceLinkCreate) -> TraceLinkView:
        """Create a trace link, or add evidence to an existing one."""
        container = container_of(state)
        evidence = None
        if data.evidence is not None:
            e = data.evidence
            try:
                evidence = Evidence(EvidenceKind(e.kind), Verdict(e.verdict), e.agent,
                                    container.clock().now(), e.artifact_digest,
                                    VerificationMethod(e.method) if e.method else None,
                                    e.independent, e.note)
            except ValueError as exc:
                raise InvalidInput(f"evidence: {exc}") from exc
        link = container.link_items()(ItemId(data.source), Relation.parse(data.relation),
                                      ItemId(data.target), evidence)
        return view(link, TraceLinkView)  # type: ignore[no-any-return]

    @get("/trace/impact/{item_id:str}", sync_to_thread=True)
    def impact(self, state: State, item_id: FromPath[str]) -> ImpactView:
        """Every requirement, test, dataset, model and deployment a change would affect."""
        report = container_of(state).trace_queries().impact(ItemId(item_id))
        return view(report, ImpactView, total=report.total)  # type: ignore[no-any-return]

    @get("/trace/forward/{item_id:str}", sync_to_thread=True)
    def forward(self, state: State, item_id: FromPath[str]) -> TraceView:
        """Everything downstream of an item."""
        result = container_of(state).trace_queries().forward(ItemId(item_id))
        return view(result, TraceView, direction="forward")  # type: ignore[no-any-return]

    @get("/trace/backward/{item_id:str}", sync_to_thread=True)
    def backward(self, state: State, item_id: FromPath[str]) -> TraceView:
        """Everything upstream of an item."""
        result = container_of(state).trace_queries().backward(ItemId(item_id))
        return view(result, TraceView, direction="backward")  # type: ignore[no-any-return]
