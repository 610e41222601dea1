"""Drift alerts over HTTP: Prometheus Alertmanager's v2 API and a generic JSON webhook.

Each receiver gets its own delivery: a connection error, a timeout, a 429 or a 5xx answer is
retried after ``backoff * 2**attempt`` seconds, up to ``attempts`` tries; any other answer is
final. A receiver that stays down never raises: its failure is in the delivery record, which
the monitor stores for the audit trail.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx
import structlog

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.drift import AlertDelivery, DriftAlert

log = structlog.get_logger(__name__)

ReceiverKind = Literal["alertmanager", "webhook"]
RETRIED_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class AlertReceiver:
    """Where alerts go.

    Attributes:
        name: a name for the records (e.g. ``oncall``).
        url: for ``alertmanager`` the server's base URL (alerts are posted to
            ``/api/v2/alerts``); for ``webhook`` the full URL.
        kind: ``alertmanager`` or ``webhook``.
    """

    name: str
    url: str
    kind: ReceiverKind = "webhook"

    def __post_init__(self) -> None:
        if self.kind not in ("alertmanager", "webhook"):
            raise InvalidInput(f"alert receiver {self.name}: kind must be alertmanager or "
                               f"webhook, not {self.kind!r}", code="ALERT_RECEIVER_INVALID")
        if not self.url.startswith(("http://", "https://")):
            raise InvalidInput(f"alert receiver {self.name}: url must be http(s), got "
                               f"{self.url!r}", code="ALERT_RECEIVER_INVALID")

    @property
    def target(self) -> str:
        """The URL the alert is posted to."""
        if self.kind == "alertmanager":
            return self.url.rstrip("/") + "/api/v2/alerts"
        return self.url


def alertmanager_body(alert: DriftAlert) -> list[dict[str, Any]]:
    """Alertmanager v2 ``postableAlerts``: labels route it, annotations explain it."""
    return [{
        "labels": {"alertname": "EdgeDeployDrift", "deployment": alert.deployment,
                   "severity": alert.severity.value, "reason": alert.reason},
        "annotations": {"summary": alert.summary, "verdict_id": alert.verdict_id,
                        "window_index": str(alert.window_index),
                        "features": ", ".join(alert.features),
                        "findings": "; ".join(alert.findings)},
        "startsAt": alert.observed_at.isoformat(),
    }]


def webhook_body(alert: DriftAlert) -> dict[str, Any]:
    """The generic JSON document: every field of the alert."""
    return {"type": "edgedeploy.drift_alert", "deployment": alert.deployment,
            "verdict_id": alert.verdict_id, "window_index": alert.window_index,
            "severity": alert.severity.value, "reason": alert.reason, "summary": alert.summary,
            "observed_at": alert.observed_at.isoformat(), "features": list(alert.features),
            "findings": list(alert.findings)}


class WebhookAlertSender:
    """Posts drift alerts to Alertmanager and JSON webhooks, with retries and back-off.

    Args:
        receivers: where to send.
        clock: gives the time a delivery started.
        attempts: tries per receiver (at least 1).
        backoff: seconds before the first retry; doubled for each further one.
        timeout: seconds per request.
        sleep: waits between tries (tests pass a recorder).
    """

    def __init__(self, receivers: Sequence[AlertReceiver], clock: Callable[[], datetime],
                 attempts: int = 4, backoff: float = 0.5, timeout: float = 3.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.receivers = tuple(receivers)
        self._clock = clock
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._timeout = timeout
        self._sleep = sleep

    def send(self, alert: DriftAlert) -> list[AlertDelivery]:
        """Deliver ``alert`` to every receiver; one record each, failures included."""
        if not self.receivers:
            return []
        with httpx.Client(timeout=self._timeout) as client:
            return [self._deliver(client, receiver, alert) for receiver in self.receivers]

    def _deliver(self, client: httpx.Client, receiver: AlertReceiver,
                 alert: DriftAlert) -> AlertDelivery:
        body: Any = (alertmanager_body(alert) if receiver.kind == "alertmanager"
                     else webhook_body(alert))
        started = self._clock()
        status: int | None = None
        error = ""
        attempt = 0
        while attempt < self._attempts:
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            attempt += 1
            try:
                response = client.post(receiver.target, json=body)
            except httpx.HTTPError as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
                continue
            status = response.status_code
            if 200 <= status < 300:
                error = ""
                break
            error = f"HTTP {status}: {response.text[:200]}"
            if status not in RETRIED_STATUS:
                break
        delivered = status is not None and 200 <= status < 300
        (log.info if delivered else log.warning)(
            "drift.alert_delivery", receiver=receiver.name, verdict=alert.verdict_id,
            delivered=delivered, attempts=attempt, status=status)
        return AlertDelivery(alert.verdict_id, receiver.name, receiver.kind, receiver.target,
                             delivered, attempt, status, error, started)
