"""A third-party edgedeploy rollout target, shipped as its own distribution.

Fleet kind ``example-bench``: a test bench whose devices are listed in the FLEET.yaml and held
in memory. Every device acknowledges at once, takes only newer epochs, and reports an
inference count per command it accepted, which is enough to show how a fleet kind plugs in::

    name: bench-b
    kind: example-bench
    devices: [ecu-0, ecu-1]
    labels: {hardware: ecu-b}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.rollout import ApplyResult
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState, DeviceInfo


class BenchFleet:
    """The devices of one bench and what each was last told to run."""

    def __init__(self, devices: Sequence[str], labels: Mapping[str, str]) -> None:
        self._devices = [DeviceInfo(d, dict(labels)) for d in devices]
        self._epochs = dict.fromkeys(devices, 0)
        self._models: dict[str, ModelRef | None] = dict.fromkeys(devices)
        self._accepted: dict[str, int] = dict.fromkeys(devices, 0)

    def devices(self) -> list[DeviceInfo]:
        """Every bench device."""
        return list(self._devices)

    def apply(self, states: Sequence[DesiredState]) -> ApplyResult:
        """Known devices acknowledge; unknown ones are unreachable."""
        acked, missed = [], []
        for state in states:
            if state.device_id not in self._epochs:
                missed.append(state.device_id)
                continue
            if state.epoch > self._epochs[state.device_id]:
                self._epochs[state.device_id] = state.epoch
                self._models[state.device_id] = state.model
                self._accepted[state.device_id] += 1
            acked.append(state.device_id)
        return ApplyResult(tuple(acked), tuple(missed))

    def health(self, device_ids: Sequence[str], model: ModelRef,
               since: datetime) -> HealthWindow:
        """One hundred clean inferences per accepted command on devices running ``model``."""
        serving = [d for d in device_ids if self._models.get(d) == model]
        return HealthWindow(inferences=100 * sum(self._accepted[d] for d in serving),
                            devices=len(serving))

    def running(self, device_ids: Sequence[str]) -> dict[str, ModelRef | None]:
        """What each device runs (None for an unknown one)."""
        return {d: self._models.get(d) for d in device_ids}

    def close(self) -> None:
        """Nothing to release."""


class BenchFleetKind:
    """Opens ``example-bench`` fleets (the object the entry point's factory returns)."""

    api_version = 1

    def open(self, description: Mapping[str, Any], base_dir: Path) -> BenchFleet:
        """The bench a FLEET.yaml describes.

        Raises:
            InvalidInput: ``devices`` is missing or empty.
        """
        devices = description.get("devices")
        if not isinstance(devices, list) or not devices:
            raise InvalidInput("an example-bench fleet needs a non-empty 'devices' list")
        return BenchFleet([str(d) for d in devices],
                          {str(k): str(v) for k, v in (description.get("labels") or {}).items()})


def factory() -> BenchFleetKind:
    """Entry point ``example-bench``."""
    return BenchFleetKind()
