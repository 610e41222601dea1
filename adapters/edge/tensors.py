"""NumPy implementations of the tensor operations the edge runtime needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


class NumpyTensorTools:
    """:class:`application.edge.ports.TensorTools` for NumPy arrays."""

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
        """Top-class probability of the first output (softmax if it is not one already)."""
        if not outputs:
            return None
        first = np.asarray(next(iter(outputs.values())), dtype=np.float64)
        if first.ndim == 0 or first.size < 2:
            return None
        row = first.reshape(-1, first.shape[-1])[0]
        if np.all(row >= 0) and abs(float(row.sum()) - 1.0) < 1e-3:
            probs = row
        else:
            shifted = np.exp(row - row.max())
            probs = shifted / shifted.sum()
        return float(probs.max())
