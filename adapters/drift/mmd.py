"""Maximum Mean Discrepancy with a multi-bandwidth Gaussian kernel and a fit-time threshold.

The kernel is the sum of Gaussian kernels at bandwidths ``sigma * s`` for the scales ``s``
(default 4, 2, 1 and 1/2), where ``sigma`` is the median distance between reference points
(the median heuristic). Summing bandwidths keeps the test sensitive both to broad mean shifts
(large bandwidths) and to local changes of shape and correlation (small ones), without having
to choose one per deployment; since the scales are powers of two, one exponential and a few
squarings evaluate all of them.

Calibration happens once in :meth:`MmdDetector.fit`. Under no drift the size-scaled biased
statistic ``n*m/(n+m) * MMD^2`` tends to ``sum_j lambda_j * chi2_1``, where ``lambda_j`` are the
eigenvalues of the centred reference kernel matrix divided by ``n`` (Gretton et al. 2009). The
fit computes those eigenvalues once and draws that law to read off the threshold for the target
false-alarm rate. The law does not depend on the window size, so scoring a window needs no
permutations: it costs one reference-by-window kernel block. (A two-moment gamma fit was tried
first; its tail is too light and doubled the false-alarm rate.)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt

from edgedeploy.adapters.drift.arrays import Matrix, as_matrix, single_threaded_blas
from edgedeploy.adapters.drift.columns import profile_columns
from edgedeploy.application.ports.drift import DetectorOutcome, WindowData
from edgedeploy.domain.drift import ColumnKind, ColumnProfile, DetectorCapability

DEFAULT_SCALES = (4.0, 2.0, 1.0, 0.5)
NOISE_FLOOR_FACTOR = 1.5
"""Principal components kept by ``project`` have variance above this multiple of the median."""
RANDOM_PROJECTION_ABOVE = 64
"""Above this many columns, the kernel works on a seeded Gaussian random projection to this
many dimensions (Johnson-Lindenstrauss keeps the distances), so a window of 1,000 features
costs what one of 64 does; the per-feature tests still see every column."""
MAX_WINDOW = 1000
"""Window rows the kernel uses (a seeded subsample beyond), bounding the window-by-window block."""


def squared_distances(x: Matrix, y: Matrix) -> Matrix:  # fit-time, full precision
    """Pairwise squared Euclidean distances (clipped at 0 against rounding)."""
    d = (x * x).sum(axis=1)[:, None] + (y * y).sum(axis=1)[None, :] - 2.0 * (x @ y.T)
    result: Matrix = np.maximum(d, 0.0)
    return result


def multiscale_kernel(d2: Matrix, sigma: float,
                      scales: Sequence[float]) -> npt.NDArray[np.float32]:
    """Sum of Gaussian kernels ``exp(-d2 / (2 (sigma*s)^2))`` over ``scales``.

    Scales that are the largest scale divided by powers of two are evaluated by squaring.
    """
    widest = max(scales)
    # float32 keeps the repeated squarings out of the slow subnormal range of float64
    d2_32 = d2.astype(np.float32)
    base = np.exp(d2_32 * np.float32(-0.5 / (sigma * widest) ** 2))
    total = np.zeros_like(base)
    ratios = sorted({round((widest / s) ** 2) for s in scales})
    power, current = 1, base
    for ratio in ratios:
        while power < ratio:
            current = current * current
            power *= 2
        if power != ratio:  # not a power of two: evaluate directly
            total += np.exp(d2_32 * np.float32(-0.5 * ratio / (sigma * widest) ** 2))
        else:
            total += current
    result: npt.NDArray[np.float32] = total
    return result


class MmdDetector:
    """Multi-bandwidth MMD between the reference and a window, calibrated at fit time.

    Args:
        name: registered name.
        alpha: target per-window false-alarm rate.
        scales: bandwidth multipliers of the median distance.
        null_draws: draws of the limiting null law used to read off the threshold.
        eigenvalues: leading eigenvalues drawn individually; the rest enter by their sum.
        max_reference: reference rows kept (a seeded subsample when larger), bounding the cost
            of scoring a window.
        capability: ``features`` (categorical columns are left to the univariate tests) or
            ``embeddings``.
        whiten: decorrelate with the reference covariance (PCA whitening) instead of only
            standardising each column; makes changes of correlation and orientation as visible
            as changes of scale, which matters for embeddings.
        seed: seed of the subsample and of the null draws.
    """

    default_weight = 1.0

    def __init__(self, name: str = "mmd", alpha: float = 0.004,
                 scales: Sequence[float] = DEFAULT_SCALES, null_draws: int = 20_000,
                 eigenvalues: int = 128,
                 max_reference: int = 1000,
                 capability: DetectorCapability = DetectorCapability.FEATURES,
                 whiten: bool = False, project: bool = False,
                 seed: int = 20260401) -> None:
        self.name = name
        self.alpha = alpha
        self.capability = capability
        self._scales = tuple(scales)
        self._draws = null_draws
        self._eigenvalues = eigenvalues
        self._max_reference = max_reference
        self._seed = seed
        self._whiten = whiten
        self._project = project
        self._rotation: Matrix = np.empty((0, 0))
        self._columns: list[int] = []
        self._mean: Matrix = np.empty(0)
        self._scale: Matrix = np.empty(0)
        self._reference: npt.NDArray[np.float32] = np.empty((0, 0), dtype=np.float32)
        self._ref_norms: npt.NDArray[np.float32] = np.empty(0, dtype=np.float32)
        self._sigma = 1.0
        self._k_rr_mean = 0.0
        self._threshold = 1.0
        self._random: Matrix | None = None
        self.null_statistics: Matrix = np.empty(0)
        self.active = True

    def _prepare(self, data: Matrix) -> Matrix:
        prepared: Matrix = (data[:, self._columns] - self._mean) / self._scale
        if self._whiten or self._project:
            prepared = prepared @ self._rotation
        elif self._random is not None:
            prepared = prepared @ self._random
        return prepared

    def fit(self, reference: WindowData, feature_names: Sequence[str],
            categorical: Collection[str] = ()) -> None:
        """Standardise, choose the bandwidth, precompute the reference block and calibrate."""
        data = as_matrix(reference)
        self.fit_columns(data, profile_columns(
            data, feature_names, dict.fromkeys(categorical, ColumnKind.CATEGORICAL)))

    def fit_columns(self, reference: WindowData, columns: Sequence[ColumnProfile]) -> None:
        """Fit on the measured columns: categorical and constant ones are left out.

        Categories have no distance and constants no spread; the per-feature tests and the
        data-quality rules judge them. With no column left the detector is inactive.
        """
        self._columns = [i for i, c in enumerate(columns)
                         if c.kind not in (ColumnKind.CATEGORICAL, ColumnKind.CONSTANT)]
        self.active = bool(self._columns)
        if not self.active:
            return
        with single_threaded_blas():
            self._fit(as_matrix(reference))

    def _fit(self, data: Matrix) -> None:
        rng = np.random.default_rng(self._seed)
        self._random = None
        if len(data) > self._max_reference:
            data = data[np.sort(rng.choice(len(data), self._max_reference, replace=False))]
        selected = data[:, self._columns]
        self._mean = selected.mean(axis=0)
        std = selected.std(axis=0, ddof=1)
        self._scale = np.where(std > 0, std, 1.0)
        if self._whiten:
            values, vectors = np.linalg.eigh(np.cov((selected - self._mean) / self._scale,
                                                    rowvar=False))
            floor = max(float(values.max()) * 1e-6, 1e-12)
            self._rotation = vectors / np.sqrt(np.maximum(values, floor))
        elif self._project:
            # The components are chosen on one half of the reference and the kernel keeps the
            # other half: components chosen on the very rows they summarise overstate those
            # rows' spread along them (by about d/n), and every clean window would then look
            # narrower than the reference -- 100 % false alarms at 256 dimensions.
            halves = rng.permutation(len(data))
            chooser, data = data[np.sort(halves[::2])], data[np.sort(halves[1::2])]
            values, vectors = np.linalg.eigh(np.cov(
                (chooser[:, self._columns] - self._mean) / self._scale, rowvar=False))
            keep = values > NOISE_FLOOR_FACTOR * float(np.median(values))
            if keep.sum() < 2:
                keep = values >= np.sort(values)[-2]
            self._rotation = vectors[:, keep]
        elif len(self._columns) > RANDOM_PROJECTION_ABOVE:
            self._random = rng.normal(size=(len(self._columns), RANDOM_PROJECTION_ABOVE)) / (
                np.sqrt(RANDOM_PROJECTION_ABOVE))
        ref = self._prepare(data)
        self._reference = ref.astype(np.float32)
        self._ref_norms = (self._reference * self._reference).sum(axis=1)
        d2 = squared_distances(ref, ref)
        upper = d2[np.triu_indices(len(ref), k=1)]
        self._sigma = float(np.sqrt(np.median(upper))) or 1.0
        k_rr = multiscale_kernel(d2, self._sigma, self._scales)
        self._k_rr_mean = float(k_rr.mean())
        self.null_statistics = self._spectral_null(k_rr.astype(np.float64), rng)
        self._threshold = float(np.quantile(self.null_statistics, 1.0 - self.alpha))

    def _spectral_null(self, k_rr: Matrix, rng: np.random.Generator) -> Matrix:
        n = len(k_rr)
        centred = (k_rr - k_rr.mean(axis=0)[None, :] - k_rr.mean(axis=1)[:, None]
                   + k_rr.mean())
        eig = np.sort(np.linalg.eigvalsh(centred) / n)[::-1]
        eig = eig[eig > 0]
        lead, rest = eig[: self._eigenvalues], float(eig[self._eigenvalues:].sum())
        draws: Matrix = rng.chisquare(1.0, size=(self._draws, len(lead))) @ lead + rest
        return draws

    def statistic(self, window: WindowData) -> float:
        """The size-scaled biased MMD^2 between the reference and ``window``."""
        with single_threaded_blas():
            return self._statistic(window)

    def _statistic(self, window: WindowData) -> float:
        data = as_matrix(window)
        if len(data) > MAX_WINDOW:
            keep = np.random.default_rng(self._seed + len(data)).choice(
                len(data), MAX_WINDOW, replace=False)
            data = data[np.sort(keep)]
        w = self._prepare(data).astype(np.float32)
        n, m = len(self._reference), len(w)
        w_norms = (w * w).sum(axis=1)
        d_rw = np.maximum(self._ref_norms[:, None] + w_norms[None, :]
                          - 2.0 * (self._reference @ w.T), 0.0)
        d_ww = np.maximum(w_norms[:, None] + w_norms[None, :] - 2.0 * (w @ w.T), 0.0)
        k_rw = multiscale_kernel(d_rw, self._sigma, self._scales).mean(dtype=np.float64)
        k_ww = multiscale_kernel(d_ww, self._sigma, self._scales).mean(dtype=np.float64)
        mmd2 = self._k_rr_mean + float(k_ww) - 2.0 * float(k_rw)
        return (n * m / (n + m)) * mmd2

    @property
    def threshold(self) -> float:
        """The calibrated firing point of :meth:`statistic`."""
        return self._threshold

    def score(self, window: WindowData) -> DetectorOutcome:
        """Fire when the scaled MMD^2 reaches the calibrated threshold (no attribution)."""
        value = self.statistic(window)
        return DetectorOutcome(statistic=max(value, 0.0), threshold=self._threshold,
                               fired=value >= self._threshold,
                               details={"bandwidth": self._sigma})
