"""Results of the roll-out use cases: frozen, JSON-ready, for the CLI and the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edgedeploy.domain.audit import AuditEntry
from edgedeploy.domain.canary_judge import HealthJudgement
from edgedeploy.domain.rollout import Rollout, RolloutAction, RolloutPhase


@dataclass(frozen=True, slots=True)
class StageView:
    """One stage: name, share of the fleet, state and how many devices it covers."""

    name: str
    share: float
    state: str
    approval_required: bool


@dataclass(frozen=True, slots=True)
class RolloutView:
    """Where a roll-out stands."""

    rollout_id: str
    fleet: str
    model: str
    baseline: str
    asil: str
    phase: RolloutPhase
    current_stage: str
    stage_state: str
    epoch: int
    canary_devices: int
    fleet_size: int
    stages: tuple[StageView, ...]
    reason: str
    decisions: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``--json`` and the HTTP body)."""
        return {"rollout_id": self.rollout_id, "fleet": self.fleet, "model": self.model,
                "baseline": self.baseline, "asil": self.asil, "phase": self.phase.value,
                "current_stage": self.current_stage, "stage_state": self.stage_state,
                "epoch": self.epoch, "canary_devices": self.canary_devices,
                "fleet_size": self.fleet_size, "reason": self.reason,
                "decisions": self.decisions,
                "stages": [{"name": s.name, "share": s.share, "state": s.state,
                            "approval_required": s.approval_required} for s in self.stages]}


def view_of(rollout: Rollout, decisions: int) -> RolloutView:
    """The view of a roll-out."""
    return RolloutView(
        rollout.rollout_id, rollout.fleet, str(rollout.model), str(rollout.baseline),
        rollout.plan.asil.value, rollout.phase, rollout.spec.name, rollout.stage.value,
        rollout.epoch, rollout.canary_size, len(rollout.devices),
        tuple(StageView(spec.name, spec.share, state.value, spec.approval_required)
              for spec, state in zip(rollout.plan.stages, rollout.stages, strict=True)),
        rollout.reason, decisions)


@dataclass(frozen=True, slots=True)
class TickResult:
    """What one controller tick did: the decision taken (if any) and the evidence."""

    view: RolloutView
    action: RolloutAction
    judgement: HealthJudgement | None = None
    acknowledged: int = 0
    unreachable: tuple[str, ...] = field(default=())

    @property
    def converged(self) -> bool:
        """True when every device acknowledged the current epoch."""
        return not self.unreachable


@dataclass(frozen=True, slots=True)
class DecisionLogExport:
    """The verified decision log of a roll-out as evidence bytes (canonical JSON)."""

    rollout_id: str
    model: str
    entries: tuple[AuditEntry, ...]
    content: bytes
    digest: str
