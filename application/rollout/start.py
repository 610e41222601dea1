"""Start a roll-out: the readiness gate, then every device pinned to the baseline epoch."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from edgedeploy.application.ports.rollout import ReleaseReadiness
from edgedeploy.application.rollout.engine import RolloutEngine
from edgedeploy.application.rollout.errors import NoBaseline, ReleaseNotReady
from edgedeploy.application.rollout.views import RolloutView, view_of
from edgedeploy.domain.audit import next_entry
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import RolloutDecision, RolloutPhase, RolloutPlan, new_rollout


@dataclass(frozen=True, slots=True)
class StartRolloutCommand:
    """What to roll out where.

    ``baseline`` defaults to the model of the fleet's last completed roll-out (or the
    baseline of the roll-out a new version supersedes).
    """

    fleet: str
    model: ModelRef
    digest: str
    plan: RolloutPlan
    actor: str
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
            ReleaseNotReady: the trace gate or the verification report does not pass.
            NoBaseline: no baseline given and none known for the fleet.
            FloorViolated: the plan is below its ASIL floor (checked when it was built).
        """
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
                          RolloutDecision(active.rollout_id, "supersede", "aborted",
                                          command.actor, active.spec.name, active.epoch + 1,
                                          f"superseded by {command.model} ({rollout_id})"))
        if baseline is None:
            latest = journal.latest(command.fleet)
            if latest is not None and latest.phase is RolloutPhase.COMPLETED:
                baseline, baseline_digest = latest.model, latest.digest
            elif latest is not None:
                baseline, baseline_digest = latest.baseline, latest.baseline_digest
        if baseline is None or baseline_digest is None:
            raise NoBaseline(f"fleet {command.fleet} has no known baseline model; name one")
        rollout = new_rollout(rollout_id, command.fleet, command.model, command.digest,
                              baseline, baseline_digest, command.plan,
                              engine.target.devices(), journal.max_epoch(command.fleet) + 1,
                              engine.clock.now())
        entry_decision = RolloutDecision(
            rollout_id, "create", "pending", command.actor, rollout.spec.name, rollout.epoch,
            "release gate passed", {"plan": command.plan.to_dict(),
                                    "baseline": str(baseline), "digest": command.digest,
                                    "fleet_size": len(rollout.devices),
                                    "readiness": list(readiness.reasons)})
        journal.create(rollout, next_entry(None, engine.clock.now(), str(command.model),
                                           "create", "pending", command.actor,
                                           entry_decision.log_details()))
        engine.reconcile(rollout, force=True)
        return view_of(rollout, 1)
