"""DTOs of optimization and verification jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from edgedeploy.application.jobs import JobStatus

ServerPath = Annotated[str, msgspec.Meta(min_length=1, max_length=4096,
                                         description="A path on the server's file system.")]


class OptimizeCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Start an optimization of a PyTorch model (paths are on the server)."""

    source: ServerPath
    calibration: ServerPath
    module: Annotated[str, msgspec.Meta(
        max_length=200, description="For a bare state dict: the name of an installed model "
        "builder (entry-point group ``edgedeploy.model_builders``) or of one the server's "
        "settings allow; any other name is refused with 422.")] | None = None
    budget: Annotated[float, msgspec.Meta(ge=0, le=100)] = 0.5
    backend: str = ""
    device: str = "cpu"
    qat_epochs: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0


class JobAcceptedView(msgspec.Struct, kw_only=True):
    """A job was queued; poll ``status_url``."""

    job_id: str
    status: JobStatus
    status_url: str


class JobErrorView(msgspec.Struct, kw_only=True):
    """Why a job failed: the same stable code a synchronous call would have answered."""

    code: str
    detail: str


class JobView(msgspec.Struct, kw_only=True):
    """A job's status, progress per stage, and its result or error.

    ``result`` holds what the job produced: for ``optimize`` the registered model, its digest,
    the quantization plan, artifact links and timings; for ``verify`` the verdict and the link
    to the full report.
    """

    id: str
    kind: str
    subject: str
    status: JobStatus
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: dict[str, float]
    result: dict[str, Any] | None
    error: JobErrorView | None


__all__ = ["JobAcceptedView", "JobErrorView", "JobView", "OptimizeCreate"]
