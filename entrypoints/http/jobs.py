"""Optimization and verification as background jobs, with status and artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.jobs import JobRunner
from edgedeploy.application.optimization import OptimizeRequest
from edgedeploy.application.optimization.progress import Progress
from edgedeploy.application.ports.optimization import ModelSource
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.models import ModelRef
from edgedeploy.entrypoints.http.dto import JobAcceptedView, JobView, OptimizeCreate, view
from edgedeploy.entrypoints.http.state import container_of


def _jobs(state: State) -> JobRunner:
    runner: JobRunner = state.jobs
    return runner


def _accepted(job_id: str, status: str) -> Response[JobAcceptedView]:
    url = f"/api/v1/jobs/{job_id}"
    return Response(JobAcceptedView(job_id=job_id, status=status, status_url=url),
                    status_code=202, headers={"Location": url})


class JobsController(Controller):
    """Start long-running work and follow it."""

    path = "/api/v1"
    tags = ["optimization"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post("/models/{ver:str}/optimize", sync_to_thread=True, status_code=202)
    def optimize(self, state: State, ver: FromPath[str],
                 data: OptimizeCreate) -> Response[JobAcceptedView]:
        """Quantize and register ``ver``: 202 with the job; follow it at ``/jobs/{id}``."""
        container = container_of(state)
        ref = ModelRef.parse(ver)
        for label, path in (("source", data.source), ("calibration", data.calibration)):
            if not Path(path).is_file():
                raise InvalidInput(f"{label} '{path}' is not a file on the server")
        with container.uow() as uow:
            if uow.models.get(ref) is not None:
                raise InvalidInput(f"{ref} is already registered; choose a new version")
        backend = container.backends().get(data.backend)
        out = container.settings().home_dir / "optimized" / f"{ref.name}-{ref.version}"
        request = OptimizeRequest(source=ModelSource(data.source, data.module),
                                  calibration=data.calibration, output_dir=str(out),
                                  budget=data.budget, device=data.device,
                                  qat_epochs=data.qat_epochs)
        use_case = container.optimize_and_register(
            optimize=container.optimize_model(runtime=backend))
        actor = container.config.actor()

        def work(progress: Progress) -> dict[str, Any]:
            release = use_case(request, ref, actor, progress)
            return {"model": str(release.model.ref), "digest": release.model.digest,
                    "plan": release.result.plan.to_dict(),
                    "artifacts": {name: f"/api/v1/jobs/artifacts/{digest}"
                                  for name, digest in release.result.digests.items()},
                    "timings": release.result.timings}

        job = _jobs(state).submit("optimize", str(ref), work)
        return _accepted(job.id, job.status.value)

    @post("/models/{ver:str}/verify", sync_to_thread=True, status_code=202)
    def verify(self, state: State, ver: FromPath[str]) -> Response[JobAcceptedView]:
        """Verify a registered version on the deployed runtime: 202 with the job."""
        container = container_of(state)
        ref = ModelRef.parse(ver)
        use_case = container.verify_registered()
        actor = container.config.actor()

        def work(progress: Progress) -> dict[str, Any]:
            result = use_case(ref, actor, progress=progress)
            return {"model": str(ref), "passed": result.passed, "report": result.report,
                    "report_url": f"/api/v1/jobs/artifacts/{result.report_digest}"}

        job = _jobs(state).submit("verify", str(ref), work)
        return _accepted(job.id, job.status.value)

    @get("/jobs/{job_id:str}", sync_to_thread=False)
    def job(self, state: State, job_id: FromPath[str]) -> JobView:
        """A job's status and progress (200), or 404."""
        return view(_jobs(state).get(job_id), JobView)  # type: ignore[no-any-return]

    @get("/jobs/artifacts/{digest:str}", sync_to_thread=True, media_type="application/octet-stream")
    def artifact(self, state: State, digest: FromPath[str]) -> Response[bytes]:
        """A stored artifact or report by its digest (``sha256:<hex>``)."""
        evidence = container_of(state).evidence()
        if not evidence.exists(digest):
            raise NotFound(f"no artifact stored under {digest}", code="ARTIFACT_NOT_FOUND")
        return Response(evidence.get(digest), media_type="application/octet-stream")
