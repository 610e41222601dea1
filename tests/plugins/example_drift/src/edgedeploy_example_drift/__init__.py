"""A third-party edgedeploy drift detector, shipped as its own distribution.

It compares each feature's mean in a window with the reference mean, in units of the
reference's standard error, and fires when the largest of those z-scores passes a
Bonferroni-corrected normal quantile: simple, deterministic, and attributable per feature.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from statistics import NormalDist
from typing import Any

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.drift import DetectorOutcome
from edgedeploy.domain.drift import DetectorCapability

FAMILY_WISE_ALARM_RATE = 0.004
"""The per-window false-alarm rate over all features together."""


class MeanShiftDetector:
    """Per-feature z-test of the window mean against the reference mean."""

    name = "example-mean-shift"
    capability = DetectorCapability.FEATURES
    default_weight = 0.5

    def __init__(self, api_version: int = 1) -> None:
        self.api_version = api_version
        self._mean: Any = None
        self._std: Any = None
        self._names: list[str] = []

    def fit(self, reference: Any, feature_names: Sequence[str],
            categorical: Collection[str] = ()) -> None:
        """Learn each feature's mean and spread."""
        import numpy as np

        rows = np.asarray(reference, dtype=float)
        if rows.ndim != 2 or rows.shape[0] < 2:
            raise InvalidInput("the reference needs at least two rows of features")
        self._mean = rows.mean(axis=0)
        self._std = np.maximum(rows.std(axis=0, ddof=1), 1e-12)
        self._names = list(feature_names) or [f"f{i}" for i in range(rows.shape[1])]

    def score(self, window: Any) -> DetectorOutcome:
        """The largest per-feature z-score against the corrected threshold."""
        import numpy as np

        if self._mean is None:
            raise InvalidInput("example-mean-shift is not fitted")
        rows = np.asarray(window, dtype=float)
        if rows.ndim != 2 or rows.shape[1] != self._mean.shape[0] or rows.shape[0] == 0:
            raise InvalidInput(f"window must have {self._mean.shape[0]} feature columns")
        z = np.abs(rows.mean(axis=0) - self._mean) / (self._std / np.sqrt(rows.shape[0]))
        threshold = NormalDist().inv_cdf(1 - FAMILY_WISE_ALARM_RATE / (2 * len(z)))
        statistic = float(z.max())
        return DetectorOutcome(
            statistic=statistic, threshold=threshold, fired=statistic >= threshold,
            contributions={n: float(v / threshold) for n, v in zip(self._names, z, strict=True)})


def factory() -> MeanShiftDetector:
    """Entry point ``example-mean-shift``."""
    return MeanShiftDetector()


def old_api_factory() -> MeanShiftDetector:
    """Entry point ``example-old-drift``: built for an API version edgedeploy no longer speaks."""
    return MeanShiftDetector(api_version=0)
