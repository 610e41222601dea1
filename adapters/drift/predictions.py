"""Drift of a model's outputs: predicted-class frequencies, the softmax simplex, confidence.

A ``predictions`` window holds either one column per class with softmax probabilities (rows in
[0, 1] summing to 1) or a single column of predicted class ids. Three detectors judge it:

* :class:`LabelShiftDetector` is black-box shift detection (Lipton et al. 2018, Rabanser et al.
  2019): a chi-square test of the predicted-class frequencies against the reference's. A
  change of the class mix in the field shows there first, and each class's own two-proportion
  test says which class moved.
* :class:`SimplexDetector` tests each class's probability column with the tie-aware
  Anderson-Darling/Mood family: a distribution test on the simplex that also sees shifts the
  arg-max hides (a class becoming a close second more often).
* :class:`ConfidenceDetector` compares the per-row maximum probability and entropy: a model
  growing unsure (or over-sure) on field data.

Ground truth, when it arrives, goes to the ``stream`` detectors (ADWIN, CUSUM) instead.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import numpy as np

from edgedeploy.adapters.drift.arrays import Matrix, as_matrix
from edgedeploy.adapters.drift.columns import profile_columns
from edgedeploy.adapters.drift.univariate import KsCvmDetector, pooled_chi_square
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.drift import DetectorOutcome, WindowData
from edgedeploy.domain.drift import ColumnKind, ColumnProfile, DetectorCapability

SUM_TOLERANCE = 1e-3
"""How far a row of probabilities may sum from 1 (float32 softmax outputs round)."""
_TINY = 1e-300


def probabilities(window: WindowData) -> Matrix | None:
    """The window's rows as probabilities, or None when it is one column of class ids.

    Raises:
        InvalidInput: several columns that are not probabilities summing to 1 per row.
    """
    data = as_matrix(window)
    if data.shape[1] == 1:
        return None
    sums = data.sum(axis=1)
    if data.size and (data.min() < -SUM_TOLERANCE or data.max() > 1.0 + SUM_TOLERANCE
                      or np.abs(sums - 1.0).max() > SUM_TOLERANCE):
        raise InvalidInput("a predictions window holds one column of class ids or one column "
                           "per class of probabilities summing to 1 per row (apply softmax "
                           "to logits first)", code="DRIFT_WINDOW_UNREADABLE")
    return data


def predicted_classes(window: WindowData) -> Matrix:
    """The predicted class of every row: the arg-max column, or the id as given."""
    data = as_matrix(window)
    probs = probabilities(data)
    if probs is None:
        return data[:, 0]
    classes: Matrix = probs.argmax(axis=1).astype(np.float64)
    return classes


class LabelShiftDetector:
    """Black-box shift detection: chi-square on the predicted-class frequencies.

    The firing rule is the pooled chi-square test at ``alpha``. Each class's evidence comes
    from its own two-proportion z-test, in units of ``log(alpha / K)`` (1.0: that class alone
    would fire at a Bonferroni level), and its effect is the change of its share.
    """

    capability = DetectorCapability.PREDICTIONS
    default_weight = 1.0

    def __init__(self, name: str = "label_shift", alpha: float = 0.004) -> None:
        self.name = name
        self.alpha = alpha
        self.active = True
        self._codes: Matrix = np.empty(0)
        self._labels: tuple[str, ...] = ()
        self._counts: Matrix = np.empty(0)

    def fit(self, reference: WindowData, feature_names: Sequence[str],
            categorical: Collection[str] = ()) -> None:
        """Count the reference's predicted classes."""
        data = as_matrix(reference)
        classes = predicted_classes(data)
        if data.shape[1] == 1:
            self._codes = np.unique(classes)
            self._labels = tuple(f"class {int(c) if c == int(c) else c}" for c in self._codes)
        else:
            self._codes = np.arange(data.shape[1], dtype=np.float64)
            self._labels = tuple(feature_names)
        self._counts = self._count(classes)

    def fit_columns(self, reference: WindowData, columns: Sequence[ColumnProfile]) -> None:
        """As :meth:`fit`; the class columns need no kinds."""
        self.fit(reference, [c.name for c in columns])

    def _count(self, classes: Matrix) -> Matrix:
        index = np.searchsorted(self._codes, classes)
        known = (index < len(self._codes)) & (
            self._codes[np.minimum(index, len(self._codes) - 1)] == classes)
        counts: Matrix = np.bincount(np.where(known, index, len(self._codes)),
                                     minlength=len(self._codes) + 1).astype(np.float64)
        return counts

    def score(self, window: WindowData) -> DetectorOutcome:
        """Chi-square of the class table; per-class evidence and share changes."""
        counts = self._count(predicted_classes(window))
        _, p = pooled_chi_square(self._counts, counts)
        n, m = self._counts.sum(), counts.sum()
        ref_share, win_share = self._counts / n, counts / m
        pooled = (self._counts + counts) / (n + m)
        se = np.sqrt(np.maximum(pooled * (1.0 - pooled) * (1.0 / n + 1.0 / m), 1e-300))
        z = np.where(pooled > 0, (win_share - ref_share) / se, 0.0)
        from scipy import stats

        p_class = np.maximum(2.0 * stats.norm.sf(np.abs(z)), _TINY)
        k = max(len(self._codes), 2)
        evidence = np.log(p_class) / math.log(self.alpha / k)
        labels = [*self._labels, "unseen classes"]
        shown = [i for i in range(len(labels)) if i < len(self._codes) or counts[i] > 0]
        p = max(p, _TINY)
        return DetectorOutcome(
            statistic=-math.log10(p), threshold=-math.log10(self.alpha), fired=p <= self.alpha,
            p_value=p,
            contributions={labels[i]: float(evidence[i]) for i in shown},
            effects={labels[i]: float(abs(win_share[i] - ref_share[i])) for i in shown},
            details={"classes": float(len(self._codes)),
                     "largest_share_change": float(np.abs(win_share - ref_share).max())})


