"""Per-feature two-sample tests with family-wise false-alarm control, and their attribution.

Ordered features use the two-sample Anderson-Darling statistic (Scholz and Stephens 1987),
which weighs the tails and is markedly more powerful than Kolmogorov-Smirnov against shape
changes (a bimodal feature turning unimodal with the same mean and variance) and scale changes.
Its null distribution is distribution-free, so p-values come from the asymptotic
Anderson-Darling law (Marsaglia and Marsaglia 2004) without any resampling. Kolmogorov-Smirnov
and Cramer-von Mises are available for comparison. Categorical features and features with few
levels use a chi-square test of homogeneity with small cells pooled.

Every rank statistic here works on blocks of equal values (mid-ranks), never on the order a
sort happens to give tied values: with a plain sort every reference row of a tied block would
come before every window row, and counts, quantised sensors and constant columns would show
differences that do not exist.

The family fires when the smallest Bonferroni-adjusted p-value is at most ``alpha``, which
bounds the per-window false-alarm rate of the whole family by ``alpha`` whatever the dependence
between features.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from edgedeploy.adapters.drift.arrays import Matrix, as_matrix
from edgedeploy.adapters.drift.columns import profile_columns, tabled
from edgedeploy.application.ports.drift import DetectorOutcome, WindowData
from edgedeploy.domain.drift import ColumnKind, ColumnProfile, DetectorCapability

Statistic = Literal["ad", "ks", "cvm", "ad+mood"]
_TINY = 1e-300
AD_SHARE = 0.75
"""Share of a feature's alpha spent on Anderson-Darling; Mood's scale test gets the rest."""


def anderson_darling_sf(z: Matrix) -> Matrix:
    """Survival function of the asymptotic Anderson-Darling distribution (Marsaglia 2004)."""
    z = np.maximum(np.asarray(z, dtype=np.float64), 1e-6)
    low = np.exp(-1.2337141 / z) / np.sqrt(z) * (
        2.00012 + (0.247105 - (0.0649821 - (0.0347962 - (0.011672 - 0.00168691 * z) * z)
                               * z) * z) * z)
    exponent = 1.0776 - (2.30695 - (0.43424 - (0.082433 - (0.008056 - 0.0003146 * z) * z)
                                    * z) * z) * z
    high = -np.expm1(-np.exp(exponent))
    return np.clip(np.where(z < 2.0, 1.0 - low, high), 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class PooledOrder:
    """The pooled reference + window sample, sorted per column, with its blocks of ties.

    Arrays are laid out one row per column of the data (``d x N``), so every sort and running
    sum walks contiguous memory: on a thousand-feature table that is ten times faster than
    working down the columns.

    Attributes:
        from_window: (d, N) whether the sorted position holds a window row.
        start: (d, N) first sorted position of the block of equal values holding a position.
        end: (d, N) last sorted position of that block.
        is_end: (d, N) whether a position closes its block.
        window_count: (d, N) window rows at or before a sorted position.
        n: reference rows.
        m: window rows.
    """

    from_window: npt.NDArray[np.bool_]
    start: npt.NDArray[np.intp]
    end: npt.NDArray[np.intp]
    is_end: npt.NDArray[np.bool_]
    window_count: Matrix
    n: int
    m: int

    @property
    def midrank(self) -> Matrix:
        """1-based mid-rank of every sorted position (the average rank of its tie block)."""
        result: Matrix = (self.start + self.end).astype(np.float64) / 2.0 + 1.0
        return result


def pooled_order(reference: Matrix, window: Matrix, *, transposed: bool = False) -> PooledOrder:
    """Sort the pooled sample per column and find the blocks of equal values.

    Every statistic below is computed from the blocks, never from the order inside a block, so
    which sample a tied value came from cannot matter: that is what makes them exact on counts,
    quantised sensors and constant columns.

    Args:
        reference: rows x columns, or columns x rows when ``transposed``.
        window: rows x columns (always).
        transposed: the reference is already laid out columns x rows (kept so at fit time).
    """
    ref_t = reference if transposed else reference.T
    n, m = ref_t.shape[1], window.shape[0]
    pooled = np.concatenate([ref_t, window.T], axis=1)
    order = np.argsort(pooled, axis=1)  # any order inside a block of ties gives the same result
    values = np.take_along_axis(pooled, order, axis=1)
    d, big_n = values.shape
    change = values[:, 1:] != values[:, :-1]
    edge = np.ones((d, 1), dtype=bool)
    is_start = np.concatenate([edge, change], axis=1)
    is_end = np.concatenate([change, edge], axis=1)
    position = np.arange(big_n)[None, :]
    start = np.maximum.accumulate(np.where(is_start, position, 0), axis=1)
    mirrored = np.where(is_end, big_n - 1 - position, 0)[:, ::-1]
    end = big_n - 1 - np.maximum.accumulate(mirrored, axis=1)[:, ::-1]
    from_window = order >= n
    window_count = np.cumsum(from_window, axis=1, dtype=np.float64)
    return PooledOrder(from_window, start, end, is_end, window_count, n, m)


def anderson_darling_ties(pooled: PooledOrder) -> Matrix:
    """Two-sample Anderson-Darling statistic for data with ties, per column.

    The mid-rank form ``A2akN`` of Scholz and Stephens (1987), the one
    ``scipy.stats.anderson_ksamp(midrank=True)`` computes: each block of ``l`` equal values
    enters once, with the window's count before it plus half its own count. Without ties it
    equals the classic statistic's mid-rank variant; a constant column gives 0.
    """
    n, m = pooled.n, pooled.m
    big_n = n + m
    counts = pooled.window_count
    before = counts - pooled.from_window
    start, end = pooled.start, pooled.end
    length = (end - start + 1).astype(np.float64)
    window_mid = (np.take_along_axis(before, start, axis=1) + counts) / 2.0
    below = (start + end + 1).astype(np.float64) / 2.0
    denominator = below * (big_n - below) - big_n * length / 4.0
    valid = pooled.is_end & (denominator > 1e-9)
    safe = np.where(valid, denominator, 1.0)
    terms = np.where(valid, length / big_n * (big_n * window_mid - m * below) ** 2 / safe, 0.0)
    a2: Matrix = (big_n - 1) / big_n * (1.0 / n + 1.0 / m) * terms.sum(axis=1)
    return a2


def kolmogorov_ties(pooled: PooledOrder) -> Matrix:
    """Largest gap between the two empirical distribution functions, read at block ends only."""
    counts = pooled.window_count
    total = np.arange(1, counts.shape[1] + 1, dtype=np.float64)[None, :]
    gap = np.abs(counts / pooled.m - (total - counts) / pooled.n)
    distance: Matrix = np.where(pooled.is_end, gap, 0.0).max(axis=1)
    return distance


def linear_rank_test(pooled: PooledOrder, scores: Matrix) -> tuple[Matrix, Matrix]:
    """Two-sided normal test of a linear rank statistic: the sum of the window's scores.

    Mean and variance are those of the statistic under permutation, computed from the scores
    themselves (``m n / (N (N - 1)) * sum (a - mean a)^2``), which is the exact tie correction
    for scores given per block of ties; a column without spread gives z = 0 and p = 1.
    """
    n, m = pooled.n, pooled.m
    big_n = n + m
    total = np.where(pooled.from_window, scores, 0.0).sum(axis=1)
    centre = scores.mean(axis=1)
    spread = ((scores - centre[:, None]) ** 2).sum(axis=1)
    variance = m * n / (big_n * (big_n - 1.0)) * spread
    sd = np.sqrt(np.maximum(variance, 0.0))
    z = np.where(sd > 1e-12, (total - m * centre) / np.where(sd > 1e-12, sd, 1.0), 0.0)
    from scipy import stats

    return z, np.clip(2.0 * stats.norm.sf(np.abs(z)), 0.0, 1.0)


def mood_scale_test(pooled: PooledOrder) -> tuple[Matrix, Matrix]:
    """Mood's two-sample scale test per column, on mid-ranks with the exact tie correction.

    The sum of squared centred ranks of the window points grows when the window is more
    spread out than the reference and shrinks when it is less; it is distribution-free and
    far more powerful than Anderson-Darling against a pure change of variance.
    """
    big_n = pooled.n + pooled.m
    return linear_rank_test(pooled, (pooled.midrank - (big_n + 1) / 2.0) ** 2)


def wilcoxon_test(pooled: PooledOrder) -> tuple[Matrix, Matrix]:
    """Wilcoxon-Mann-Whitney rank-sum test on mid-ranks with the tie correction.

    Used instead of Anderson-Darling on ordered columns with few levels: with a handful of
    levels the mid-rank Anderson-Darling statistic keeps its mean but about doubles its
    variance, so the continuous law under-states its tail (2.5 % false alarms at a 0.4 %
    level on zero-inflated counts), while a linear rank statistic stays exact.
    """
    return linear_rank_test(pooled, pooled.midrank)


def rank_statistics(reference: Matrix, window: Matrix, kind: Statistic) -> tuple[Matrix, Matrix]:
    """Per-column two-sample statistic and asymptotic p-value, exact under ties.

    Identical samples give a statistic of 0 and a p-value of 1, and swapping reference and
    window rows inside a block of equal values changes nothing.
    """
    from scipy import special, stats

    pooled = pooled_order(reference, window)
    n, m = pooled.n, pooled.m
    if kind == "ks":
        d = kolmogorov_ties(pooled)
        en = math.sqrt(n * m / (n + m))
        return d, np.clip(special.kolmogorov(en * d), 0.0, 1.0)
    if kind == "cvm":
        results = [stats.cramervonmises_2samp(reference[:, c], window[:, c],
                                              method="asymptotic")
                   for c in range(reference.shape[1])]
        return (np.array([r.statistic for r in results]),
                np.clip(np.nan_to_num(np.array([r.pvalue for r in results]), nan=1.0), 0, 1))
    a2 = anderson_darling_ties(pooled)
    p_ad = anderson_darling_sf(a2)
    if kind == "ad+mood":
        _, p_mood = mood_scale_test(pooled)
        return a2, np.minimum(1.0, np.minimum(p_ad / AD_SHARE, p_mood / (1.0 - AD_SHARE)))
    return a2, p_ad


def pooled_chi_square(reference_counts: Matrix, window_counts: Matrix,
                      min_expected: float = 5.0) -> tuple[float, float]:
    """Pearson chi-square test of homogeneity with small cells pooled.

    Cells whose expected count falls below ``min_expected`` in either sample are merged into
    one, and that one with the next smallest cell if it is still too small, so that the
    chi-square law holds for the p-value however many rare levels a column has.

    Returns:
        The statistic and its p-value (0 and 1 when fewer than two cells remain).
    """
    table = np.vstack([reference_counts, window_counts]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    total = table.sum()
    if table.shape[1] < 2 or total <= 0:
        return 0.0, 1.0
    rows = table.sum(axis=1)
    least = rows.min() / total * table.sum(axis=0)
    order = np.argsort(least, kind="stable")
    small = order[least[order] < min_expected]
    large = order[least[order] >= min_expected]
    cells = [table[:, i] for i in large]
    if small.size:
        pooled = table[:, small].sum(axis=1)
        if rows.min() / total * pooled.sum() < min_expected and cells:
            pooled = pooled + cells.pop(0)
        cells.append(pooled)
    if len(cells) < 2:
        return 0.0, 1.0
    merged = np.column_stack(cells)
    expected = rows[:, None] * merged.sum(axis=0)[None, :] / total
    chi2 = float(np.sum((merged - expected) ** 2 / expected))
    from scipy import stats

    return chi2, float(stats.chi2.sf(chi2, merged.shape[1] - 1))


class KsCvmDetector:
    """Per-feature tests chosen by column kind, with a Bonferroni family-wise alpha.

    * Ordered columns with many levels (continuous, bounded, counts and quantised codes with
      more than ``TABLE_LEVELS`` values) are tested twice, by the tie-aware Anderson-Darling
      statistic (any change of shape or location) and by Mood's scale test, combined by a
      weighted Bonferroni rule ``p = min(p_AD / 0.75, p_Mood / 0.25)``, so location changes
      lose little power while pure variance changes, which Anderson-Darling sees late, are
      caught and attributed.
    * Categorical columns are compared as frequency tables (:func:`pooled_chi_square`;
      values unseen in the reference share one extra cell). Ordered columns with few levels
      (small counts) get both tests, each at half the column's level: the table sees a change
      of one level's share, the rank tests (Wilcoxon and Mood, exact under ties) a shift of
      the whole distribution.
    * Constant columns are not tested: whatever they do is a data-quality finding.

    A feature's evidence is ``log(p) / log(alpha / d)`` over the ``d`` tested columns (1.0
    when it alone would fire), and its effect is the Kolmogorov distance (ordered columns) or
    the total-variation distance (tables): both are the largest difference in probability the
    two samples give to one set of values, so they compare across kinds.

    Attributes:
        alpha: per-window false-alarm bound of the whole family.
        active: False when every column is constant (nothing to test).
    """

    capability = DetectorCapability.FEATURES
    default_weight = 1.0

    def __init__(self, name: str = "univariate", alpha: float = 0.004,
                 statistic: Statistic = "ad+mood", capability: DetectorCapability | None = None,
                 ) -> None:
        self.name = name
        self.alpha = alpha
        self._kind: Statistic = statistic
        if capability is not None:
            self.capability = capability
        self._names: tuple[str, ...] = ()
        self._ranked: list[int] = []
        self._tabled: list[int] = []
        self._reference: Matrix = np.empty((0, 0))
        self._few: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._categories: list[Matrix] = []
        self._ref_counts: list[Matrix] = []
        self.active = True

    @property
    def tested(self) -> int:
        """Number of columns the family tests (its Bonferroni divisor)."""
        return len(set(self._ranked) | set(self._tabled))

    def fit(self, reference: WindowData, feature_names: Sequence[str],
            categorical: Collection[str] = ()) -> None:
        """Detect the column kinds (``categorical`` as declared) and fit on them."""
        data = as_matrix(reference)
        self.fit_columns(data, profile_columns(
            data, feature_names, dict.fromkeys(categorical, ColumnKind.CATEGORICAL)))

    def fit_columns(self, reference: WindowData, columns: Sequence[ColumnProfile]) -> None:
        """Keep the rank-tested reference columns and the level counts of the tabled ones."""
        data = as_matrix(reference)
        self._names = tuple(c.name for c in columns)
        self._tabled = [i for i, c in enumerate(columns) if tabled(c)]
        self._ranked = [i for i, c in enumerate(columns)
                        if c.kind not in (ColumnKind.CONSTANT, ColumnKind.CATEGORICAL)]
        self._reference = np.ascontiguousarray(data[:, self._ranked].T)
        self._few = np.array([tabled(columns[i]) for i in self._ranked], dtype=bool)
        self._categories, self._ref_counts = [], []
        for i in self._tabled:
            codes, counts = np.unique(data[:, i], return_counts=True)
            self._categories.append(codes)
            self._ref_counts.append(np.append(counts, 0).astype(np.float64))
        self.active = self.tested > 0

    def _table(self, column: Matrix, slot: int) -> tuple[float, float]:
        codes = self._categories[slot]
        index = np.searchsorted(codes, column)
        known = (index < len(codes)) & (codes[np.minimum(index, len(codes) - 1)] == column)
        counts = np.bincount(np.where(known, index, len(codes)),
                             minlength=len(codes) + 1).astype(np.float64)
        reference = self._ref_counts[slot]
        _, p = pooled_chi_square(reference, counts)
        distance = 0.5 * float(np.abs(counts / max(counts.sum(), 1.0)
                                      - reference / max(reference.sum(), 1.0)).sum())
        return p, distance

    def tests(self, window: WindowData) -> tuple[Matrix, Matrix]:
        """Unadjusted p-value and effect size of every feature, in feature order.

        Constant columns get p = 1 and effect 0.
        """
        data = as_matrix(window)
        p = np.ones(len(self._names))
        effect = np.zeros(len(self._names))
        if self._ranked:
            part = data[:, self._ranked]
            if self._kind == "ad+mood":
                pooled = pooled_order(self._reference, part, transposed=True)
                p_ad = anderson_darling_sf(anderson_darling_ties(pooled))
                if self._few.any():
                    p_ad = np.where(self._few, wilcoxon_test(pooled)[1], p_ad)
                _, p_mood = mood_scale_test(pooled)
                p[self._ranked] = np.minimum(1.0, np.minimum(p_ad / AD_SHARE,
                                                             p_mood / (1.0 - AD_SHARE)))
                effect[self._ranked] = kolmogorov_ties(pooled)
            else:
                _, p[self._ranked] = rank_statistics(self._reference.T, part, self._kind)
                effect[self._ranked] = kolmogorov_ties(
                    pooled_order(self._reference, part, transposed=True))
        ranked = set(self._ranked)
        for slot, i in enumerate(self._tabled):
            p_table, distance = self._table(data[:, i], slot)
            if i in ranked:  # an ordered column with few levels: both tests, each at alpha / 2
                p[i] = min(1.0, 2.0 * min(p[i], p_table))
            else:
                p[i], effect[i] = p_table, distance
        return p, effect

    def p_values(self, window: WindowData) -> Matrix:
        """Unadjusted p-value of every feature, in feature order (1 for constant columns)."""
        return self.tests(window)[0]

    def score(self, window: WindowData) -> DetectorOutcome:
        """Fire when the smallest Bonferroni-adjusted p-value is at most ``alpha``.

        The statistic is ``-log10`` of that adjusted p-value, the threshold ``-log10(alpha)``.
        Only tested columns carry evidence, so a constant column is never ranked.
        """
        raw, effect = self.tests(window)
        p = np.maximum(raw, _TINY)
        d = max(self.tested, 1)
        tested = sorted(set(self._ranked) | set(self._tabled))
        smallest = float(p[tested].min()) if tested else 1.0
        adjusted = min(1.0, smallest * d)
        per_feature_level = math.log(self.alpha / d)
        evidence = np.log(p) / per_feature_level
        return DetectorOutcome(
            statistic=-math.log10(max(adjusted, _TINY)), threshold=-math.log10(self.alpha),
            fired=adjusted <= self.alpha, p_value=adjusted,
            contributions={self._names[i]: float(evidence[i]) for i in tested},
            details={"features_significant": float((p[tested] * d <= self.alpha).sum())},
            effects={self._names[i]: float(effect[i]) for i in tested})
