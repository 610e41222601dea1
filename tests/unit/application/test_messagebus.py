"""The message bus hands committed domain events to the handlers registered for them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from edgedeploy.application.messagebus import MessageBus
from edgedeploy.application.monitoring.alerts import ALERT_ACTION, RaiseDriftAlert
from edgedeploy.application.rollout import RecordEvidenceWhenFinished
from edgedeploy.domain.audit import verify_chain
from edgedeploy.domain.drift import DriftSeverity
from edgedeploy.domain.events import CriticalDriftDetected, DomainEvent, RolloutFinished
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import RolloutPhase
from tests.fakes.clock import ManualClock
from tests.fakes.persistence import InMemoryDatabase

FINISHED = RolloutFinished("r1", "fleet", ModelRef("aeb", "1.1"), RolloutPhase.COMPLETED, "",
                           5)
CRITICAL = CriticalDriftDetected("v1", "aeb@1/eu", 7, datetime(2026, 3, 1, tzinfo=UTC),
                                 DriftSeverity.CRITICAL, ("speed (psi, score 3.1)",))


def test_each_event_reaches_only_the_handlers_of_its_type_in_registration_order():
    bus, seen = MessageBus(), []
    bus.subscribe(RolloutFinished, lambda e: seen.append(("first", e.rollout_id)))
    bus.subscribe(CriticalDriftDetected, lambda e: seen.append(("alert", e.verdict_id)))
    bus.subscribe(RolloutFinished, lambda e: seen.append(("second", e.rollout_id)))
    assert bus.handle([FINISHED, CRITICAL]) == 0
    assert seen == [("first", "r1"), ("second", "r1"), ("alert", "v1")]


def test_a_handler_of_a_base_type_sees_every_subclass():
    bus, seen = MessageBus(), []
    bus.subscribe(DomainEvent, seen.append)
    bus.handle([FINISHED, CRITICAL])
    assert seen == [FINISHED, CRITICAL]


def test_a_failing_handler_is_counted_and_does_not_stop_the_others():
    bus, seen = MessageBus(), []

    def broken(event: RolloutFinished) -> None:
        raise RuntimeError("trace store is down")

    bus.subscribe(RolloutFinished, broken)
    bus.subscribe(RolloutFinished, seen.append)
    assert bus.handle([FINISHED, FINISHED]) == 2
    assert seen == [FINISHED, FINISHED]


def test_events_raised_while_handling_are_queued_behind_the_current_ones():
    @dataclass(frozen=True, slots=True)
    class Followed(DomainEvent):
        cause: str

    bus, order = MessageBus(), []
    bus.subscribe(RolloutFinished, lambda e: (order.append("finished"),
                                              bus.handle([Followed(e.rollout_id)])))
    bus.subscribe(Followed, lambda e: order.append(f"followed {e.cause}"))
    bus.subscribe(CriticalDriftDetected, lambda e: order.append("alert"))
    bus.handle([FINISHED, CRITICAL])
    assert order == ["finished", "alert", "followed r1"]


def test_threads_dispatch_their_own_events_independently():
    bus, seen, lock = MessageBus(), [], threading.Lock()
    gate = threading.Barrier(2)

    def slow(event: RolloutFinished) -> None:
        gate.wait(timeout=5)
        with lock:
            seen.append(event.rollout_id)

    bus.subscribe(RolloutFinished, slow)
    other = RolloutFinished("r2", "fleet", ModelRef("aeb", "1.2"), RolloutPhase.ABORTED, "", 2)
    worker = threading.Thread(target=bus.handle, args=([other],))
    worker.start()
    bus.handle([FINISHED])
    worker.join(timeout=5)
    assert sorted(seen) == ["r1", "r2"]


def test_a_critical_drift_event_becomes_a_chained_alert_in_the_audit_log():
    database = InMemoryDatabase()
    bus = MessageBus()
    bus.subscribe(CriticalDriftDetected, RaiseDriftAlert(database.unit_of_work,
                                                         ManualClock()))
    bus.handle([CRITICAL, CRITICAL])
    assert [(e.subject, e.action, e.outcome) for e in database.audit] == [
        ("aeb@1/eu", ALERT_ACTION, "critical")] * 2
    assert database.audit[0].details["verdict_id"] == "v1"
    assert verify_chain(database.audit) == 2


def test_a_finished_rollout_event_records_its_evidence_with_the_final_phase():
    calls = []

    class Recorder:
        def __call__(self, rollout_id: str, phase: str, actor: str) -> None:
            calls.append((rollout_id, phase, actor))

    bus = MessageBus()
    bus.subscribe(RolloutFinished, RecordEvidenceWhenFinished(Recorder, "release-bot"))
    bus.handle([FINISHED])
    assert calls == [("r1", "completed", "release-bot")]
