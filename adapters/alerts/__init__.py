"""Drift alert delivery to Prometheus Alertmanager and generic JSON webhooks."""

from edgedeploy.adapters.alerts.webhooks import (
    AlertReceiver,
    WebhookAlertSender,
    alertmanager_body,
    webhook_body,
)

__all__ = ["AlertReceiver", "WebhookAlertSender", "alertmanager_body", "webhook_body"]
