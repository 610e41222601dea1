"""The write-ahead step every roll-out use case shares: journal first, then command devices.

A state change is stored with its decision in one journal transaction *before* any device
is told about it. A controller killed after the write resumes and sends the same epoch again,
which devices treat as a no-op, so no stage is ever applied twice (SR_ROLL_030).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from edgedeploy.application.ports.rollout import ApplyResult, RolloutJournal, RolloutTarget
from edgedeploy.application.ports.system import Clock
from edgedeploy.application.rollout.errors import RolloutNotFound
from edgedeploy.domain.audit import next_entry
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.rollout import Rollout, RolloutDecision

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class RolloutEngine:
    """Journal, fleet and clock, plus which devices still owe an acknowledgement.

    ``pending`` remembers, per roll-out, the epoch last sent and the devices that did not
    answer, so a tick re-sends only to those; a fresh engine (after a restart) knows nothing
    and re-sends to every device once, which is how offline devices converge.
    """

    journal: RolloutJournal
    target: RolloutTarget
    clock: Clock
    pending: dict[str, tuple[int, frozenset[str]]] = field(default_factory=dict)
    on_decision: Callable[[Rollout, RolloutDecision], None] | None = None

    def load(self, rollout_id: str) -> Rollout:
        """The stored roll-out.

        Raises:
            RolloutNotFound: no such roll-out.
        """
        try:
            return self.journal.get(rollout_id)
        except NotFound as exc:
            raise RolloutNotFound(f"no roll-out '{rollout_id}'") from exc

    def commit(self, before: Rollout, after: Rollout, decision: RolloutDecision) -> Rollout:
        """Store ``after`` with ``decision`` (hash-chained), then send its desired states."""
        entries = self.journal.decisions(before.rollout_id)
        entry = next_entry(entries[-1] if entries else None, self.clock.now(),
                           str(after.model), decision.action, decision.outcome,
                           decision.actor, decision.log_details())
        self.journal.record(after, entry, expected_epoch=before.epoch)
        log.info("rollout.decision", rollout=after.rollout_id, action=decision.action,
                 outcome=decision.outcome, stage=decision.stage, epoch=after.epoch)
        if self.on_decision is not None:
            self.on_decision(after, decision)
        if after.epoch != before.epoch:
            self.reconcile(after, force=True)
        return after

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
