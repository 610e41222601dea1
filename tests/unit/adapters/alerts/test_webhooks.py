"""Webhook alert delivery against a real HTTP receiver on loopback."""

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from edgedeploy.adapters.alerts import AlertReceiver, WebhookAlertSender
from edgedeploy.application.monitoring import NotifyAlertReceivers, alert_of
from edgedeploy.domain.drift import DriftSeverity
from edgedeploy.domain.events import DataQualityDetected
from tests.fakes.drift import InMemoryDriftRepository
from tests.fakes.persistence import InMemoryDatabase

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class Receiver:
    """A loopback server answering each POST with the next scripted status."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.bodies = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["content-length"])
                outer.bodies.append((self.path, json.loads(self.rfile.read(length))))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="receiver")
def fx_receiver():
    receiver = Receiver([503, 500])
    yield receiver
    receiver.close()


def event():
    return DataQualityDetected("v1", "aeb@1", 7, NOW, DriftSeverity.CRITICAL,
                               ("wheel_ticks holds 37 in all 400 rows",))


def test_an_alert_is_retried_with_back_off_and_every_delivery_is_recorded(receiver):
    waits = []
    sender = WebhookAlertSender(
        [AlertReceiver("oncall", receiver.url, "alertmanager"),
         AlertReceiver("hook", receiver.url + "/hook", "webhook")],
        clock=lambda: NOW, backoff=0.01, sleep=waits.append)
    repository = InMemoryDriftRepository()
    notify = NotifyAlertReceivers(InMemoryDatabase(drift=repository).unit_of_work, sender)
    notify(event())
    deliveries = repository.alert_deliveries("v1")
    assert [(d.receiver, d.delivered, d.attempts, d.status) for d in deliveries] == [
        ("oncall", True, 3, 200), ("hook", True, 1, 200)]
    assert waits == [0.01, 0.02]
    path, body = receiver.bodies[2]
    assert path == "/api/v2/alerts"
    assert body[0]["labels"] == {"alertname": "EdgeDeployDrift", "deployment": "aeb@1",
                                 "severity": "critical", "reason": "data_quality"}
    assert receiver.bodies[3][1]["findings"] == ["wheel_ticks holds 37 in all 400 rows"]


def test_a_receiver_that_stays_down_is_recorded_as_undelivered():
    sender = WebhookAlertSender([AlertReceiver("gone", "http://127.0.0.1:9", "webhook")],
                                clock=lambda: NOW, attempts=2, backoff=0.0, timeout=0.5,
                                sleep=lambda _: None)
    repository = InMemoryDriftRepository()
    NotifyAlertReceivers(InMemoryDatabase(drift=repository).unit_of_work, sender)(event())
    [delivery] = repository.alert_deliveries()
    assert not delivery.delivered and delivery.attempts == 2 and delivery.status is None
    assert delivery.error


def test_a_client_error_is_not_retried(receiver):
    receiver.statuses = [400]
    sender = WebhookAlertSender([AlertReceiver("hook", receiver.url, "webhook")],
                                clock=lambda: NOW, sleep=lambda _: None)
    [delivery] = sender.send(alert_of(event()))
    assert (delivery.delivered, delivery.attempts, delivery.status) == (False, 1, 400)
