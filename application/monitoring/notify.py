"""Handler: tell the alert receivers about critical drift and data-quality problems.

Registered by the composition root for :class:`CriticalDriftDetected` and
:class:`DataQualityDetected`; it runs after the verdict committed, sends the alert to every
configured receiver (Alertmanager, JSON webhooks; the sender retries with back-off) and records
each delivery, delivered or not, so an auditor can see who was told and when.
"""

from __future__ import annotations

import structlog

from edgedeploy.application.ports.drift import AlertSender, DriftAlert
from edgedeploy.application.ports.persistence import UnitOfWorkFactory
from edgedeploy.domain.events import CriticalDriftDetected, DataQualityDetected

log = structlog.get_logger(__name__)


def alert_of(event: CriticalDriftDetected | DataQualityDetected) -> DriftAlert:
    """The alert an event becomes."""
    if isinstance(event, CriticalDriftDetected):
        features = tuple(reason.split(" (")[0] for reason in event.reasons)
        summary = (f"{event.deployment}: critical drift at window {event.window_index}"
                   + (f"; most moved: {', '.join(event.reasons)}" if event.reasons else ""))
        return DriftAlert(event.deployment, event.verdict_id, event.window_index,
                          event.severity, "critical_drift", summary, event.observed_at,
                          features)
    summary = (f"{event.deployment}: data-quality problem at window {event.window_index}: "
               + "; ".join(event.findings))
    return DriftAlert(event.deployment, event.verdict_id, event.window_index, event.severity,
                      "data_quality", summary, event.observed_at, (), event.findings)


class NotifyAlertReceivers:
    """Send the alert for a critical or data-quality event and record every delivery."""

    def __init__(self, uow: UnitOfWorkFactory, sender: AlertSender) -> None:
        self._uow = uow
        self._sender = sender

    def __call__(self, event: CriticalDriftDetected | DataQualityDetected) -> None:
        """Deliver the alert, then store the delivery records in their own transaction."""
        deliveries = list(self._sender.send(alert_of(event)))
        if not deliveries:
            return
        with self._uow() as work:
            work.drift.add_alert_deliveries(deliveries)
            work.commit()
        log.info("drift.alert_delivered", deployment=event.deployment,
                 verdict=event.verdict_id, receivers=len(deliveries),
                 delivered=sum(d.delivered for d in deliveries))
