"""Human commands on a roll-out: approve, abort, roll back, resume, status, evidence."""

from __future__ import annotations

import hashlib
import json

from edgedeploy.application.ports.rollout import ApplyResult
from edgedeploy.application.ports.system import EvidenceStore
from edgedeploy.application.rollout.engine import RolloutEngine
from edgedeploy.application.rollout.views import DecisionLogExport, RolloutView, view_of
from edgedeploy.domain.audit import verify_chain
from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.rollout import (
    RolloutAction,
    RolloutDecision,
    RolloutStage,
    StageTransitionRefused,
)


class ApproveStage:
    """Record a human approval to leave a stage (required at ASIL C/D, SR_ROLL_004)."""

    def __init__(self, engine: RolloutEngine) -> None:
        self._engine = engine

    def __call__(self, rollout_id: str, approver: str, note: str = "") -> RolloutView:
        """Approve the stage awaiting approval; the next stage starts at once.

        Raises:
            StageTransitionRefused: the current stage is not awaiting an approval.
            InvariantViolation: no approver named.
        """
        if not approver.strip():
            raise InvariantViolation("an approval must name the person who gives it")
        before = self._engine.load(rollout_id)
        if before.stage is not RolloutStage.AWAITING_APPROVAL:
            raise StageTransitionRefused(
                f"roll-out {rollout_id} stage {before.spec.name} is {before.stage.value}, "
                "not awaiting approval")
        after = before.approve(self._engine.clock.now())
        self._engine.commit(before, after, RolloutDecision(
            rollout_id, RolloutAction.APPROVE, after.phase, approver, before.spec.name, after.epoch,
            note or f"stage {before.spec.name} approved"))
        return view_of(after, len(self._engine.decisions(rollout_id)))


class AbortRollout:
    """Stop a roll-out in any non-final state; every device returns to the baseline."""

    def __init__(self, engine: RolloutEngine) -> None:
        self._engine = engine

    def __call__(self, rollout_id: str, actor: str, reason: str = "") -> RolloutView:
        """Abort now (within this call, not at the next tick).

        Raises:
            StageTransitionRefused: the roll-out already completed, rolled back or aborted.
        """
        before = self._engine.load(rollout_id)
        if before.phase.is_final:
            raise StageTransitionRefused(
                f"roll-out {rollout_id} is {before.phase.value}; abort applies to running "
                "roll-outs (use rollback after completion)")
        after = before.aborted(reason or f"aborted by {actor}")
        self._engine.commit(before, after, RolloutDecision(
            rollout_id, RolloutAction.ABORT, RolloutStage.ABORTED, actor, before.spec.name,
            after.epoch, after.reason))
        return view_of(after, len(self._engine.decisions(rollout_id)))


class RollbackRollout:
    """Roll back by hand, from any stage or after completion, skipping remaining stages."""

    def __init__(self, engine: RolloutEngine) -> None:
        self._engine = engine

    def __call__(self, rollout_id: str, actor: str, reason: str = "") -> RolloutView:
        """Send every device back to the baseline now.

        Raises:
            StageTransitionRefused: already rolled back or aborted.
        """
        before = self._engine.load(rollout_id)
        after = before.rolled_back(reason or f"rolled back by {actor}")
        self._engine.commit(before, after, RolloutDecision(
            rollout_id, RolloutAction.MANUAL_ROLLBACK, RolloutStage.ROLLED_BACK, actor,
            before.spec.name, after.epoch, after.reason))
        return view_of(after, len(self._engine.decisions(rollout_id)))


class ResumeRollout:
    """Pick a roll-out up after a controller restart: re-send the stored epoch to all devices.

    Devices that already run it ignore the command (same epoch); the stored state is not
    changed, so no stage is applied twice. Drive it on with :class:`RunRollout`.
    """

    def __init__(self, engine: RolloutEngine) -> None:
        self._engine = engine

    def __call__(self, rollout_id: str) -> tuple[RolloutView, ApplyResult]:
        """Reconcile the fleet with the stored state."""
        rollout = self._engine.load(rollout_id)
        result = self._engine.reconcile(rollout, force=True)
        return view_of(rollout, len(self._engine.decisions(rollout_id))), result


class RolloutStatus:
    """The current view of a roll-out."""

    def __init__(self, engine: RolloutEngine) -> None:
        self._engine = engine

    def __call__(self, rollout_id: str) -> RolloutView:
        """Read the stored state; raises ``RolloutNotFound`` for an unknown id."""
        rollout = self._engine.load(rollout_id)
        return view_of(rollout, len(self._engine.decisions(rollout_id)))


class ExportDecisionLog:
    """The roll-out's decision log, chain verified, as evidence (SR_ROLL_040).

    The content's subject is the model version (``name@version``), the id it has in the
    trace graph, so ``RecordRolloutEvidence`` can link the digest to the model's deployment.
    """

    def __init__(self, engine: RolloutEngine, evidence: EvidenceStore | None = None) -> None:
        self._engine = engine
        self._evidence = evidence

    def __call__(self, rollout_id: str) -> DecisionLogExport:
        """Verify and export.

        Raises:
            AuditChainBroken: an entry was altered, removed or reordered.
        """
        rollout = self._engine.load(rollout_id)
        entries = self._engine.decisions(rollout_id)
        verify_chain(entries)
        content = json.dumps(
            {"rollout_id": rollout_id, "model": str(rollout.model),
             "digest": rollout.digest, "fleet": rollout.fleet,
             "entries": [{"sequence": e.sequence, "recorded_at": e.recorded_at.isoformat(),
                          "subject": e.subject, "action": e.action, "outcome": e.outcome,
                          "actor": e.actor, "details": e.details,
                          "previous_hash": e.previous_hash, "entry_hash": e.entry_hash}
                         for e in entries]},
            sort_keys=True, indent=1, default=str).encode()
        digest = ("sha256:" + hashlib.sha256(content).hexdigest() if self._evidence is None
                  else self._evidence.put(content))
        return DecisionLogExport(rollout_id, str(rollout.model), tuple(entries), content,
                                 digest)
