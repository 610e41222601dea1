"""Roll-outs over HTTP: start one on a fleet, follow it, approve, abort or roll it back.

Roll-outs started here are driven by :class:`RolloutTicker`, a background thread the app
starts on start-up and stops on shutdown: every ``interval_s`` it ticks each roll-out it owns
(judging health, promoting, rolling back) until the roll-out is final and every device
acknowledged, then closes that fleet. Human commands on a roll-out the ticker drives go
through the same engine under the same lock, so a command and a tick never race on the
journal. A roll-out the ticker does not drive (started from the CLI, or before a restart) is
still readable and commandable; its devices follow when a controller reconciles the fleet
(``edgedeploy rollout resume``).
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import msgspec
import structlog
import yaml
from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from edgedeploy.adapters.fleet import FleetDescription, SimulatedFleet
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.system import Clock
from edgedeploy.application.rollout import RolloutView
from edgedeploy.domain.models import ModelRef
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.http.state import container_of
from edgedeploy.entrypoints.rollout_container import RolloutControls, require_ready, start_command

log = structlog.get_logger(__name__)

Text = Annotated[str, msgspec.Meta(max_length=4000)]


class DeployCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where to roll a version out: a FLEET.yaml on the server, or the same description inline.

    Relative paths inside an inline description (a local fleet's ``repository``) resolve
    against the server's working directory.
    """

    fleet_file: str | None = None
    fleet: dict[str, Any] | None = None
    baseline: str | None = None


class ApprovalCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A recorded human approval."""

    approver: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    note: Text = ""


class RolloutActionCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Who stops a roll-out and why (the server's configured actor by default)."""

    actor: str | None = None
    reason: Text = ""


class DeployAcceptedView(msgspec.Struct, kw_only=True):
    """A roll-out started: where to follow it."""

    rollout_id: str
    phase: str
    status_url: str


@dataclass
class _Driven:
    controls: RolloutControls
    fleet: FleetDescription

    def close(self) -> None:
        close_fleet(self.fleet)


def close_fleet(fleet: FleetDescription) -> None:
    """Release a fleet's connections (and stop its agents when it spawned them)."""
    close = getattr(fleet.target, "close", None)
    if close is not None:
        close()


class RolloutTicker:
    """The background controller of the roll-outs started over HTTP."""

    def __init__(self, container: Container, interval_s: float = 1.0) -> None:
        self._container = container
        self._interval_s = interval_s
        self._driven: dict[str, _Driven] = {}
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start ticking (app start-up)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="rollout-ticker",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop ticking and release every fleet (app shutdown); journaled state is kept."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        with self.lock:
            for driven in self._driven.values():
                driven.close()
            self._driven.clear()

    def open(self, fleet: FleetDescription) -> RolloutControls:
        """Use cases over an engine for ``fleet`` (its clock when it is simulated)."""
        rollout = self._container.rollout
        clock: Clock = (fleet.target.clock if isinstance(fleet.target, SimulatedFleet)
                        else self._container.clock())
        controls: RolloutControls = rollout.controls(
            engine=rollout.engine(target=fleet.target, clock=clock))
        return controls

    def drive(self, rollout_id: str, controls: RolloutControls,
              fleet: FleetDescription) -> None:
        """Tick ``rollout_id`` in the background from now on; the ticker owns ``fleet``."""
        with self.lock:
            self._driven[rollout_id] = _Driven(controls, fleet)

    def driving(self, rollout_id: str) -> bool:
        """True while the ticker still drives ``rollout_id``."""
        with self.lock:
            return rollout_id in self._driven

    def controls_for(self, rollout_id: str) -> RolloutControls:
        """The driving engine's use cases, or journal-only ones for another roll-out."""
        with self.lock:
            driven = self._driven.get(rollout_id)
        if driven is not None:
            return driven.controls
        detached: RolloutControls = self._container.rollout.controls()
        return detached

    def tick_all(self) -> None:
        """One tick of every driven roll-out; finished ones are released."""
        with self.lock:
            items = list(self._driven.items())
        for rollout_id, driven in items:
            with self.lock:
                try:
                    if isinstance(driven.fleet.target, SimulatedFleet):
                        driven.fleet.target.advance()
                    result = driven.controls.tick(rollout_id)
                except Exception as exc:
                    # One fleet's failure must not stop the others; the next tick retries.
                    log.error("rollout.tick_failed", rollout=rollout_id, exc_info=exc)
                    continue
                if result.view.phase in ("completed", "rolled_back", "aborted") \
                        and result.converged:
                    self._driven.pop(rollout_id, None)
                    driven.close()
                    log.info("rollout.released", rollout=rollout_id, phase=result.view.phase)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.tick_all()



