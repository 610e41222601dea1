"""Window conversion and summary statistics with NumPy."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
import numpy.typing as npt

from edgedeploy.adapters.drift.columns import profile_columns
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.drift import WindowData
from edgedeploy.domain.drift import ColumnKind, ColumnProfile, WindowProfile

Matrix = npt.NDArray[np.float64]


def as_matrix(window: WindowData) -> Matrix:
    """The window as a 2-D float64 array (a 1-D input is one feature).

    Raises:
        InvalidInput: the window is not numeric or not (at most) two-dimensional.
    """
    try:
        array = np.asarray(window, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"window is not a numeric table: {exc}",
                           code="DRIFT_WINDOW_UNREADABLE") from None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise InvalidInput(f"window must be samples x features, got {array.ndim} dimensions",
                           code="DRIFT_WINDOW_UNREADABLE")
    return array


class NumpyWindowInspector:
    """Counts NaN/Inf, computes per-feature summaries and profiles columns with NumPy."""

    def columns(self, reference: WindowData, feature_names: Sequence[str],
                declared: Mapping[str, ColumnKind]) -> tuple[ColumnProfile, ...]:
        """Each reference column's kind (detected unless declared) and facts."""
        return profile_columns(as_matrix(reference), feature_names, declared)

    def select(self, window: WindowData, order: Sequence[int]) -> WindowData:
        """The window's columns in ``order``."""
        array = as_matrix(window)
        if list(order) == list(range(array.shape[1])):
            return array
        selected: Matrix = np.ascontiguousarray(array[:, list(order)])
        return selected

    def profile(self, window: WindowData, feature_names: Sequence[str]) -> WindowProfile:
        """Summarise ``window``; feature names are used when their count matches the columns."""
        array = as_matrix(window)
        n, d = array.shape
        names = list(feature_names) if len(feature_names) == d else [f"f{i}" for i in range(d)]
        nan = np.isnan(array)
        inf = np.isinf(array)
        finite = ~(nan | inf)
        counts = finite.sum(axis=0)
        safe = np.where(finite, array, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(counts > 0, safe.sum(axis=0) / np.maximum(counts, 1), 0.0)
            centred = np.where(finite, array - means, 0.0)
            stds = np.sqrt((centred**2).sum(axis=0) / np.maximum(counts - 1, 1))
        if n:
            lows = np.where(finite, array, np.inf).min(axis=0)
            highs = np.where(finite, array, -np.inf).max(axis=0)
            none = counts == 0
            lows, highs = np.where(none, np.nan, lows), np.where(none, np.nan, highs)
        else:
            lows = highs = np.full(d, np.nan)
        return WindowProfile(
            n_samples=int(n), n_features=int(d), nan_count=int(nan.sum()),
            inf_count=int(inf.sum()),
            nan_features=tuple(names[i] for i in np.flatnonzero(nan.any(axis=0))),
            inf_features=tuple(names[i] for i in np.flatnonzero(inf.any(axis=0))),
            means=tuple(float(v) for v in means), stds=tuple(float(v) for v in stds),
            minimums=tuple(float(v) for v in lows), maximums=tuple(float(v) for v in highs))

    def digest(self, window: WindowData) -> str:
        """SHA-256 over the shape and the float64 bytes of the window."""
        array = np.ascontiguousarray(as_matrix(window))
        sha = hashlib.sha256(repr(array.shape).encode())
        sha.update(array.tobytes())
        return "sha256:" + sha.hexdigest()


def _controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: without it BLAS keeps its own thread settings
        return None
    return ThreadpoolController()


_BLAS = _controller()


def single_threaded_blas() -> AbstractContextManager[object]:
    """Run the enclosed linear algebra on one BLAS thread.

    The detectors' matrices are small (a thousand rows at most), so BLAS threads gain nothing
    and, on a loaded two-core host, their spin-waiting makes a 0.5 ms product take 10-20 ms.
    Requests are served in parallel by the web server's workers instead.
    """
    if _BLAS is None:
        return nullcontext()
    limited: AbstractContextManager[object] = _BLAS.limit(limits=1, user_api="blas")
    return limited
