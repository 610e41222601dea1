"""Human commands on a roll-out: approve, abort, roll back, resume, status, evidence."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from edgedeploy.application.ports.rollout import ApplyResult
from edgedeploy.application.ports.system import EvidenceStore
from edgedeploy.application.rollout.engine import RolloutEngine
from edgedeploy.application.rollout.views import DecisionLogExport, RolloutView, view_of
from edgedeploy.domain.asil_rules import ASIL_SEPARATION_RULES, SeparationRule
from edgedeploy.domain.audit import AuditEntry, verify_chain
from edgedeploy.domain.identity import Permission, Principal
from edgedeploy.domain.rollout import (
    Rollout,
    RolloutAction,
    RolloutDecision,
    RolloutPhase,
    RolloutStage,
    StageTransitionRefused,
)
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.separation import check_approval


class ApproveStage:
    """Record a human approval to leave a stage (required at ASIL C/D, SR_ROLL_004).

    Separation of duties applies (:func:`~edgedeploy.domain.separation.check_approval`): the
    approver is a release manager who did not start the roll-out and has not yet approved
    this stage; the roll-out's ASIL says how many distinct approvers the stage needs. An
    approval short of that count is recorded and the stage keeps waiting.
    """

    def __init__(self, engine: RolloutEngine,
                 separation: Mapping[ASIL, SeparationRule] = ASIL_SEPARATION_RULES) -> None:
        self._engine = engine
        self._separation = separation

    def __call__(self, rollout_id: str, actor: Principal, note: str = "") -> RolloutView:
        """Approve the stage awaiting approval as ``actor``.

        With enough distinct approvals the next stage starts at once.

        Raises:
            StageTransitionRefused: the current stage is not awaiting an approval.
            Forbidden: ``actor`` is not a release manager.
            SeparationOfDutiesViolation: ``actor`` started the roll-out or already approved.
        """
        before = self._engine.load(rollout_id)
        if before.stage is not RolloutStage.AWAITING_APPROVAL:
            raise StageTransitionRefused(
                f"roll-out {rollout_id} stage {before.spec.name} is {before.stage.value}, "
                "not awaiting approval")
        entries = self._engine.decisions(rollout_id)
        rule = self._separation[before.plan.asil]
        approved_by = _stage_approvers(entries, before)
        missing = check_approval(actor, starter=_starter(entries), approved_by=approved_by,
                                 rule=rule)
        given = len(approved_by) + 1
        details = {"approvals": given, "approvals_required": rule.approvals,
                   "approved_by": [*approved_by, actor.name]}
        if missing:
            self._engine.commit(before, before, RolloutDecision(
                rollout_id, RolloutAction.APPROVE, before.phase, actor.name, before.spec.name,
                before.epoch, note or f"stage {before.spec.name} approved by {actor.name}: "
                f"{given} of {rule.approvals} approvals, awaiting another release manager",
                details))
            return view_of(before, len(entries) + 1)
        after = before.approve(self._engine.clock.now())
        self._engine.commit(before, after, RolloutDecision(
            rollout_id, RolloutAction.APPROVE, after.phase, actor.name, before.spec.name,
            after.epoch, note or f"stage {before.spec.name} approved "
            f"({given} of {rule.approvals} approvals)", details))
        return view_of(after, len(self._engine.decisions(rollout_id)))


def _starter(entries: Sequence[AuditEntry]) -> str:
    """Who started the roll-out: the actor of its create decision."""
    for entry in entries:
        if entry.action == RolloutAction.CREATE.value:
            return entry.actor
    return ""


def _stage_approvers(entries: Sequence[AuditEntry], rollout: Rollout) -> list[str]:
    """Who already approved the stage now awaiting approval, without releasing it."""
    return [entry.actor for entry in entries
            if entry.action == RolloutAction.APPROVE.value
            and entry.outcome == RolloutPhase.AWAITING_APPROVAL.value
            and entry.details.get("stage") == rollout.spec.name
            and entry.details.get("epoch") == rollout.epoch]


class AbortRollout:
    """Stop a roll-out in any non-final state; every device returns to the baseline."""

    def __init__(self, engine: RolloutEngine) -> None:
        self._engine = engine

    def __call__(self, rollout_id: str, actor: Principal, reason: str = "") -> RolloutView:
        """Abort now (within this call, not at the next tick).

        Raises:
            Forbidden: ``actor`` may not abort roll-outs.
            StageTransitionRefused: the roll-out already completed, rolled back or aborted.
        """
        actor.require(Permission.ABORT)
        before = self._engine.load(rollout_id)
        if before.phase.is_final:
            raise StageTransitionRefused(
                f"roll-out {rollout_id} is {before.phase.value}; abort applies to running "
                "roll-outs (use rollback after completion)")
        after = before.aborted(reason or f"aborted by {actor.name}")
        self._engine.commit(before, after, RolloutDecision(
            rollout_id, RolloutAction.ABORT, RolloutStage.ABORTED, actor.name,
            before.spec.name, after.epoch, after.reason))
        return view_of(after, len(self._engine.decisions(rollout_id)))


class RollbackRollout:
    """Roll back by hand, from any stage or after completion, skipping remaining stages."""

    def __init__(self, engine: RolloutEngine) -> None:
        self._engine = engine

    def __call__(self, rollout_id: str, actor: Principal, reason: str = "") -> RolloutView:
        """Send every device back to the baseline now.

        Raises:
            Forbidden: ``actor`` may not roll back.
            StageTransitionRefused: already rolled back or aborted.
        """
        actor.require(Permission.ROLLBACK)
        before = self._engine.load(rollout_id)
        after = before.rolled_back(reason or f"rolled back by {actor.name}")
        self._engine.commit(before, after, RolloutDecision(
            rollout_id, RolloutAction.MANUAL_ROLLBACK, RolloutStage.ROLLED_BACK, actor.name,
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
