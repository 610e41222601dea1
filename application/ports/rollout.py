"""Ports of the roll-out controller: the fleet, the journal and the release readiness check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.audit import AuditEntry
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState, DeviceInfo, Rollout


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What became of desired-state commands sent to a fleet.

    ``acknowledged`` devices report serving the desired state (model, digest, epoch);
    ``unreachable`` ones did not answer or do not report it, and get the command again on a
    later tick.
    """

    acknowledged: tuple[str, ...]
    unreachable: tuple[str, ...]


@runtime_checkable
class RolloutTarget(Protocol):
    """A fleet of edge devices the controller can command and observe."""

    def devices(self) -> list[DeviceInfo]:
        """Every device of the fleet with its labels."""
        ...

    def apply(self, states: Sequence[DesiredState]) -> ApplyResult:
        """Send desired states; a device ignores an epoch older than or equal to its own.

        Never raises for an unreachable device: it is reported in ``unreachable``.
        """
        ...

    def health(self, device_ids: Sequence[str], model: ModelRef,
               since: datetime) -> HealthWindow:
        """Health of ``model`` on ``device_ids`` since ``since``, summed over the devices."""
        ...

    def running(self, device_ids: Sequence[str]) -> dict[str, ModelRef | None]:
        """The model each device serves now (None when unreachable or serving nothing)."""
        ...


@runtime_checkable
class ReportsEpochs(Protocol):
    """A fleet whose devices report the epoch they are at (edge agents do).

    Optional beside :class:`RolloutTarget`: a controller whose journal is newer than its
    devices (a restored or replaced controller database) must start above what the devices
    already run, or every device refuses its commands as older than its own.
    """

    def reported_epochs(self, device_ids: Sequence[str]) -> dict[str, int | None]:
        """The epoch each device reports (None when unreachable)."""
        ...


@runtime_checkable
class RolloutJournal(Protocol):
    """Durable roll-out state and its hash-chained decision log: the unit of work's ``rollouts``.

    ``record`` stores the new state and the decision that led to it in the unit of work's
    transaction, so a controller killed at any point resumes from a state that matches its log.
    """

    def create(self, rollout: Rollout, entry: AuditEntry) -> None:
        """Store a new roll-out with its first decision."""
        ...

    def record(self, rollout: Rollout, entry: AuditEntry, expected_epoch: int) -> None:
        """Store the roll-out's new state with its decision, all or nothing.

        Raises:
            Conflict: the stored epoch is no longer ``expected_epoch`` (another controller
                moved the roll-out on).
        """
        ...

    def get(self, rollout_id: str) -> Rollout:
        """One roll-out; raises ``NotFound`` when unknown."""
        ...

    def active(self, fleet: str) -> Rollout | None:
        """The roll-out on ``fleet`` that is not final, if any."""
        ...

    def latest(self, fleet: str) -> Rollout | None:
        """The most recently created roll-out on ``fleet``."""
        ...

    def max_epoch(self, fleet: str) -> int:
        """The highest epoch ever used on ``fleet`` (0 for a new fleet)."""
        ...

    def decisions(self, rollout_id: str) -> list[AuditEntry]:
        """The roll-out's decision log, oldest first."""
        ...

    def list_ids(self, fleet: str | None = None) -> list[str]:
        """Ids of every roll-out (of ``fleet`` when given), oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether a model version may reach devices, and why not."""

    ready: bool
    reasons: tuple[str, ...] = ()


@runtime_checkable
class ReleaseReadiness(Protocol):
    """The release gate before the first device is touched (SR_ROLL_010)."""

    def check(self, model: ModelRef) -> Readiness:
        """Trace gate and verification report of ``model``: both must pass."""
        ...


FleetSource = str | Path | Mapping[str, Any]
"""Where a fleet is described: a ``FLEET.yaml`` path, or the same description as a mapping."""


@runtime_checkable
class FleetDriver(Protocol):
    """A fleet opened for a controller, which knows how time passes on it.

    Devices in the field live in real time: the controller reads its own clock and sleeps
    between ticks. A simulated fleet keeps its own clock and moves one health window per
    tick instead. The driver says which, so callers never ask what kind of fleet they hold.
    """

    @property
    def name(self) -> str:
        """The fleet's name in the journal."""
        ...

    @property
    def target(self) -> RolloutTarget:
        """What the controller commands and observes."""
        ...

    @property
    def clock(self) -> Clock | None:
        """The fleet's own time, or None when the controller's clock applies."""
        ...

    def pace(self, seconds: float) -> None:
        """Let the time between two ticks pass (blocking controllers call this)."""
        ...

    def elapse(self, seconds: float) -> None:
        """``seconds`` of real time passed elsewhere (a background ticker's own timer)."""
        ...

    def close(self) -> None:
        """Release connections, and stop agent processes the fleet started."""
        ...
