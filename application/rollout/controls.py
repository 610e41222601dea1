"""Every roll-out use case bound to one engine, and the fleets those engines drive.

One engine drives one fleet. :class:`RolloutFleets` opens the fleet a description names and
binds the use cases to an engine over it (:meth:`RolloutFleets.session`), on the fleet's own
clock when it keeps one. Commands that only need the journal (status, or a decision recorded
while the controller is elsewhere) run over a journal-only target: devices pick the new
state up the next time a controller reconciles the fleet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from edgedeploy.application.messagebus import MessageBus
from edgedeploy.application.ports.persistence import UnitOfWorkFactory
from edgedeploy.application.ports.rollout import (
    FleetDriver,
    FleetSource,
    ReleaseReadiness,
    RolloutTarget,
)
from edgedeploy.application.ports.system import Clock, EvidenceStore
from edgedeploy.application.rollout.commands import (
    AbortRollout,
    ApproveStage,
    ExportDecisionLog,
    ResumeRollout,
    RollbackRollout,
    RolloutStatus,
)
from edgedeploy.application.rollout.engine import RolloutEngine
from edgedeploy.application.rollout.evidence import DecisionHook, chain_hooks
from edgedeploy.application.rollout.start import StartRollout
from edgedeploy.application.rollout.tick import RunRollout, TickRollout


@dataclass(frozen=True, slots=True)
class RolloutControls:
    """Every roll-out use case bound to one engine (one fleet)."""

    engine: RolloutEngine
    start: StartRollout
    tick: TickRollout
    run: RunRollout
    approve: ApproveStage
    abort: AbortRollout
    rollback: RollbackRollout
    resume: ResumeRollout
    status: RolloutStatus
    export: ExportDecisionLog

    @classmethod
    def build(cls, engine: RolloutEngine, readiness: ReleaseReadiness,
              evidence: EvidenceStore) -> RolloutControls:
        """The use cases over ``engine``."""
        tick = TickRollout(engine)
        return cls(engine, StartRollout(engine, readiness), tick, RunRollout(tick),
                   ApproveStage(engine), AbortRollout(engine), RollbackRollout(engine),
                   ResumeRollout(engine), RolloutStatus(engine),
                   ExportDecisionLog(engine, evidence))


@dataclass(frozen=True, slots=True)
class FleetSession:
    """Use cases bound to an open fleet, or to the journal alone when ``fleet`` is None."""

    controls: RolloutControls
    fleet: FleetDriver | None

    @property
    def name(self) -> str | None:
        """The open fleet's journal name (None without a fleet)."""
        return None if self.fleet is None else self.fleet.name

    def pace(self, seconds: float) -> None:
        """Wait between two ticks the way the fleet's time passes (real time by default)."""
        if self.fleet is None:
            time.sleep(seconds)
        else:
            self.fleet.pace(seconds)


class RolloutFleets:
    """Opens fleets and binds the roll-out use cases to an engine over each.

    Every engine commits through units of work of the same database and hands the events
    of its decisions to the same message bus (whose handlers record a finished roll-out's
    evidence), so a roll-out finished from the CLI, the HTTP ticker or the demo leaves the
    same trace. ``on_decision`` observes decisions (progress output) and changes nothing.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, readiness: ReleaseReadiness,
                 evidence: EvidenceStore, detached_target: RolloutTarget,
                 open_fleet: Callable[[FleetSource], FleetDriver],
                 bus: MessageBus | None = None,
                 on_decision: DecisionHook | None = None,
                 open_request_fleet: Callable[[FleetSource], FleetDriver] | None = None
                 ) -> None:
        self._uow, self._clock, self._bus = uow, clock, bus
        self._readiness, self._evidence = readiness, evidence
        self._detached_target, self._open_fleet = detached_target, open_fleet
        self._open_request_fleet = open_request_fleet or open_fleet
        self._on_decision = on_decision

    def open_fleet(self, source: FleetSource) -> FleetDriver:
        """The fleet ``source`` describes; the caller closes it (local agents are started).

        Raises:
            InvalidInput: the description is unreadable or incomplete.
        """
        return self._open_fleet(source)

    def open_request_fleet(self, source: FleetSource) -> FleetDriver:
        """The fleet a remote request describes, confined to the server's fleets directory.

        A file is named relative to that directory; an inline description's paths resolve
        there. Nothing outside it is read or written.

        Raises:
            InvalidInput: the description is unreadable, incomplete or leaves the directory.
        """
        return self._open_request_fleet(source)

    def engine(self, target: RolloutTarget, clock: Clock | None = None,
               on_decision: DecisionHook | None = None) -> RolloutEngine:
        """An engine over ``target``; ``on_decision`` observes each committed decision."""
        return RolloutEngine(self._uow, target, clock or self._clock, bus=self._bus,
                             on_decision=chain_hooks(self._on_decision, on_decision))

    def bind(self, fleet: FleetDriver,
             on_decision: DecisionHook | None = None) -> RolloutControls:
        """The use cases over an engine for ``fleet``, on the fleet's clock when it has one."""
        return RolloutControls.build(self.engine(fleet.target, fleet.clock, on_decision),
                                     self._readiness, self._evidence)

    def detached(self, on_decision: DecisionHook | None = None) -> RolloutControls:
        """The use cases over the journal alone; devices follow at the next reconcile."""
        return RolloutControls.build(self.engine(self._detached_target, None, on_decision),
                                     self._readiness, self._evidence)

    @contextmanager
    def session(self, source: FleetSource | None,
                on_decision: DecisionHook | None = None) -> Iterator[FleetSession]:
        """Use cases bound to the fleet ``source`` names (or the journal alone), closed after.

        Raises:
            InvalidInput: the fleet description is unreadable or incomplete.
        """
        if source is None:
            yield FleetSession(self.detached(on_decision), None)
            return
        fleet = self.open_fleet(source)
        try:
            yield FleetSession(self.bind(fleet, on_decision), fleet)
        finally:
            fleet.close()
