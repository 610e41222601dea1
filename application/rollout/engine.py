"""The write-ahead step every roll-out use case shares: journal first, then command devices.

A state change is stored with its decision in one unit of work *before* any device is told
about it. A controller killed after the commit resumes and sends the same epoch again, which
devices treat as a no-op, so no stage is ever applied twice (SR_ROLL_030). What the change
means to other capabilities (a finished roll-out becomes trace evidence) travels as domain
events, handed to the message bus after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from edgedeploy.application.messagebus import MessageBus
from edgedeploy.application.ports.persistence import UnitOfWorkFactory
from edgedeploy.application.ports.rollout import ApplyResult, RolloutTarget
from edgedeploy.application.ports.system import Clock
from edgedeploy.application.rollout.errors import RolloutNotFound
from edgedeploy.domain.audit import AuditEntry, next_entry
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.events import DomainEvent, rollout_events
from edgedeploy.domain.rollout import Rollout, RolloutDecision

log = structlog.get_logger(__name__)

DecisionObserver = Callable[[Rollout, RolloutDecision], None]
"""Shown each committed decision (progress output); effects on other capabilities are
domain events handled by the message bus instead."""


class JournalReader:
    """The journal's read side: each read runs in a short unit of work of its own.

    For views and queries that only look (status, lists, exports); every write goes through
    :meth:`RolloutEngine.commit` or :meth:`RolloutEngine.create`.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def get(self, rollout_id: str) -> Rollout:
        """One roll-out; raises ``NotFound`` when unknown."""
        with self._uow() as work:
            return work.rollouts.get(rollout_id)

    def active(self, fleet: str) -> Rollout | None:
        """The roll-out on ``fleet`` that is not final, if any."""
        with self._uow() as work:
            return work.rollouts.active(fleet)

    def latest(self, fleet: str) -> Rollout | None:
        """The most recently created roll-out on ``fleet``."""
        with self._uow() as work:
            return work.rollouts.latest(fleet)

    def max_epoch(self, fleet: str) -> int:
        """The highest epoch ever used on ``fleet`` (0 for a new fleet)."""
        with self._uow() as work:
            return work.rollouts.max_epoch(fleet)

    def decisions(self, rollout_id: str) -> list[AuditEntry]:
        """The roll-out's decision log, oldest first."""
        with self._uow() as work:
            return work.rollouts.decisions(rollout_id)

    def list_ids(self, fleet: str | None = None) -> list[str]:
        """Ids of every roll-out (of ``fleet`` when given), oldest first."""
        with self._uow() as work:
            return work.rollouts.list_ids(fleet)


def _bound(rollout: Rollout, decision: RolloutDecision) -> dict[str, Any]:
    """The logged details, bound to their roll-out.

    Every decision log starts from the same genesis hash; naming the roll-out in each entry
    makes two roll-outs' entries differ even when model, time and decision are alike (two
    simulated fleets start at the same simulated instant), so an entry can neither collide
    with nor be transplanted into another roll-out's log.
    """
    return {**decision.log_details(), "rollout": rollout.rollout_id}


@dataclass(slots=True)
class RolloutEngine:
    """Unit of work, fleet and clock, plus which devices still owe an acknowledgement.

    ``pending`` remembers, per roll-out, the epoch last sent and the devices that did not
    answer, so a tick re-sends only to those; a fresh engine (after a restart) knows nothing
    and re-sends to every device once, which is how offline devices converge. ``bus`` gets
    the events of every committed decision (none are dispatched without one).
    """

    uow: UnitOfWorkFactory
    target: RolloutTarget
    clock: Clock
    pending: dict[str, tuple[int, frozenset[str]]] = field(default_factory=dict)
    bus: MessageBus | None = None
    on_decision: DecisionObserver | None = None

    @property
    def journal(self) -> JournalReader:
        """Read access to the journal, one unit of work per read."""
        return JournalReader(self.uow)

    def load(self, rollout_id: str) -> Rollout:
        """The stored roll-out.

        Raises:
            RolloutNotFound: no such roll-out.
        """
        try:
            return self.journal.get(rollout_id)
        except NotFound as exc:
            raise RolloutNotFound(f"no roll-out '{rollout_id}'") from exc

    def decisions(self, rollout_id: str) -> list[AuditEntry]:
        """The roll-out's decision log, oldest first."""
        return self.journal.decisions(rollout_id)

    def create(self, rollout: Rollout, decision: RolloutDecision) -> None:
        """Store a new roll-out with its first decision (the decision log's first entry)."""
        with self.uow() as work:
            work.rollouts.create(rollout, next_entry(
                None, self.clock.now(), str(rollout.model), decision.action,
                decision.outcome, decision.actor, _bound(rollout, decision)))
            work.commit()
        log.info("rollout.decision", rollout=rollout.rollout_id, action=decision.action,
                 outcome=decision.outcome, stage=decision.stage, epoch=rollout.epoch)
        self._dispatch(work.collect_events())

    def commit(self, before: Rollout, after: Rollout, decision: RolloutDecision) -> Rollout:
        """Store ``after`` with ``decision`` (hash-chained), then send its desired states.

        Raises:
            Conflict: another controller moved the roll-out on since ``before`` was read.
        """
        with self.uow() as work:
            entries = work.rollouts.decisions(before.rollout_id)
            entry = next_entry(entries[-1] if entries else None, self.clock.now(),
                               str(after.model), decision.action, decision.outcome,
                               decision.actor, _bound(after, decision))
            work.rollouts.record(after, entry, expected_epoch=before.epoch)
            work.add_event(*rollout_events(before, after))
            work.commit()
        log.info("rollout.decision", rollout=after.rollout_id, action=decision.action,
                 outcome=decision.outcome, stage=decision.stage, epoch=after.epoch)
        if self.on_decision is not None:
            self.on_decision(after, decision)
        # Handlers run before devices are commanded, but the bus keeps a failing handler from
        # stopping a rollback on its way to the fleet.
        self._dispatch(work.collect_events())
        if after.epoch != before.epoch:
            self.reconcile(after, force=True)
        return after

    def _dispatch(self, events: list[DomainEvent]) -> None:
        if self.bus is not None and events:
            self.bus.handle(events)

    def reconcile(self, rollout: Rollout, *, force: bool = False) -> ApplyResult:
        """Send the desired states to devices that have not acknowledged this epoch."""
        known = self.pending.get(rollout.rollout_id)
        if not force and known is not None and known[0] == rollout.epoch:
            if not known[1]:
                return ApplyResult(acknowledged=(), unreachable=())
            states = [s for s in rollout.desired_states() if s.device_id in known[1]]
        else:
            states = list(rollout.desired_states())
        result = self.target.apply(states)
        self.pending[rollout.rollout_id] = (rollout.epoch, frozenset(result.unreachable))
        if result.unreachable:
            log.warning("rollout.devices_unreachable", rollout=rollout.rollout_id,
                        epoch=rollout.epoch, count=len(result.unreachable))
        return result

    def unreachable(self, rollout: Rollout) -> tuple[str, ...]:
        """Devices still owing an acknowledgement of the current epoch."""
        known = self.pending.get(rollout.rollout_id)
        if known is None or known[0] != rollout.epoch:
            return tuple(d.device_id for d in rollout.devices)
        return tuple(sorted(known[1]))
