"""A stand-in fleet for commands run where no fleet is reachable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from edgedeploy.application.ports.rollout import ApplyResult
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState, DeviceInfo


class JournalOnlyTarget:
    """:class:`edgedeploy.application.ports.rollout.RolloutTarget` that reaches no device.

    Every device is reported unreachable, which the engine treats as "send again later":
    the decision is journaled now and reaches devices when a controller with the fleet
    (``edgedeploy rollout resume``, the HTTP ticker) reconciles next.
    """

    def devices(self) -> list[DeviceInfo]:
        """No devices are known here."""
        return []

    def apply(self, states: Sequence[DesiredState]) -> ApplyResult:
        """Nothing is delivered; every addressed device owes an acknowledgement."""
        return ApplyResult((), tuple(s.device_id for s in states))

    def health(self, device_ids: Sequence[str], model: ModelRef,
               since: datetime) -> HealthWindow:
        """No observations."""
        return HealthWindow()

    def running(self, device_ids: Sequence[str]) -> dict[str, ModelRef | None]:
        """Unknown for every device."""
        return dict.fromkeys(device_ids)
