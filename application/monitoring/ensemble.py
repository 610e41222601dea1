"""Judging one window with a set of fitted detectors, by the domain's voting rules.

Shared by the use cases and by the detectors' own ensemble adapter, so that the benchmark, the
demo and the service reach a verdict the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from edgedeploy.application.ports.drift import ColumnAwareDetector, DriftDetector, WindowData
from edgedeploy.domain.drift import (
    ColumnKind,
    ColumnProfile,
    DetectorCapability,
    DetectorScore,
    FeatureAttribution,
)
from edgedeploy.domain.drift_policy import (
    Decision,
    EnsembleWeights,
    SeverityPolicy,
    rank_attributions,
)


@dataclass(frozen=True, slots=True)
class Judgement:
    """Scores, vote and ranked attributions for one window."""

    scores: tuple[DetectorScore, ...]
    decision: Decision
    attributions: tuple[FeatureAttribution, ...]
    details: Mapping[str, Mapping[str, float]]


def default_weights(detectors: Sequence[DriftDetector]) -> dict[str, float]:
    """Each detector's own default weight, by name."""
    return {d.name: d.default_weight for d in detectors}


def is_active(detector: DriftDetector) -> bool:
    """Whether a fitted detector has anything to judge (see :class:`DriftDetector`)."""
    return bool(getattr(detector, "active", True))


def fit_detector(detector: DriftDetector, reference: WindowData,
                 columns: Sequence[ColumnProfile]) -> None:
    """Fit one detector, handing it the column kinds when it can use them."""
    if isinstance(detector, ColumnAwareDetector):
        detector.fit_columns(reference, columns)
    else:
        detector.fit(reference, [c.name for c in columns],
                     [c.name for c in columns if c.kind is ColumnKind.CATEGORICAL])


def judge(detectors: Sequence[DriftDetector], window: WindowData, weights: EnsembleWeights,
          previous_persistence: int, policy: SeverityPolicy) -> Judgement:
    """Score ``window`` with every active detector and apply the vote and persistence rule.

    Attributions are ranked by evidence; each carries the effect size reported for it (the
    largest one when several detectors measure the same feature).
    """
    active = [d for d in detectors if is_active(d)]
    effective = weights.with_defaults(default_weights(active))
    scores: list[DetectorScore] = []
    contributions: dict[str, Mapping[str, float]] = {}
    details: dict[str, Mapping[str, float]] = {}
    effects: dict[str, float] = {}
    for detector in active:
        outcome = detector.score(window)
        for feature, size in outcome.effects.items():
            effects[feature] = max(effects.get(feature, 0.0), size)
        scores.append(DetectorScore(detector.name, outcome.statistic, outcome.threshold,
                                    outcome.fired, effective.of(detector.name),
                                    outcome.p_value))
        if outcome.contributions:
            contributions[detector.name] = outcome.contributions
        if outcome.details:
            details[detector.name] = outcome.details
    decision = policy.decide(scores, previous_persistence)
    attributions = rank_attributions(contributions, effective.values, effects)
    return Judgement(tuple(scores), decision, attributions, details)


class DetectorPool:
    """Fitted detectors per deployment and reference, so each reference is fitted once.

    The composition root keeps one pool per process; a new reference digest refits.
    """

    def __init__(self, provider: Callable[[DetectorCapability], Sequence[DriftDetector]]) -> None:
        self._provider = provider
        self._fitted: dict[tuple[str, str], tuple[DriftDetector, ...]] = {}

    def fitted(self, deployment: str, digest: str, capability: DetectorCapability,
               reference: Callable[[], WindowData],
               columns: Sequence[ColumnProfile]) -> tuple[DriftDetector, ...]:
        """The detectors fitted on this deployment's reference (fitting them if needed).

        Detectors left with nothing to judge are dropped, so none votes on nothing.
        """
        key = (deployment, digest)
        if key not in self._fitted:
            rows = reference()
            detectors = tuple(self._provider(capability))
            for detector in detectors:
                fit_detector(detector, rows, columns)
            detectors = tuple(d for d in detectors if is_active(d))
            self._fitted = {k: v for k, v in self._fitted.items() if k[0] != deployment}
            self._fitted[key] = detectors
        return self._fitted[key]
