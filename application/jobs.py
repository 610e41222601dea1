"""Long-running work (optimization, verification) run in the background with progress.

Jobs live in this process: an API server restart forgets their status, never their results,
which are in the evidence store and the registry by then.
"""

from __future__ import annotations

import enum
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from edgedeploy.application.optimization.progress import Progress
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.errors import DomainError, NotFound

log = structlog.get_logger(__name__)


class JobStatus(enum.StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobNotFound(NotFound):
    """No job has that id (or the server restarted since)."""

    code = "JOB_NOT_FOUND"


@dataclass(slots=True)
class Job:
    """A job's public state; ``result`` is plain data, ``error`` the failure's code and text."""

    id: str
    kind: str
    subject: str
    status: JobStatus
    submitted_at: datetime
    progress: dict[str, float] = field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None


class JobRunner:
    """Runs jobs on a small worker pool and keeps their status for polling."""

    def __init__(self, clock: Clock, workers: int = 1) -> None:
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, subject: str,
               work: Callable[[Progress], dict[str, Any]]) -> Job:
        """Queue ``work``; it receives a progress callback and returns plain-data results."""
        job = Job(uuid.uuid4().hex, kind, subject, JobStatus.QUEUED, self._clock.now())
        with self._lock:
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, work)
        return self.get(job.id)

    def get(self, job_id: str) -> Job:
        """A snapshot of a job.

        Raises:
            JobNotFound: unknown id.
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise JobNotFound(f"no job '{job_id}' (job status is kept until the server "
                                  "restarts)")
            return Job(job.id, job.kind, job.subject, job.status, job.submitted_at,
                       dict(job.progress), job.started_at, job.finished_at, job.result,
                       job.error)

    def _run(self, job: Job, work: Callable[[Progress], dict[str, Any]]) -> None:
        def progress(stage: str, fraction: float) -> None:
            with self._lock:
                job.progress[stage] = round(fraction, 4)

        with self._lock:
            job.status, job.started_at = JobStatus.RUNNING, self._clock.now()
        try:
            result = work(progress)
        except Exception as exc:
            code = exc.code if isinstance(exc, DomainError) else getattr(exc, "code", None)
            with self._lock:
                job.status, job.finished_at = JobStatus.FAILED, self._clock.now()
                job.error = {"code": str(code or "INTERNAL_ERROR"), "detail": str(exc)}
            log.warning("job.failed", job=job.id, kind=job.kind, error=str(exc),
                        exc_info=not isinstance(exc, DomainError))
            return
        with self._lock:
            job.status, job.finished_at, job.result = (JobStatus.SUCCEEDED, self._clock.now(),
                                                       result)
        log.info("job.succeeded", job=job.id, kind=job.kind)

    def shutdown(self) -> None:
        """Stop accepting jobs and wait for running ones."""
        self._pool.shutdown(wait=True, cancel_futures=True)
