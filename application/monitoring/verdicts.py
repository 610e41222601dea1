"""Use case: the stored drift verdicts, filtered for an analyst or an alerting pipeline."""

from __future__ import annotations

from datetime import datetime

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.persistence import UnitOfWorkFactory
from edgedeploy.domain.drift import DriftSeverity, DriftVerdict

_RANK = {severity: rank for rank, severity in enumerate(DriftSeverity)}


class ListVerdicts:
    """Verdicts of one or every deployment, at or above a severity, newest last.

    ``DriftReport`` groups a deployment's whole history for people and plots; this answers
    the narrower question a pipeline asks ("what reached *warning* since yesterday?") without
    grouping, and bounds the answer with ``limit`` so a long-lived fleet cannot flood a client.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, deployment: str | None = None,
                 at_least: DriftSeverity | None = None, since: datetime | None = None,
                 until: datetime | None = None, limit: int = 100) -> tuple[DriftVerdict, ...]:
        """The newest ``limit`` matching verdicts, oldest first.

        Raises:
            InvalidInput: ``limit`` is below 1, or ``since`` lies after ``until``.
        """
        with self._uow() as work:
            repository = work.drift
            if limit < 1:
                raise InvalidInput(f"limit must be at least 1, got {limit}")
            if since is not None and until is not None and since > until:
                raise InvalidInput(f"since ({since.isoformat()}) lies after until "
                                   f"({until.isoformat()})")
            floor = _RANK[at_least] if at_least is not None else 0
            found = [v for v in repository.verdicts(deployment, since, until)
                     if _RANK[v.severity] >= floor]
            found.sort(key=lambda v: (v.observed_at, v.deployment, v.window_index))
            return tuple(found[-limit:])
