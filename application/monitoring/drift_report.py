"""Use case: the verdicts of the monitored deployments over time, for people and plots."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from edgedeploy.application.ports.persistence import UnitOfWorkFactory
from edgedeploy.domain.drift import DriftSeverity, DriftVerdict


@dataclass(frozen=True, slots=True)
class DeploymentDrift:
    """One deployment's verdicts over time and where it stands now.

    Attributes:
        deployment: the deployment.
        verdicts: its verdicts in window order.
        current: the severity of the newest verdict (normal when there is none).
        counts: number of verdicts at each severity.
        data_quality_alarms: number of windows reported as data-quality alarms.
        weights: the detector weights now in force (detector -> weight).
    """

    deployment: str
    verdicts: tuple[DriftVerdict, ...]
    current: DriftSeverity
    counts: tuple[tuple[DriftSeverity, int], ...]
    data_quality_alarms: int
    weights: tuple[tuple[str, float], ...]

    @property
    def peak(self) -> DriftSeverity:
        """The highest severity any verdict reached."""
        return max((v.severity for v in self.verdicts), default=DriftSeverity.NORMAL)


@dataclass(frozen=True, slots=True)
class DriftReportResult:
    """Every requested deployment's drift history."""

    deployments: tuple[DeploymentDrift, ...]


class DriftReport:
    """Collect verdicts over time per deployment, with severity counts and weights."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, deployment: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> DriftReportResult:
        """The drift history of ``deployment`` (or of all), optionally in a time range."""
        with self._uow() as work:
            repository = work.drift
            by_deployment: dict[str, list[DriftVerdict]] = {}
            for verdict in repository.verdicts(deployment, since, until):
                by_deployment.setdefault(verdict.deployment, []).append(verdict)
            entries = []
            for name in sorted(by_deployment):
                verdicts = sorted(by_deployment[name], key=lambda v: v.window_index)
                counts = Counter(v.severity for v in verdicts)
                weights = repository.weights(name).with_defaults(
                    {s.name: s.weight for s in verdicts[-1].scores} if verdicts else {})
                entries.append(DeploymentDrift(
                    name, tuple(verdicts),
                    verdicts[-1].severity if verdicts else DriftSeverity.NORMAL,
                    tuple((s, counts.get(s, 0)) for s in DriftSeverity),
                    sum(1 for v in verdicts if v.is_data_quality_alarm),
                    tuple(sorted(weights.values.items()))))
            return DriftReportResult(tuple(entries))
