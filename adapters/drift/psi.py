"""Population Stability Index per feature: the industry's severity language for drift."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from edgedeploy.adapters.drift.arrays import Matrix, as_matrix
from edgedeploy.adapters.drift.columns import profile_columns, tabled
from edgedeploy.application.ports.drift import DetectorOutcome, WindowData
from edgedeploy.domain.drift import ColumnKind, ColumnProfile, DetectorCapability

MODERATE_BAND = 0.1
"""PSI from which a shift is conventionally called moderate."""
MAJOR_BAND = 0.25
"""PSI from which a shift is conventionally called major."""


def psi_band(value: float) -> str:
    """The conventional label of a PSI value: ``stable``, ``moderate`` or ``major``."""
    if value >= MAJOR_BAND:
        return "major"
    return "moderate" if value >= MODERATE_BAND else "stable"


class PsiDetector:
    """PSI over reference-quantile bins, per feature; fires on the largest feature PSI.

    Bins are the reference's quantiles (``bins`` equal-mass bins), so every bin holds data in
    the reference; categorical features get one bin per reference category plus one for unseen
    codes. Empty bins are smoothed with ``smoothing`` pseudo-counts so the logarithm stays
    finite. The firing threshold is ``threshold`` (0.2 by convention), raised if needed above
    the PSI that sampling noise alone produces for the window size (the (bins-1)(1/n+1/m)
    expectation times a safety factor), so small windows do not fire on noise.
    """

    capability = DetectorCapability.FEATURES
    default_weight = 0.5

    def __init__(self, name: str = "psi", bins: int = 10, threshold: float = 0.2,
                 smoothing: float = 0.5) -> None:
        self.name = name
        self._bins = bins
        self._threshold = threshold
        self._smoothing = smoothing
        self._edges: list[Matrix] = []
        self._expected: list[Matrix] = []
        self._categorical: list[bool] = []
        self._names: tuple[str, ...] = ()
        self._constant: list[bool] = []
        self._n = 0
        self.active = True

    def fit(self, reference: WindowData, feature_names: Sequence[str],
            categorical: Collection[str] = ()) -> None:
        """Compute bin edges and reference bin shares per feature."""
        data = as_matrix(reference)
        self.fit_columns(data, profile_columns(
            data, feature_names, dict.fromkeys(categorical, ColumnKind.CATEGORICAL)))

    def fit_columns(self, reference: WindowData, columns: Sequence[ColumnProfile]) -> None:
        """Bins per column: one per level for tabled columns, reference quantiles otherwise.

        Constant columns are binned but never voted on: they are data-quality matters.
        """
        data = as_matrix(reference)
        self._names = tuple(c.name for c in columns)
        self._constant = [c.kind is ColumnKind.CONSTANT for c in columns]
        self.active = not all(self._constant)
        self._n = data.shape[0]
        self._edges, self._expected, self._categorical = [], [], []
        for j, profile in enumerate(columns):
            column = data[:, j]
            is_cat = tabled(profile)
            if is_cat:
                edges = np.unique(column)
            else:
                edges = np.unique(np.quantile(column, np.linspace(0, 1, self._bins + 1)[1:-1]))
            counts = self._counts(column, edges, is_cat)
            self._edges.append(edges)
            self._expected.append(self._shares(counts))
            self._categorical.append(is_cat)

    def _counts(self, column: Matrix, edges: Matrix, is_cat: bool) -> Matrix:
        if is_cat:
            index = np.searchsorted(edges, column)
            known = (index < len(edges)) & (edges[np.minimum(index, len(edges) - 1)] == column)
            slots = np.where(known, index, len(edges))
            return np.bincount(slots, minlength=len(edges) + 1).astype(np.float64)
        slots = np.searchsorted(edges, column, side="right")
        return np.bincount(slots, minlength=len(edges) + 1).astype(np.float64)

    def _shares(self, counts: Matrix) -> Matrix:
        smoothed = counts + self._smoothing
        shares: Matrix = smoothed / smoothed.sum()
        return shares

    def feature_psi(self, window: WindowData) -> Matrix:
        """PSI of every feature of ``window`` against the reference."""
        data = as_matrix(window)
        values = np.empty(len(self._names))
        for j in range(len(self._names)):
            actual = self._shares(self._counts(data[:, j], self._edges[j], self._categorical[j]))
            expected = self._expected[j]
            values[j] = float(np.sum((actual - expected) * np.log(actual / expected)))
        return values

    def threshold_for(self, m: int) -> float:
        """The firing threshold for a window of ``m`` samples."""
        bins = max(len(e) + 1 for e in self._edges) if self._edges else self._bins
        noise = (bins - 1) * (1.0 / max(self._n, 1) + 1.0 / max(m, 1))
        return max(self._threshold, 4.0 * noise)

    def score(self, window: WindowData) -> DetectorOutcome:
        """Largest feature PSI against the threshold; every feature's PSI as its evidence."""
        values = np.where(self._constant, 0.0, self.feature_psi(window))
        m = as_matrix(window).shape[0]
        threshold = self.threshold_for(m)
        top = float(values.max())
        return DetectorOutcome(
            statistic=top, threshold=threshold, fired=top >= threshold,
            contributions={n: float(v) / threshold for n, v, constant in zip(
                self._names, values, self._constant, strict=True) if not constant},
            details={"max_psi": top, "features_major": float((values >= MAJOR_BAND).sum()),
                     "features_moderate": float((values >= MODERATE_BAND).sum())})
