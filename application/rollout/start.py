"""Start a roll-out: the readiness gate, then every device pinned to the baseline epoch.

:class:`PrepareRollout` turns "roll this registered version out to that fleet" into the
command :class:`StartRollout` executes: registry digests, and the plan for the strictest ASIL
in the version's trace scope. The CLI and the HTTP API both start roll-outs through it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from edgedeploy.application.ports.persistence import UnitOfWork
from edgedeploy.application.ports.rollout import ReleaseReadiness, ReportsEpochs, RolloutTarget
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.application.rollout.engine import RolloutEngine
from edgedeploy.application.rollout.errors import NoBaseline, ReleaseNotReady
from edgedeploy.application.rollout.views import RolloutView, view_of
from edgedeploy.application.traceability.gate import EvaluateGate
from edgedeploy.domain.identity import Permission, Principal
from edgedeploy.domain.models import ModelRef, ModelVersionNotFound
from edgedeploy.domain.requirements import Requirement
from edgedeploy.domain.rollout import (
    DeviceInfo,
    RolloutAction,
    RolloutDecision,
    RolloutPhase,
    RolloutPlan,
    RolloutStage,
    new_rollout,
)
from edgedeploy.domain.safety import ASIL


@dataclass(frozen=True, slots=True)
class StartRolloutCommand:
    """What to roll out where.

    ``baseline`` defaults to the model of the fleet's last completed roll-out (or the
    baseline of the roll-out a new version supersedes). ``actor`` is the authenticated
    principal starting it: the starter may not approve its stages.
    """

    fleet: str
    model: ModelRef
    digest: str
    plan: RolloutPlan
    actor: Principal
    baseline: ModelRef | None = None
    baseline_digest: str | None = None
    rollout_id: str | None = None


class StartRollout:
    """Start a canary roll-out of a model version on a fleet (SR_ROLL_010, SR_ROLL_012).

    The release gate runs before any device is touched. A roll-out already running on the
    fleet is aborted as superseded: a new model version always restarts at the first stage.
    """

    def __init__(self, engine: RolloutEngine, readiness: ReleaseReadiness) -> None:
        self._engine = engine
        self._readiness = readiness

    def __call__(self, command: StartRolloutCommand) -> RolloutView:
        """Start the roll-out; returns its view with every stage pending.

        Raises:
            Forbidden: the actor may not deploy.
            ReleaseNotReady: the trace gate or the verification report does not pass.
            NoBaseline: no baseline given and none known for the fleet.
            FloorViolated: the plan is below its ASIL floor (checked when it was built).
        """
        command.actor.require(Permission.DEPLOY)
        engine, journal = self._engine, self._engine.journal
        readiness = self._readiness.check(command.model)
        if not readiness.ready:
            raise ReleaseNotReady(str(command.model), readiness.reasons or ("not ready",))
        baseline, baseline_digest = command.baseline, command.baseline_digest
        rollout_id = command.rollout_id or f"ro-{uuid.uuid4().hex[:12]}"
        active = journal.active(command.fleet)
        if active is not None:
            if baseline is None:
                baseline, baseline_digest = active.baseline, active.baseline_digest
            engine.commit(active, active.aborted(f"superseded by {command.model}"),
                          RolloutDecision(active.rollout_id, RolloutAction.SUPERSEDE,
                                          RolloutStage.ABORTED,
                                          command.actor.name, active.spec.name,
                                          active.epoch + 1,
                                          f"superseded by {command.model} ({rollout_id})"))
        if baseline is None:
            latest = journal.latest(command.fleet)
            if latest is not None and latest.phase is RolloutPhase.COMPLETED:
                baseline, baseline_digest = latest.model, latest.digest
            elif latest is not None:
                baseline, baseline_digest = latest.baseline, latest.baseline_digest
        if baseline is None or baseline_digest is None:
            raise NoBaseline(f"fleet {command.fleet} has no known baseline model; name one")
        devices = engine.target.devices()
        epoch = _first_epoch(engine.target, devices, journal.max_epoch(command.fleet))
        rollout = new_rollout(rollout_id, command.fleet, command.model, command.digest,
                              baseline, baseline_digest, command.plan, devices, epoch,
                              engine.clock.now())
        entry_decision = RolloutDecision(
            rollout_id, RolloutAction.CREATE, RolloutStage.PENDING, command.actor.name,
            rollout.spec.name, rollout.epoch,
            "release gate passed", {"plan": command.plan.to_dict(),
                                    "baseline": str(baseline), "digest": command.digest,
                                    "fleet_size": len(rollout.devices),
                                    "readiness": list(readiness.reasons)})
        engine.create(rollout, entry_decision)
        engine.reconcile(rollout, force=True)
        return view_of(rollout, 1)


def release_asil(gate: EvaluateGate, store: TraceStore, model: ModelRef) -> ASIL:
    """The highest ASIL among the requirements the gate puts in ``model``'s scope.

    The roll-out plan is built for this ASIL, so its floors are the strictest that apply.
    """
    report = gate(model, record=False)
    levels = [item.asil for item in map(store.get_item, report.scope)
              if isinstance(item, Requirement)]
    return max(levels, key=lambda a: a.rank, default=ASIL.QM)


def registered_digest(uow: Callable[[], UnitOfWork], ref: ModelRef) -> str:
    """The registry digest of ``ref``: devices install exactly these bytes.

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
                  actor: Principal) -> StartRolloutCommand:
    """The command for rolling registered ``model`` out to ``fleet``.

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


class PrepareRollout:
    """Check a version may be released and build the command that starts its roll-out.

    Two steps because a caller opens the fleet in between: readiness first, so that an
    unready version never starts agent processes; the command once the fleet's name is known.
    """

    def __init__(self, uow: Callable[[], UnitOfWork], gate: EvaluateGate, store: TraceStore,
                 readiness: ReleaseReadiness) -> None:
        self._uow, self._gate, self._store = uow, gate, store
        self._readiness = readiness

    def require_ready(self, model: ModelRef) -> None:
        """Refuse ``model`` with every reason when it may not reach devices.

        Raises:
            ReleaseNotReady: the trace gate or the verification report does not pass.
        """
        require_ready(self._readiness, model)

    def __call__(self, fleet: str, model: ModelRef, baseline: ModelRef | None = None, *,
                 actor: Principal) -> StartRolloutCommand:
        """The start command for ``model`` on ``fleet``, started by ``actor``.

        Raises:
            Forbidden: ``actor`` may not deploy.
            ModelVersionNotFound: the model or the named baseline is not registered.
        """
        actor.require(Permission.DEPLOY)
        return start_command(self._uow, self._gate, self._store, fleet, model, baseline,
                             actor)


def _first_epoch(target: RolloutTarget, devices: Sequence[DeviceInfo], journal_max: int) -> int:
    """The new roll-out's epoch: above every epoch the journal used and the devices report.

    Devices refuse an epoch older than their own, so a controller whose journal lags behind
    the fleet (restored database, second controller) would otherwise never reach them while
    believing it had.
    """
    reported: list[int] = []
    if isinstance(target, ReportsEpochs):
        states = target.reported_epochs([d.device_id for d in devices])
        reported = [epoch for epoch in states.values() if epoch is not None]
    return max([journal_max, *reported]) + 1
