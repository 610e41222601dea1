"""The background controller of roll-outs started by a long-running service (the HTTP API).

Every ``interval_s`` the ticker ticks each roll-out it owns (judging health, promoting,
rolling back) until the roll-out is final and every device acknowledged, then closes that
fleet. Human commands on a roll-out the ticker drives go through the same engine under the
same lock, so a command and a tick never race on the journal. A roll-out the ticker does not
drive (started from the CLI, or before a restart) is still readable and commandable; its
devices follow when a controller reconciles the fleet (``edgedeploy rollout resume``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from edgedeploy.application.ports.rollout import FleetDriver
from edgedeploy.application.rollout.controls import RolloutControls, RolloutFleets
from edgedeploy.application.rollout.start import StartRolloutCommand
from edgedeploy.application.rollout.views import RolloutView
from edgedeploy.domain.rollout import RolloutPhase

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Driven:
    controls: RolloutControls
    fleet: FleetDriver


class RolloutTicker:
    """Drives roll-outs in a background thread; ``start``/``stop`` follow the service."""

    def __init__(self, fleets: RolloutFleets, interval_s: float = 1.0) -> None:
        self._fleets = fleets
        self._interval_s = interval_s
        self._driven: dict[str, _Driven] = {}
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start ticking (service start-up)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="rollout-ticker",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop ticking and release every fleet (service shutdown); journaled state is kept."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        with self.lock:
            for driven in self._driven.values():
                driven.fleet.close()
            self._driven.clear()

    def launch(self, fleet: FleetDriver,
               command: Callable[[str], StartRolloutCommand]) -> RolloutView:
        """Start a roll-out on ``fleet`` and drive it from now on; the ticker owns ``fleet``.

        ``command`` builds the start command from the fleet's name. When anything fails the
        fleet is closed and nothing is driven.
        """
        try:
            controls = self._fleets.bind(fleet)
            with self.lock:
                view = controls.start(command(fleet.name))
                self._driven[view.rollout_id] = _Driven(controls, fleet)
        except BaseException:
            fleet.close()
            raise
        return view

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
        return self._fleets.detached()

    def tick_all(self) -> None:
        """One tick of every driven roll-out; finished ones are released."""
        with self.lock:
            items = list(self._driven.items())
        for rollout_id, driven in items:
            with self.lock:
                try:
                    driven.fleet.elapse(self._interval_s)
                    result = driven.controls.tick(rollout_id)
                except Exception as exc:
                    # One fleet's failure must not stop the others; the next tick retries.
                    log.error("rollout.tick_failed", rollout=rollout_id, exc_info=exc)
                    continue
                if RolloutPhase(result.view.phase).is_final and result.converged:
                    self._driven.pop(rollout_id, None)
                    driven.fleet.close()
                    log.info("rollout.released", rollout=rollout_id, phase=result.view.phase)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.tick_all()
