"""Ports of the roll-out controller: the fleet, the journal and the release readiness check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from edgedeploy.domain.audit import AuditEntry
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState, DeviceInfo, Rollout


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What became of desired-state commands sent to a fleet.

    ``acknowledged`` devices run (or already ran) the desired epoch; ``unreachable`` ones
    did not answer and get the command again on a later tick.
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
class RolloutJournal(Protocol):
    """Durable roll-out state and its hash-chained decision log.

    ``record`` stores the new state and the decision that led to it in one transaction, so a
    controller killed at any point resumes from a state that matches its log.
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