class SimplexDetector:
    """Each class's probability column tested by the tie-aware rank family (Bonferroni over K).

    Inactive on windows of class ids, which carry no probabilities.
    """

    capability = DetectorCapability.PREDICTIONS
    default_weight = 1.0

    def __init__(self, name: str = "simplex", alpha: float = 0.004) -> None:
        self.name = name
        self.active = True
        self._family = KsCvmDetector(name=name, alpha=alpha, capability=self.capability)

    def fit(self, reference: WindowData, feature_names: Sequence[str],
            categorical: Collection[str] = ()) -> None:
        """Fit the family on the probability columns."""
        data = as_matrix(reference)
        if probabilities(data) is None:
            self.active = False
            return
        self._family.fit_columns(data, profile_columns(data, feature_names, dict.fromkeys(
            feature_names, ColumnKind.CONTINUOUS)))
        self.active = self._family.active

    def fit_columns(self, reference: WindowData, columns: Sequence[ColumnProfile]) -> None:
        """As :meth:`fit`: probabilities are tested as continuous whatever was detected."""
        self.fit(reference, [c.name for c in columns])

    def score(self, window: WindowData) -> DetectorOutcome:
        """The family's outcome on the probability columns."""
        probabilities(window)
        return self._family.score(window)


def _confidence(probs: Matrix) -> Matrix:
    clipped = np.clip(probs, 1e-12, 1.0)
    entropy = -(probs * np.log(clipped)).sum(axis=1)
    result: Matrix = np.column_stack([probs.max(axis=1), entropy])
    return result


class ConfidenceDetector:
    """Confidence drift: the maximum probability and the entropy of each row, rank-tested."""

    capability = DetectorCapability.PREDICTIONS
    default_weight = 0.5
    FEATURES = ("max_softmax", "entropy")

    def __init__(self, name: str = "confidence", alpha: float = 0.004) -> None:
        self.name = name
        self.active = True
        self._family = KsCvmDetector(name=name, alpha=alpha, capability=self.capability)
        self._reference_means: Matrix = np.zeros(2)

    def fit(self, reference: WindowData, feature_names: Sequence[str],
            categorical: Collection[str] = ()) -> None:
        """Fit on the reference's confidence and entropy."""
        probs = probabilities(reference)
        if probs is None:
            self.active = False
            return
        derived = _confidence(probs)
        self._reference_means = derived.mean(axis=0)
        self._family.fit_columns(derived, profile_columns(derived, self.FEATURES, dict.fromkeys(
            self.FEATURES, ColumnKind.CONTINUOUS)))
        self.active = self._family.active

    def fit_columns(self, reference: WindowData, columns: Sequence[ColumnProfile]) -> None:
        """As :meth:`fit`."""
        self.fit(reference, [c.name for c in columns])

    def score(self, window: WindowData) -> DetectorOutcome:
        """The family's outcome on the derived columns, with the mean confidence and entropy."""
        probs = probabilities(window)
        if probs is None:
            raise InvalidInput("a window of class ids has no confidence to judge",
                               code="DRIFT_WINDOW_UNREADABLE")
        derived = _confidence(probs)
        outcome = self._family.score(derived)
        means = derived.mean(axis=0)
        return DetectorOutcome(
            statistic=outcome.statistic, threshold=outcome.threshold, fired=outcome.fired,
            p_value=outcome.p_value, contributions=outcome.contributions,
            effects=outcome.effects,
            details={"mean_max_softmax": float(means[0]), "mean_entropy": float(means[1]),
                     "reference_mean_max_softmax": float(self._reference_means[0]),
                     "reference_mean_entropy": float(self._reference_means[1])})
