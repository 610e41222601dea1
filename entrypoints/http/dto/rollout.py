"""DTOs of canary roll-outs: where to deploy, human decisions, and where a roll-out stands."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from edgedeploy.domain.rollout import RolloutPhase, RolloutStage
from edgedeploy.domain.safety import ASIL
from edgedeploy.entrypoints.http.dto.common import Text

# --- input ----------------------------------------------------------------------------------


class DeployCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where to roll a version out: a FLEET.yaml on the server, or the same description inline.

    Give exactly one of ``fleet_file`` and ``fleet``. ``fleet_file`` names a file in the
    server's fleets directory (``rollout.fleets_dir``); relative paths inside an inline
    description (a local fleet's ``repository``) resolve there too, and no path may leave it.
    """

    fleet_file: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)] | None = None
    fleet: dict[str, Any] | None = None
    baseline: str | None = None


class ApprovalCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The caller's approval of the awaiting stage, with an optional note."""

    note: Text = ""


class RolloutActionCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Why the caller stops a roll-out."""

    reason: Text = ""


# --- output ---------------------------------------------------------------------------------


class DeployAcceptedView(msgspec.Struct, kw_only=True):
    """A roll-out started: where to follow it."""

    rollout_id: str
    phase: RolloutPhase
    status_url: str


class StageStatusView(msgspec.Struct, kw_only=True):
    """One stage: name, share of the fleet, state, and whether a person must approve it."""

    name: str
    share: float
    state: RolloutStage
    approval_required: bool


class RolloutStatusView(msgspec.Struct, kw_only=True):
    """Where a roll-out stands."""

    rollout_id: str
    fleet: str
    model: str
    baseline: str
    asil: ASIL
    phase: RolloutPhase
    current_stage: str
    stage_state: RolloutStage
    epoch: int
    canary_devices: int
    fleet_size: int
    reason: str
    decisions: int
    stages: list[StageStatusView]


class RolloutListView(msgspec.Struct, kw_only=True):
    """Journaled roll-outs, oldest first."""

    rollouts: list[RolloutStatusView]
    count: int


__all__ = [
    "ApprovalCreate", "DeployAcceptedView", "DeployCreate", "RolloutActionCreate",
    "RolloutListView", "RolloutStatusView", "StageStatusView",
]
