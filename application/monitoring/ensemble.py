"""Judging one window with a set of fitted detectors, by the domain's voting rules.

Shared by the use cases and by the detectors' own ensemble adapter, so that the benchmark, the
demo and the service reach a verdict the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from edgedeploy.application.ports.drift import DriftDetector, WindowData
from edgedeploy.domain.drift import DetectorCapability, DetectorScore, FeatureAttribution
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


def judge(detectors: Sequence[DriftDetector], window: WindowData, weights: EnsembleWeights,
          previous_persistence: int, policy: SeverityPolicy) -> Judgement:
    """Score ``window`` with every detector and apply the vote and the persistence rule."""
    effective = weights.with_defaults(default_weights(detectors))
    scores: list[DetectorScore] = []
    contributions: dict[str, Mapping[str, float]] = {}
    details: dict[str, Mapping[str, float]] = {}
    for detector in detectors:
        outcome = detector.score(window)
        scores.append(DetectorScore(detector.name, outcome.statistic, outcome.threshold,
                                    outcome.fired, effective.of(detector.name),
                                    outcome.p_value))
        if outcome.contributions:
            contributions[detector.name] = outcome.contributions
        if outcome.details:
            details[detector.name] = outcome.details
    decision = policy.decide(scores, previous_persistence)
    attributions = rank_attributions(contributions, effective.values)
    return Judgement(tuple(scores), decision, attributions, details)


class DetectorPool:
    """Fitted detectors per deployment and reference, so each reference is fitted once.

    The composition root keeps one pool per process; a new reference digest refits.
    """

    def __init__(self, provider: Callable[[DetectorCapability], Sequence[DriftDetector]]) -> None:
        self._provider = provider
        self._fitted: dict[tuple[str, str], tuple[DriftDetector, ...]] = {}

    def fitted(self, deployment: str, digest: str, capability: DetectorCapability,
               reference: Callable[[], WindowData], feature_names: Sequence[str],
               categorical: Sequence[str]) -> tuple[DriftDetector, ...]:
        """The detectors fitted on this deployment's reference (fitting them if needed)."""
        key = (deployment, digest)
        if key not in self._fitted:
            rows = reference()
            detectors = tuple(self._provider(capability))
            for detector in detectors:
                detector.fit(rows, feature_names, categorical)
            self._fitted = {k: v for k, v in self._fitted.items() if k[0] != deployment}
            self._fitted[key] = detectors
        return self._fitted[key]
