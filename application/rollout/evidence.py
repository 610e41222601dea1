"""A finished roll-out's decision log as release evidence, linked into the trace graph.

When a roll-out completes, is rolled back or aborted, its verified decision log is stored in
the evidence store and recorded as a deployment artifact (``deployment:<fleet>:<rollout>``)
with a ``deployed_as`` link from the model version. The link carries a report evidence record
whose verdict is the roll-out's outcome, so the trace shows where a version went and how that
ended (SR_ROLL_040).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import structlog

from edgedeploy.application.ports.system import Clock
from edgedeploy.application.rollout.commands import ExportDecisionLog
from edgedeploy.application.rollout.views import DecisionLogExport
from edgedeploy.application.traceability.artifacts import RecordArtifact
from edgedeploy.application.traceability.linking import LinkItems
from edgedeploy.domain.errors import Conflict
from edgedeploy.domain.events import RolloutFinished
from edgedeploy.domain.identity import Principal
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact, ArtifactKind, ItemId
from edgedeploy.domain.rollout import Rollout, RolloutDecision, RolloutPhase
from edgedeploy.domain.traceability import Evidence, EvidenceKind, Relation, Verdict

log = structlog.get_logger(__name__)

_VERDICTS = {RolloutPhase.COMPLETED: Verdict.PASSED, RolloutPhase.ROLLED_BACK: Verdict.FAILED,
             RolloutPhase.ABORTED: Verdict.FAILED}


def deployment_id(fleet: str, rollout_id: str) -> ItemId:
    """The trace id of a roll-out's deployment artifact."""
    return ItemId(f"deployment:{fleet}:{rollout_id}")


class RecordRolloutEvidence:
    """Export a final roll-out's decision log and link it to the model version."""

    def __init__(self, export: ExportDecisionLog, record_artifact: RecordArtifact,
                 link_items: LinkItems, clock: Clock) -> None:
        self._export, self._record, self._link = export, record_artifact, link_items
        self._clock = clock

    def __call__(self, rollout_id: str, phase: str, actor: Principal) -> DecisionLogExport:
        """Store and link the evidence of a roll-out that ended in ``phase``.

        Recording the same final roll-out twice adds the same evidence again to the same
        link, so a caller that is unsure whether it already recorded may simply call again.

        Raises:
            Forbidden: ``actor`` may not record artifacts.
            Conflict: the roll-out is still running (its log is not final yet).
            AuditChainBroken: the decision log was altered.
        """
        outcome = RolloutPhase(phase)
        if not outcome.is_final:
            raise Conflict(f"roll-out {rollout_id} is {phase}; its decision log becomes "
                           "evidence once it completed, rolled back or aborted",
                           code="ROLLOUT_NOT_FINAL")
        export = self._export(rollout_id)
        fleet = _fleet_of(export)
        target = deployment_id(fleet, rollout_id)
        self._record(Artifact(target, ArtifactKind.DEPLOYMENT,
                              f"Roll-out {rollout_id} of {export.model} on fleet {fleet}: "
                              f"{outcome.value}", digest=export.digest,
                              attributes=(("rollout_phase", outcome.value),
                                          ("fleet", fleet))), actor=actor)
        evidence = Evidence(EvidenceKind.REPORT, _VERDICTS[outcome], actor.name,
                            self._clock.now(),
                            artifact_digest=export.digest,
                            note=f"roll-out decision log ({len(export.entries)} decisions): "
                                 f"{outcome.value}")
        self._link(ModelRef.parse(export.model).item_id, Relation.DEPLOYED_AS, target,
                   evidence, actor=actor)
        log.info("rollout.evidence", rollout=rollout_id, deployment=target,
                 digest=export.digest, verdict=evidence.verdict.value)
        return export


def _fleet_of(export: DecisionLogExport) -> str:
    # The export carries the fleet in its content only; reading it back keeps one source.
    return str(json.loads(export.content)["fleet"])


DecisionHook = Callable[[Rollout, RolloutDecision], None]
"""Observes each committed decision (progress output); it must not change anything."""


class RecordEvidenceWhenFinished:
    """Handler of :class:`~edgedeploy.domain.events.RolloutFinished`: record its evidence.

    The message bus calls it after the decision that finished the roll-out committed and
    before devices are commanded; the bus logs a failure with the event instead of letting it
    stop a rollback on its way to the fleet, and ``RecordRolloutEvidence`` can be run again
    for that roll-out. The evidence is recorded by ``actor``, the service principal: no person
    took the decision to record it.
    """

    def __init__(self, record: Callable[[], RecordRolloutEvidence], actor: Principal) -> None:
        self._record, self._actor = record, actor

    def __call__(self, event: RolloutFinished) -> None:
        """Store and link the decision log of the roll-out that just finished."""
        self._record()(event.rollout_id, event.phase.value, self._actor)


def chain_hooks(*hooks: DecisionHook | None) -> DecisionHook:
    """One decision hook calling each given hook in order."""
    active = [h for h in hooks if h is not None]

    def call(rollout: Rollout, decision: RolloutDecision) -> None:
        for hook in active:
            hook(rollout, decision)
    return call
