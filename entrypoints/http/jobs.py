"""Optimization and verification as background jobs, with status and artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.jobs import JobRunner
from edgedeploy.application.models import ModelBuilders, ModelQueries
from edgedeploy.application.optimization import OptimizeRequest, VerifyRegisteredModel
from edgedeploy.application.optimization.progress import Progress
from edgedeploy.application.ports.optimization import ModelSource
from edgedeploy.application.traceability import EvidenceFiles
from edgedeploy.domain.identity import Permission, Principal
from edgedeploy.domain.models import ModelRef
from edgedeploy.entrypoints.http.auth import guarded
from edgedeploy.entrypoints.http.dependencies import OptimizerFor
from edgedeploy.entrypoints.http.dto import view
from edgedeploy.entrypoints.http.dto.common import DigestPath, ModelVersionPath
from edgedeploy.entrypoints.http.dto.optimization import JobAcceptedView, JobView, OptimizeCreate
from edgedeploy.entrypoints.http.problems import problem_responses

BAD_VERSION = "The model version is not of the form ``name@version``."
OPTIMIZE_EXAMPLE = Example(
    summary="Quantize a checkpoint within half a point of accuracy",
    value={"source": "/srv/models/aeb.pt", "calibration": "/srv/data/calibration.npz",
           "module": "digits-cnn-small", "budget": 0.5, "backend": "onnxruntime",
           "device": "cpu"})


def _accepted(job_id: str, status: str) -> Response[JobAcceptedView]:
    url = f"/api/v1/jobs/{job_id}"
    return Response(view({"job_id": job_id, "status": status, "status_url": url},
                         JobAcceptedView),
                    status_code=202, headers={"Location": url})


class JobsController(Controller):
    """Start long-running work and follow it."""

    path = "/api/v1"
    tags = ["optimization"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post("/models/{ver:str}/optimize", sync_to_thread=True, status_code=202,
          summary="Optimize and register a model", **guarded(Permission.OPTIMIZE),
          responses=problem_responses(400, 413, 415, 422, s422=BAD_VERSION))
    def optimize(
        self,
        ver: ModelVersionPath,
        data: Annotated[OptimizeCreate, Body(examples=[OPTIMIZE_EXAMPLE])],
        jobs: NamedDependency[JobRunner],
        optimizer_for: NamedDependency[OptimizerFor],
        model_queries: NamedDependency[ModelQueries],
        model_builders: NamedDependency[ModelBuilders],
        optimized_root: NamedDependency[Path],
        principal: NamedDependency[Principal],
    ) -> Response[JobAcceptedView]:
        """Quantize and register ``ver``: 202 with the job; follow it at ``/jobs/{id}``.

        The work takes minutes, so it runs as a job; its plan, artifacts and timings appear
        in the job's result, and the model is registered only when every step passed.
        """
        ref = ModelRef.parse(ver)
        # A remote caller names a builder from the allow-list, never code to import.
        module = model_builders.resolve(data.module) if data.module is not None else None
        for label, path in (("source", data.source), ("calibration", data.calibration)):
            if not Path(path).is_file():
                raise InvalidInput(f"{label} '{path}' is not a file on the server")
        if model_queries.find(ref) is not None:
            raise InvalidInput(f"{ref} is already registered; choose a new version")
        out = optimized_root / f"{ref.name}-{ref.version}"
        request = OptimizeRequest(source=ModelSource(data.source, module),
                                  calibration=data.calibration, output_dir=str(out),
                                  budget=data.budget, device=data.device,
                                  qat_epochs=data.qat_epochs)
        use_case = optimizer_for(data.backend)

        def work(progress: Progress) -> dict[str, Any]:
            release = use_case(request, ref, principal.name, progress)
            return {"model": str(release.model.ref), "digest": release.model.digest,
                    "plan": release.result.plan.to_dict(),
                    "artifacts": {name: f"/api/v1/jobs/artifacts/{digest}"
                                  for name, digest in release.result.digests.items()},
                    "timings": release.result.timings}

        job = jobs.submit("optimize", str(ref), work)
        return _accepted(job.id, job.status.value)

    @post("/models/{ver:str}/verify", sync_to_thread=True, status_code=202,
          summary="Verify a registered model", **guarded(Permission.VERIFY_MODEL),
          responses=problem_responses(400, 415, 422, s422=BAD_VERSION))
    def verify(self, ver: ModelVersionPath, jobs: NamedDependency[JobRunner],
               verify_registered: NamedDependency[VerifyRegisteredModel],
               principal: NamedDependency[Principal]) -> Response[JobAcceptedView]:
        """Verify a registered version on the deployed runtime: 202 with the job.

        The report (equivalence, latency, memory) is stored as evidence and linked into the
        trace, where the release readiness check looks for it.
        """
        ref = ModelRef.parse(ver)

        def work(progress: Progress) -> dict[str, Any]:
            result = verify_registered(ref, principal.name, progress=progress)
            return {"model": str(ref), "passed": result.passed, "report": result.report,
                    "report_url": f"/api/v1/jobs/artifacts/{result.report_digest}"}

        job = jobs.submit("verify", str(ref), work)
        return _accepted(job.id, job.status.value)

    @get("/jobs/{job_id:str}", sync_to_thread=False, summary="Job status",
         **guarded(Permission.READ),
         responses=problem_responses(400, 404, s404="No such job (jobs are kept until the "
                                                    "server restarts)."))
    def job(self, job_id: FromPath[str], jobs: NamedDependency[JobRunner]) -> JobView:
        """A job's status and progress per stage, with its result or error once finished."""
        return view(jobs.get(job_id), JobView)

    @get("/jobs/artifacts/{digest:str}", sync_to_thread=True,
         media_type="application/octet-stream", summary="Download evidence",
         **guarded(Permission.READ),
         responses=problem_responses(400, 404, s404="Nothing is stored under this digest."))
    def artifact(
        self,
        digest: DigestPath,
        evidence_files: NamedDependency[EvidenceFiles],
    ) -> Response[bytes]:
        """A stored artifact or report by its digest (``sha256:<hex>``), byte for byte."""
        return Response(evidence_files.fetch(digest), media_type="application/octet-stream")
