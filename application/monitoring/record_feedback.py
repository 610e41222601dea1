"""Use case: record a reviewer's finding on a verdict and adapt the ensemble's weights."""

from __future__ import annotations

import structlog

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.persistence import UnitOfWorkFactory
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.drift import (
    Feedback,
    FeedbackAlreadyRecorded,
    FeedbackRecord,
    VerdictNotFound,
)
from edgedeploy.domain.drift_policy import WeightPolicy

log = structlog.get_logger(__name__)


class RecordFeedback:
    """Confirmed drift upweights the detectors that fired; a false alarm downweights them.

    The rule is :class:`edgedeploy.domain.drift_policy.WeightPolicy` (SR_MON_003). Each verdict
    takes one
    piece of feedback; the record keeps the weights before and after for the audit trail.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock,
                 policy: WeightPolicy | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy or WeightPolicy()

    def __call__(self, verdict_id: str, feedback: Feedback | str,
                 reviewer: str = "unknown") -> FeedbackRecord:
        """Record ``feedback`` on ``verdict_id`` and return what changed.

        Raises:
            VerdictNotFound: no verdict has this id.
            FeedbackAlreadyRecorded: the verdict was already reviewed.
            InvalidInput: ``feedback`` is neither ``confirmed`` nor ``false-alarm``.
        """
        with self._uow() as work:
            repository = work.drift
            try:
                kind = Feedback(feedback)
            except ValueError:
                raise InvalidInput(f"feedback must be 'confirmed' or 'false-alarm', "
                                   f"got {feedback!r}", code="DRIFT_FEEDBACK_INVALID") from None
            verdict = repository.verdict(verdict_id)
            if verdict is None:
                raise VerdictNotFound(f"no drift verdict has id {verdict_id!r}")
            if repository.feedback(verdict_id) is not None:
                raise FeedbackAlreadyRecorded(f"verdict {verdict_id!r} already has feedback")
            current = repository.weights(verdict.deployment).with_defaults(
                {s.name: s.weight for s in verdict.scores})
            updated = self._policy.adapt(current, verdict.fired, kind)
            record = FeedbackRecord(verdict_id, verdict.deployment, kind, self._clock.now(),
                                    reviewer, tuple(sorted(current.values.items())),
                                    tuple(sorted(updated.values.items())))
            repository.save_weights(verdict.deployment, updated)
            repository.add_feedback(record)
            log.info("drift.feedback_recorded", verdict=verdict_id, feedback=kind.value,
                     fired=verdict.fired, weights=dict(record.weights_after))
            work.commit()
            return record