def _ticker(state: State) -> RolloutTicker:
    ticker: RolloutTicker = state.rollout_ticker
    return ticker


def _load_fleet(container: Container, data: DeployCreate) -> FleetDescription:
    if (data.fleet_file is None) == (data.fleet is None):
        raise InvalidInput("give exactly one of fleet_file (a path on the server) and fleet "
                           "(an inline fleet description)", code="FLEET_INVALID")
    if data.fleet_file is not None:
        if not Path(data.fleet_file).is_file():
            raise InvalidInput(f"fleet file '{data.fleet_file}' is not a file on the server",
                               code="FLEET_INVALID")
        from_file: FleetDescription = container.rollout.fleet(data.fleet_file)
        return from_file
    with tempfile.TemporaryDirectory(prefix="fleet-") as folder:
        path = Path(folder) / f"{(data.fleet or {}).get('name', 'fleet')}.yaml"
        description = dict(data.fleet or {})
        if description.get("kind") == "local":
            for key in ("repository", "home"):
                if key in description:
                    description[key] = str(Path(description[key]).resolve())
        path.write_text(yaml.safe_dump(description), encoding="utf-8")
        inline: FleetDescription = container.rollout.fleet(str(path))
        return inline


class RolloutController(Controller):
    """Start, follow and steer roll-outs."""

    path = "/api/v1"
    tags = ["rollout"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post("/deploy/{ver:str}", sync_to_thread=True, status_code=202)
    def deploy(self, state: State, ver: FromPath[str],
               data: DeployCreate) -> Response[DeployAcceptedView]:
        """Start a canary roll-out of ``ver``: 202 with its id, or 409 listing the reasons."""
        container, ticker = container_of(state), _ticker(state)
        ref = ModelRef.parse(ver)
        baseline = ModelRef.parse(data.baseline) if data.baseline else None
        require_ready(container.rollout.readiness(), ref)
        fleet = _load_fleet(container, data)
        try:
            controls = ticker.open(fleet)
            with ticker.lock:
                view = controls.start(start_command(
                    container.uow, container.evaluate_gate(),
                    container.trace_store(), fleet.name, ref, baseline,
                    container.config.actor()))
                ticker.drive(view.rollout_id, controls, fleet)
        except BaseException:
            close_fleet(fleet)
            raise
        url = f"/api/v1/rollouts/{view.rollout_id}"
        return Response(DeployAcceptedView(rollout_id=view.rollout_id, phase=view.phase,
                                           status_url=url),
                        status_code=202, headers={"Location": url})

    @get("/rollouts/{rollout_id:str}", sync_to_thread=True)
    def status(self, state: State, rollout_id: FromPath[str]) -> dict[str, Any]:
        """A roll-out's stages, phase and decision count (404 when unknown)."""
        view: RolloutView = container_of(state).rollout.rollout_status()(rollout_id)
        return view.to_dict()

    @post("/rollouts/{rollout_id:str}/approve", sync_to_thread=True, status_code=200)
    def approve(self, state: State, rollout_id: FromPath[str],
                data: ApprovalCreate) -> dict[str, Any]:
        """Record the approval the current stage awaits (409 when it awaits none)."""
        ticker = _ticker(state)
        with ticker.lock:
            view = ticker.controls_for(rollout_id).approve(rollout_id, data.approver,
                                                           data.note)
        return view.to_dict()

    @post("/rollouts/{rollout_id:str}/abort", sync_to_thread=True, status_code=200)
    def abort(self, state: State, rollout_id: FromPath[str],
              data: JSONBody[RolloutActionCreate | None] = None) -> dict[str, Any]:
        """Stop a running roll-out; devices return to the baseline (409 when final)."""
        ticker, action = _ticker(state), data or RolloutActionCreate()
        actor = action.actor or container_of(state).config.actor()
        with ticker.lock:
            view = ticker.controls_for(rollout_id).abort(rollout_id, actor, action.reason)
        return view.to_dict()

    @post("/rollouts/{rollout_id:str}/rollback", sync_to_thread=True, status_code=200)
    def rollback(self, state: State, rollout_id: FromPath[str],
                 data: JSONBody[RolloutActionCreate | None] = None) -> dict[str, Any]:
        """Send every device back to the baseline, also after completion."""
        ticker, action = _ticker(state), data or RolloutActionCreate()
        actor = action.actor or container_of(state).config.actor()
        with ticker.lock:
            view = ticker.controls_for(rollout_id).rollback(rollout_id, actor, action.reason)
        return view.to_dict()
