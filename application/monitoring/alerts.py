"""Handler: a critical drift verdict becomes an alert in the audit log and the log stream.

The drift monitor only records its verdict and the event the verdict raises; this handler,
registered by the composition root, runs after that commit. The alert is an entry of the
hash-chained audit log (subject: the deployment), so an auditor sees when the monitor raised
it and what it said, and an error-level log record that alerting pipelines pick up.
"""

from __future__ import annotations

import structlog

from edgedeploy.application.ports.persistence import UnitOfWorkFactory
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.audit import next_entry
from edgedeploy.domain.events import CriticalDriftDetected

log = structlog.get_logger(__name__)

ALERT_ACTION = "drift_alert"
"""The audit log's action for a drift alert."""


class RaiseDriftAlert:
    """Record an alert for every :class:`CriticalDriftDetected` event (SR_MON_004)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock,
                 actor: str = "drift-monitor") -> None:
        self._uow, self._clock, self._actor = uow, clock, actor

    def __call__(self, event: CriticalDriftDetected) -> None:
        """Append the alert to the audit log, then log it."""
        details = {"verdict_id": event.verdict_id, "window_index": event.window_index,
                   "observed_at": event.observed_at.isoformat(),
                   "reasons": list(event.reasons)}
        with self._uow() as work:
            entry = next_entry(work.audit.last(), self._clock.now(), event.deployment,
                               ALERT_ACTION, event.severity.value, self._actor, details)
            work.audit.append(entry)
            work.commit()
        log.error("drift.alert", deployment=event.deployment, verdict=event.verdict_id,
                  window=event.window_index, severity=event.severity.value,
                  audit_sequence=entry.sequence, reasons=list(event.reasons))


__all__ = ["ALERT_ACTION", "RaiseDriftAlert"]
