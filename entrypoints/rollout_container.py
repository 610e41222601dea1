"""Composition of the roll-out controller: journal, readiness, fleets, engine and use cases.

Declared as its own container so the main composition root only hands over what it already
owns (the migrated database engine, clock, trace store, evidence store, gate and trace use
cases). ``edgedeploy.entrypoints.container.Container.rollout`` is this container.

One engine drives one fleet: callers open the fleet named by a FLEET.yaml at call time
(:meth:`RolloutContainer.fleet`) and bind every use case to an engine over it with
``controls(engine=engine(target=fleet.target))``. Commands that only need the journal
(status, or a decision recorded while the controller is elsewhere) use a journal-only target:
devices pick the new state up the next time a controller reconciles the fleet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog
from dependency_injector import containers, providers
from sqlalchemy.engine import Engine

from edgedeploy.adapters.fleet import FleetDescription, load_fleet
from edgedeploy.adapters.sql.rollout_journal import SqlAlchemyRolloutJournal
from edgedeploy.application.ports.persistence import UnitOfWork
from edgedeploy.application.ports.rollout import (
    ApplyResult,
    ReleaseReadiness,
    RolloutJournal,
    RolloutTarget,
)
from edgedeploy.application.ports.system import Clock, EvidenceStore
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.application.rollout import (
    AbortRollout,
    ApproveStage,
    ExportDecisionLog,
    ReleaseNotReady,
    ResumeRollout,
    RollbackRollout,
    RolloutEngine,
    RolloutStatus,
    RunRollout,
    StartRollout,
    StartRolloutCommand,
    TickRollout,
)
from edgedeploy.application.rollout.evidence import RecordRolloutEvidence
from edgedeploy.application.rollout.readiness import TraceAndVerificationReadiness
from edgedeploy.application.traceability import EvaluateGate, LinkItems, RecordArtifact
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef, ModelVersionNotFound
from edgedeploy.domain.requirements import Requirement
from edgedeploy.domain.rollout import (
    DesiredState,
    DeviceInfo,
    Rollout,
    RolloutDecision,
    RolloutPlan,
)
from edgedeploy.domain.safety import ASIL

log = structlog.get_logger(__name__)


class JournalOnlyTarget:
    """A stand-in fleet for commands run where no fleet is reachable.

    Every device is reported unreachable, which the engine treats as "send again later":
    the decision is journaled now and reaches devices when a controller with the fleet
    (``edgedeploy rollout resume``, the HTTP ticker) reconciles next.
    """

    def devices(self) -> list[DeviceInfo]:
        """No devices are known here."""
        return []

    def apply(self, states: Sequence[DesiredState]) -> ApplyResult:
        """Nothing is delivered; every addressed device owes an acknowledgement."""
        return ApplyResult((), tuple(s.device_id for s in states))

    def health(self, device_ids: Sequence[str], model: ModelRef,
               since: datetime) -> HealthWindow:
        """No observations."""
        return HealthWindow()

    def running(self, device_ids: Sequence[str]) -> dict[str, ModelRef | None]:
        """Unknown for every device."""
        return dict.fromkeys(device_ids)


class EvidenceOnFinal:
    """Engine decision hook: store a finished roll-out's decision log as trace evidence.

    It runs after the decision is journaled and before devices are commanded, so a failure
    here must not stop a rollback from reaching the fleet: it is logged with the roll-out id,
    and ``RecordRolloutEvidence`` can be run again for that roll-out.
    """

    def __init__(self, record: RecordRolloutEvidence, actor: str) -> None:
        self._record, self._actor = record, actor

    def __call__(self, rollout: Rollout, decision: RolloutDecision) -> None:
        """Record evidence when ``rollout`` has just become final."""
        if not rollout.phase.is_final:
            return
        try:
            self._record(rollout.rollout_id, rollout.phase.value, self._actor)
        except Exception as exc:
            log.error("rollout.evidence_failed", rollout=rollout.rollout_id, exc_info=exc)


def chain_hooks(*hooks: Callable[[Rollout, RolloutDecision], None] | None,
                ) -> Callable[[Rollout, RolloutDecision], None]:
    """One decision hook calling each given hook in order."""
    active = [h for h in hooks if h is not None]

    def call(rollout: Rollout, decision: RolloutDecision) -> None:
        for hook in active:
            hook(rollout, decision)
    return call


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


def open_fleet(path: str | Path) -> FleetDescription:
    """The fleet a FLEET.yaml describes (local agents are started; close the target after)."""
    return load_fleet(Path(path))


def _journal(db_engine: Engine) -> SqlAlchemyRolloutJournal:
    # The main container's engine is migrated on first use, so the schema is Alembic's.
    return SqlAlchemyRolloutJournal(db_engine, create_tables=False)


def _engine(journal: RolloutJournal, target: RolloutTarget, clock: Clock,
            on_decision: Callable[[Rollout, RolloutDecision], None]) -> RolloutEngine:
    return RolloutEngine(journal, target, clock, on_decision=on_decision)


class RolloutContainer(containers.DeclarativeContainer):
    """Roll-out wiring over dependencies handed in by the main container."""

    db_engine: providers.Dependency[Engine] = providers.Dependency(instance_of=Engine)
    actor: providers.Dependency[str] = providers.Dependency(instance_of=str)
    clock: providers.Dependency[Clock] = providers.Dependency()
    trace_store: providers.Dependency[TraceStore] = providers.Dependency()
    evidence: providers.Dependency[EvidenceStore] = providers.Dependency()
    evaluate_gate: providers.Dependency[EvaluateGate] = providers.Dependency(
        instance_of=EvaluateGate)
    record_artifact = providers.Dependency(instance_of=RecordArtifact)
    link_items = providers.Dependency(instance_of=LinkItems)

    journal = providers.Singleton(_journal, db_engine)
    readiness = providers.Factory(TraceAndVerificationReadiness, gate=evaluate_gate,
                                  store=trace_store, evidence=evidence)
    fleet = providers.Factory(open_fleet)
    detached_target = providers.Singleton(JournalOnlyTarget)
    detached_engine = providers.Factory(RolloutEngine, journal=journal,
                                        target=detached_target, clock=clock)
    export_decision_log = providers.Factory(ExportDecisionLog, engine=detached_engine,
                                            evidence=evidence)
    record_evidence = providers.Factory(RecordRolloutEvidence, export=export_decision_log,
                                        record_artifact=record_artifact,
                                        link_items=link_items, clock=clock)
    evidence_hook = providers.Factory(EvidenceOnFinal, record=record_evidence, actor=actor)
    engine = providers.Factory(_engine, journal=journal, target=detached_target, clock=clock,
                               on_decision=evidence_hook)
    controls = providers.Factory(RolloutControls.build, engine=engine, readiness=readiness,
                                 evidence=evidence)
    rollout_status = providers.Factory(RolloutStatus, engine=detached_engine)


def release_asil(gate: EvaluateGate, store: TraceStore, model: ModelRef) -> ASIL:
    """The highest ASIL among the requirements the gate puts in ``model``'s scope.

    The roll-out plan is built for this ASIL, so its floors are the strictest that apply.
    """
    report = gate(model, record=False)
    levels = [item.asil for item in map(store.get_item, report.scope)
              if isinstance(item, Requirement)]
    return max(levels, key=lambda a: a.rank, default=ASIL.QM)


def registered_digest(uow: Callable[[], UnitOfWork], ref: ModelRef) -> str:
    """The registry digest of ``ref``.

    Raises:
        ModelVersionNotFound: ``ref`` is not registered.
    """
    with uow() as work:
        model = work.models.get(ref)
    if model is None:
        raise ModelVersionNotFound(f"model version {ref} is not registered")
    return model.digest


def start_command(uow: Callable[[], UnitOfWork], gate: EvaluateGate, store: TraceStore,
                  fleet: str, model: ModelRef, baseline: ModelRef | None,
                  actor: str) -> StartRolloutCommand:
    """What the CLI and the HTTP API start: registry digests and the plan for the ASIL.

    Raises:
        ModelVersionNotFound: the model or the named baseline is not registered.
    """
    digest = registered_digest(uow, model)
    base_digest = registered_digest(uow, baseline) if baseline is not None else None
    plan = RolloutPlan.for_asil(release_asil(gate, store, model))
    return StartRolloutCommand(fleet, model, digest, plan, actor, baseline, base_digest)


def require_ready(readiness: ReleaseReadiness, model: ModelRef) -> None:
    """Refuse an unready version before a fleet is even opened (no agent is started for it).

    ``StartRollout`` checks again when it starts; this only spares the fleet the work.

    Raises:
        ReleaseNotReady: with every reason.
    """
    result = readiness.check(model)
    if not result.ready:
        raise ReleaseNotReady(str(model), result.reasons or ("not ready",))
