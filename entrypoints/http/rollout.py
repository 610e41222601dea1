"""Roll-outs over HTTP: start one on a fleet, follow it, approve, abort or roll it back.

Roll-outs started here are driven by the container's
:class:`~edgedeploy.application.rollout.RolloutTicker`, which the app starts on start-up and
stops on shutdown. Human commands on a roll-out the ticker drives go through the same engine
under the ticker's lock, so a command and a tick never race on the journal.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, FromQuery

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.rollout import FleetSource
from edgedeploy.application.rollout import (
    ListRollouts,
    PrepareRollout,
    RolloutFleets,
    RolloutStatus,
    RolloutTicker,
)
from edgedeploy.domain.identity import Permission, Principal
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import RolloutPhase
from edgedeploy.entrypoints.http.auth import guarded
from edgedeploy.entrypoints.http.dto import view
from edgedeploy.entrypoints.http.dto.common import ModelVersionPath
from edgedeploy.entrypoints.http.dto.rollout import (
    ApprovalCreate,
    DeployAcceptedView,
    DeployCreate,
    RolloutActionCreate,
    RolloutListView,
    RolloutStatusView,
)
from edgedeploy.entrypoints.http.problems import problem_responses

UNKNOWN = "No roll-out has this id."
BAD_VERSION = "The model version is not of the form ``name@version``."
DEPLOY_EXAMPLE = Example(
    summary="A FLEET.yaml in the server's fleets directory, with the version to fall back to",
    value={"fleet_file": "eu-test-fleet.yaml",
           "baseline": "aeb-perception@1.0.0"})
ACTION_EXAMPLE = Example(summary="Why the roll-out is stopped",
                         value={"reason": "field report 4711"})
APPROVAL_EXAMPLE = Example(summary="A release manager's approval",
                           value={"note": "canary reviewed"})


def _fleet_source(data: DeployCreate) -> FleetSource:
    if (data.fleet_file is None) == (data.fleet is None):
        raise InvalidInput("give exactly one of fleet_file (a file in the server's fleets "
                           "directory) and fleet "
                           "(an inline fleet description)", code="FLEET_INVALID")
    return data.fleet_file if data.fleet_file is not None else data.fleet or {}


class RolloutController(Controller):
    """Start, follow and steer roll-outs."""

    path = "/api/v1"
    tags = ["rollout"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post("/deploy/{ver:str}", sync_to_thread=True, status_code=202,
          summary="Start a canary roll-out", **guarded(Permission.DEPLOY),
          responses=problem_responses(
              400, 404, 409, 413, 415, 422, s404="The version or the baseline is not "
              "registered.", s409="The version is not ready (``reasons`` lists why), or the "
              "fleet already runs a roll-out.", s422=BAD_VERSION))
    def deploy(
        self,
        ver: ModelVersionPath,
        data: Annotated[DeployCreate, Body(examples=[DEPLOY_EXAMPLE])],
        prepare_rollout: NamedDependency[PrepareRollout],
        rollout_fleets: NamedDependency[RolloutFleets],
        rollout_ticker: NamedDependency[RolloutTicker],
        principal: NamedDependency[Principal],
    ) -> Response[DeployAcceptedView]:
        """Start a canary roll-out of ``ver``: 202 with its id, or 409 listing the reasons.

        The release gate is checked before the fleet is even opened; from then on the
        server's ticker drives the roll-out stage by stage and rolls back on bad health. The
        caller is recorded as the starter, who may not approve its own roll-out's stages.
        """
        ref = ModelRef.parse(ver)
        baseline = ModelRef.parse(data.baseline) if data.baseline else None
        source = _fleet_source(data)
        prepare_rollout.require_ready(ref)
        fleet = rollout_fleets.open_request_fleet(source)
        started = rollout_ticker.launch(
            fleet, lambda name: prepare_rollout(name, ref, baseline, actor=principal))
        url = f"/api/v1/rollouts/{started.rollout_id}"
        return Response(view({"rollout_id": started.rollout_id, "phase": started.phase,
                              "status_url": url}, DeployAcceptedView),
                        status_code=202, headers={"Location": url})

    @get("/rollouts", sync_to_thread=True, summary="List roll-outs", **guarded(Permission.READ),
         responses=problem_responses(400))
    def list_rollouts(
        self,
        list_rollouts: NamedDependency[ListRollouts],
        fleet: FromQuery[str | None] = None,
        phase: FromQuery[RolloutPhase | None] = None,
    ) -> RolloutListView:
        """Every journaled roll-out, oldest first, optionally of one fleet or in one phase."""
        found = list_rollouts(fleet, phase)
        return RolloutListView(rollouts=[view(v, RolloutStatusView) for v in found],
                               count=len(found))

    @get("/rollouts/{rollout_id:str}", sync_to_thread=True, summary="Roll-out status",
         **guarded(Permission.READ),
         responses=problem_responses(400, 404, s404=UNKNOWN))
    def status(self, rollout_id: FromPath[str],
               rollout_status: NamedDependency[RolloutStatus]) -> RolloutStatusView:
        """A roll-out's stages, phase and decision count."""
        return view(rollout_status(rollout_id), RolloutStatusView)

    @post("/rollouts/{rollout_id:str}/approve", sync_to_thread=True, status_code=200,
          summary="Approve the awaiting stage", **guarded(Permission.APPROVE),
          responses=problem_responses(400, 404, 409, 413, 415, s404=UNKNOWN,
                                      s409="The current stage awaits no approval."))
    def approve(self, rollout_id: FromPath[str],
                data: Annotated[ApprovalCreate, Body(examples=[APPROVAL_EXAMPLE])],
                rollout_ticker: NamedDependency[RolloutTicker],
                principal: NamedDependency[Principal]) -> RolloutStatusView:
        """Record the caller's approval of the current stage; once enough, it moves on.

        Higher ASILs demand a person's approval before the next share of the fleet: below
        ASIL C one release manager's, at C and D two distinct ones'; never the starter's.
        """
        with rollout_ticker.lock:
            result = rollout_ticker.controls_for(rollout_id).approve(rollout_id, principal,
                                                                     data.note)
        return view(result, RolloutStatusView)

    @post("/rollouts/{rollout_id:str}/abort", sync_to_thread=True, status_code=200,
          summary="Abort a roll-out", **guarded(Permission.ABORT),
          responses=problem_responses(400, 404, 409, 413, 415, s404=UNKNOWN,
                                      s409="The roll-out is already final."))
    def abort(
        self,
        rollout_id: FromPath[str],
        rollout_ticker: NamedDependency[RolloutTicker],
        principal: NamedDependency[Principal],
        data: Annotated[RolloutActionCreate | None, Body(examples=[ACTION_EXAMPLE])] = None,
    ) -> RolloutStatusView:
        """Stop a running roll-out; devices return to the baseline.

        The body (a reason) is optional; the caller is recorded as who did it.
        """
        action = data or RolloutActionCreate()
        with rollout_ticker.lock:
            result = rollout_ticker.controls_for(rollout_id).abort(
                rollout_id, principal, action.reason)
        return view(result, RolloutStatusView)

    @post("/rollouts/{rollout_id:str}/rollback", sync_to_thread=True, status_code=200,
          summary="Roll a roll-out back", **guarded(Permission.ROLLBACK),
          responses=problem_responses(400, 404, 409, 413, 415, s404=UNKNOWN))
    def rollback(
        self,
        rollout_id: FromPath[str],
        rollout_ticker: NamedDependency[RolloutTicker],
        principal: NamedDependency[Principal],
        data: Annotated[RolloutActionCreate | None, Body(examples=[ACTION_EXAMPLE])] = None,
    ) -> RolloutStatusView:
        """Send every device back to the baseline, also after completion.

        The body (a reason) is optional; the caller is recorded as who did it.
        """
        action = data or RolloutActionCreate()
        with rollout_ticker.lock:
            result = rollout_ticker.controls_for(rollout_id).rollback(
                rollout_id, principal, action.reason)
        return view(result, RolloutStatusView)
