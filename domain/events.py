"""Domain events: facts one capability records that another one acts on.

A use case adds events to its unit of work while it works; the unit of work hands them out
only after its transaction committed (``collect_events``), and the application's message bus
passes them to the handlers the composition root registered. So a roll-out that finishes links
its deployment into the trace, and a critical drift verdict raises an alert, without the
roll-out controller or the drift monitor knowing about traces or alerts, and without anything
acting on work that was rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from edgedeploy.domain.drift import DriftSeverity, DriftVerdict
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import Rollout, RolloutPhase


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of every event; subclasses are frozen values named in the past tense."""


@dataclass(frozen=True, slots=True)
class RolloutFinished(DomainEvent):
    """A roll-out reached a final phase: completed, rolled back or aborted (SR_ROLL_040).

    Raised again when a completed roll-out is later rolled back, since the deployment the
    trace records has changed.
    """

    rollout_id: str
    fleet: str
    model: ModelRef
    phase: RolloutPhase
    reason: str
    epoch: int


@dataclass(frozen=True, slots=True)
class CriticalDriftDetected(DomainEvent):
    """A drift verdict reached the critical severity: the deployment needs attention now."""

    verdict_id: str
    deployment: str
    window_index: int
    observed_at: datetime
    severity: DriftSeverity
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DataQualityDetected(DomainEvent):
    """A window showed a data-quality problem (SR_MON_004), whatever the drift severity.

    A stuck sensor, a constant column that changed or started varying, or too many missing
    values to judge the window.
    """

    verdict_id: str
    deployment: str
    window_index: int
    observed_at: datetime
    severity: DriftSeverity
    findings: tuple[str, ...]


def rollout_events(before: Rollout, after: Rollout) -> tuple[DomainEvent, ...]:
    """The events a change of a roll-out from ``before`` to ``after`` raises."""
    if after.phase is before.phase or not after.phase.is_final:
        return ()
    return (RolloutFinished(after.rollout_id, after.fleet, after.model, after.phase,
                            after.reason, after.epoch),)


def verdict_events(verdict: DriftVerdict) -> tuple[DomainEvent, ...]:
    """The events recording ``verdict`` raises."""
    events: list[DomainEvent] = []
    if verdict.severity is DriftSeverity.CRITICAL:
        reasons: Sequence[str] = [f"{a.feature} ({a.detector}, score {a.score:.3g})"
                                  for a in verdict.attributions[:5]]
        events.append(CriticalDriftDetected(verdict.id, verdict.deployment,
                                            verdict.window_index, verdict.observed_at,
                                            verdict.severity, tuple(reasons)))
    if verdict.findings or verdict.data_quality:
        findings = tuple(f.detail for f in verdict.findings) + tuple(
            f"window not judged: {flag.value}" for flag in verdict.data_quality)
        severity = max([DriftSeverity.WARNING, *(f.severity for f in verdict.findings)])
        events.append(DataQualityDetected(verdict.id, verdict.deployment, verdict.window_index,
                                          verdict.observed_at, severity, findings))
    return tuple(events)


__all__ = [
    "CriticalDriftDetected",
    "DataQualityDetected",
    "DomainEvent",
    "RolloutFinished",
    "rollout_events",
    "verdict_events",
]
