"""NumPy implementations of the tensor operations the edge runtime needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


class NumpyTensorTools:
    """:class:`edgedeploy.application.edge.ports.TensorTools` for NumPy arrays."""

    def max_abs_diff(self, actual: Any, expected: Any) -> float:
        """Largest absolute difference; infinity when shapes differ or values are NaN."""
        a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        if a.shape != e.shape:
            return float("inf")
        if a.size == 0:
            return 0.0
        diff = float(np.max(np.abs(a - e)))
        return float("inf") if np.isnan(diff) else diff

    def confidence(self, outputs: Mapping[str, Any]) -> float | None:
        """Top-class probability of the first row of the first output."""
        rows = self.row_confidences(outputs)
        return rows[0] if rows else None

    def rows(self, feeds: Mapping[str, Any]) -> int:
        """Leading dimension of the first input; 1 for a scalar or an empty request."""
        if not feeds:
            return 1
        first = np.asarray(next(iter(feeds.values())))
        return int(first.shape[0]) if first.ndim > 0 and first.shape[0] > 0 else 1

    def row_confidences(self, outputs: Mapping[str, Any]) -> list[float]:
        """Top-class probability per row of the first output (softmax unless it is one)."""
        if not outputs:
            return []
        first = np.asarray(next(iter(outputs.values())), dtype=np.float64)
        if first.ndim == 0 or first.shape[-1] < 2:
            return []
        rows = first.reshape(-1, first.shape[-1])
        is_prob = np.all(rows >= 0, axis=1) & (np.abs(rows.sum(axis=1) - 1.0) < 1e-3)
        shifted = np.exp(rows - rows.max(axis=1, keepdims=True))
        probs = np.where(is_prob[:, None], rows, shifted / shifted.sum(axis=1, keepdims=True))
        return [float(v) for v in probs.max(axis=1)]
