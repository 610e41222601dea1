"""Runtime health of a model version on devices: windows of counts and a latency histogram.

Runtime health arrives as :class:`HealthWindow` aggregates: counts of inferences, errors,
timeouts, fallbacks and low-confidence results, plus a latency histogram over fixed bucket
edges. Histograms (not raw samples) keep windows small enough to sum over thousands of devices
and let the canary judge (:mod:`edgedeploy.domain.canary_judge`) run its rank test in time
linear in the number of buckets. Pure Python, so the domain stays free of numerical libraries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from edgedeploy.domain.errors import InvariantViolation


class InvalidHealthWindow(InvariantViolation):
    """A health window's counts contradict each other."""

    code = "HEALTH_WINDOW_INVALID"


def _latency_edges() -> tuple[float, ...]:
    # Upper bucket edges in milliseconds, 8 buckets per octave (about 9 % resolution) from
    # 10 microseconds to about 2 minutes; one last bucket catches everything above.
    return tuple(0.01 * 2 ** (i / 8) for i in range(0, 8 * 24))


LATENCY_EDGES_MS: tuple[float, ...] = _latency_edges()
"""Upper edges of the latency buckets; bucket ``len(LATENCY_EDGES_MS)`` is unbounded."""

LATENCY_BUCKETS = len(LATENCY_EDGES_MS) + 1


def latency_bucket(latency_ms: float) -> int:
    """The bucket index a latency falls into (binary search over the edges)."""
    lo, hi = 0, len(LATENCY_EDGES_MS)
    while lo < hi:
        mid = (lo + hi) // 2
        if latency_ms <= LATENCY_EDGES_MS[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@dataclass(frozen=True, slots=True)
class HealthWindow:
    """What a cohort (one device or many) did over a span of time with one model version.

    One inference is one row (sample): a batched request of N rows counts N, and an error,
    timeout or fallback of that request counts for each of its rows. Latency is measured per
    request and entered once per row, so the histogram's count equals ``inferences``.

    Attributes:
        inferences: completed inferences (rows of the requests served).
        errors: rows whose request failed.
        timeouts: rows whose request exceeded its deadline.
        fallbacks: rows answered by a fallback path instead of the model.
        low_confidence: rows below the confidence floor: the safety proxy.
        latency_histogram: per-request latencies, one count per row, per bucket of
            :data:`LATENCY_EDGES_MS`, or empty.
        devices: devices that contributed.
    """

    inferences: int = 0
    errors: int = 0
    timeouts: int = 0
    fallbacks: int = 0
    low_confidence: int = 0
    latency_histogram: tuple[int, ...] = ()
    devices: int = 0

    def __post_init__(self) -> None:
        counts = (self.inferences, self.errors, self.timeouts, self.fallbacks,
                  self.low_confidence, self.devices)
        if any(c < 0 for c in counts) or any(c < 0 for c in self.latency_histogram):
            raise InvalidHealthWindow("health window counts must not be negative")
        if self.latency_histogram and len(self.latency_histogram) != LATENCY_BUCKETS:
            raise InvalidHealthWindow(
                f"latency histogram has {len(self.latency_histogram)} buckets, "
                f"expected {LATENCY_BUCKETS}")
        for name in ("errors", "timeouts", "fallbacks", "low_confidence"):
            if getattr(self, name) > self.inferences:
                raise InvalidHealthWindow(
                    f"{name} ({getattr(self, name)}) exceed inferences ({self.inferences})")

    def __add__(self, other: HealthWindow) -> HealthWindow:
        if not self.latency_histogram:
            hist = other.latency_histogram
        elif not other.latency_histogram:
            hist = self.latency_histogram
        else:
            hist = tuple(a + b for a, b in zip(self.latency_histogram,
                                               other.latency_histogram, strict=True))
        return HealthWindow(self.inferences + other.inferences, self.errors + other.errors,
                            self.timeouts + other.timeouts, self.fallbacks + other.fallbacks,
                            self.low_confidence + other.low_confidence, hist,
                            self.devices + other.devices)

    @property
    def latency_count(self) -> int:
        """Observations in the latency histogram."""
        return sum(self.latency_histogram)

    def percentile(self, q: float) -> float | None:
        """Latency percentile ``q`` (0-100) in ms, interpolated inside its bucket."""
        return histogram_percentile(self.latency_histogram, q)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; the histogram is stored sparse (bucket index -> count)."""
        return {"inferences": self.inferences, "errors": self.errors,
                "timeouts": self.timeouts, "fallbacks": self.fallbacks,
                "low_confidence": self.low_confidence, "devices": self.devices,
                "latency": {str(i): c for i, c in enumerate(self.latency_histogram) if c}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HealthWindow:
        """Inverse of :meth:`to_dict`."""
        sparse = data.get("latency") or {}
        hist: tuple[int, ...] = ()
        if sparse:
            dense = [0] * LATENCY_BUCKETS
            for index, count in sparse.items():
                dense[int(index)] = int(count)
            hist = tuple(dense)
        return cls(int(data.get("inferences", 0)), int(data.get("errors", 0)),
                   int(data.get("timeouts", 0)), int(data.get("fallbacks", 0)),
                   int(data.get("low_confidence", 0)), hist, int(data.get("devices", 0)))


EMPTY_WINDOW = HealthWindow()


def histogram_percentile(hist: Sequence[int], q: float) -> float | None:
    """Percentile ``q`` of a latency histogram, linear inside the bucket; None when empty."""
    total = sum(hist)
    if total == 0:
        return None
    rank = q / 100.0 * total
    seen = 0
    for index, count in enumerate(hist):
        if count and seen + count >= rank:
            lower = 0.0 if index == 0 else LATENCY_EDGES_MS[index - 1]
            upper = (LATENCY_EDGES_MS[index] if index < len(LATENCY_EDGES_MS)
                     else LATENCY_EDGES_MS[-1] * 2)
            return lower + (upper - lower) * max(0.0, rank - seen) / count
        seen += count
    return LATENCY_EDGES_MS[-1] * 2
