"""The runtime monitor (Automotive SPICE MLE.5): per model version counts and latencies.

Observations go into fixed-length time windows per model version, so the controller can ask
for "health since the stage started" and Prometheus can scrape cumulative counters. Latency
is kept as a histogram over :data:`edgedeploy.domain.health.LATENCY_EDGES_MS`; percentiles come
from it.

One inference is one ROW: a batched request of N rows counts N inferences, and an error,
timeout or fallback of that request counts for each of its N rows. Latency is measured per
request and entered once per row (each row's answer took that long), so the histogram holds
as many observations as there are inferences and the latency tests see the same sample size
as the rate tests; the request latency is what the rows waited, not a per-row compute time.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from edgedeploy.domain.health import LATENCY_BUCKETS, LATENCY_EDGES_MS, HealthWindow, latency_bucket


@dataclass(slots=True)
class _Bucket:
    start: float
    inferences: int = 0
    errors: int = 0
    timeouts: int = 0
    fallbacks: int = 0
    low_confidence: int = 0
    rejected: int = 0
    """Requests refused as malformed: client errors, kept out of the health figures."""
    latency: list[int] = field(default_factory=lambda: [0] * LATENCY_BUCKETS)

    def window(self) -> HealthWindow:
        return HealthWindow(self.inferences, self.errors, self.timeouts, self.fallbacks,
                            self.low_confidence, tuple(self.latency), 1)


class RuntimeMonitor:
    """Thread-safe counters per model version, windowed by time.

    Args:
        window_s: length of one health window.
        keep: windows kept per version (older ones are folded into the cumulative totals).
        clock: seconds since the epoch (injected for tests).
    """

    def __init__(self, window_s: float = 5.0, keep: int = 720,
                 clock: Callable[[], float] = time.time) -> None:
        self._window_s, self._keep, self._clock = window_s, keep, clock
        self._lock = threading.Lock()
        self._windows: dict[str, deque[_Bucket]] = {}
        self._totals: dict[str, _Bucket] = {}

    def record(self, model: str, latency_ms: float, *, rows: int = 1, error: bool = False,
               timeout: bool = False, fallback: bool = False,
               low_confidence: int = 0) -> None:
        """Count one request of ``rows`` inferences served (or failed) as ``model``.

        ``error``, ``timeout`` and ``fallback`` concern the whole request and so count for
        every row; ``low_confidence`` is the number of rows below the confidence floor (a
        bool counts as 0 or 1). The request's latency is entered once per row.
        """
        rows = max(rows, 1)
        low = min(int(low_confidence), rows)
        now = self._clock()
        start = now - (now % self._window_s)
        index = latency_bucket(latency_ms)
        with self._lock:
            windows = self._windows.setdefault(model, deque(maxlen=self._keep))
            if not windows or windows[-1].start != start:
                windows.append(_Bucket(start))
            total = self._totals.setdefault(model, _Bucket(0.0))
            for bucket in (windows[-1], total):
                bucket.inferences += rows
                bucket.errors += rows if error else 0
                bucket.timeouts += rows if timeout else 0
                bucket.fallbacks += rows if fallback else 0
                bucket.low_confidence += low
                bucket.latency[index] += rows

    def record_rejected(self, model: str) -> None:
        """Count one request refused before it reached ``model`` (a client error)."""
        now = self._clock()
        start = now - (now % self._window_s)
        with self._lock:
            windows = self._windows.setdefault(model, deque(maxlen=self._keep))
            if not windows or windows[-1].start != start:
                windows.append(_Bucket(start))
            windows[-1].rejected += 1
            self._totals.setdefault(model, _Bucket(0.0)).rejected += 1

    def rejected(self, model: str, since: float = 0.0) -> int:
        """Malformed requests refused for ``model`` since ``since`` (same windows as health)."""
        floor = since - (since % self._window_s)
        with self._lock:
            return sum(b.rejected for b in self._windows.get(model, ()) if b.start >= floor)

    def health(self, model: str, since: float = 0.0) -> HealthWindow:
        """Sum of ``model``'s windows that started at or after ``since`` (Unix seconds).

        The window holding ``since`` counts too, so a stage never misses its first seconds.
        """
        floor = since - (since % self._window_s)
        with self._lock:
            windows = [b.window() for b in self._windows.get(model, ()) if b.start >= floor]
        total = HealthWindow(devices=1)
        for w in windows:
            total = total + HealthWindow(w.inferences, w.errors, w.timeouts, w.fallbacks,
                                         w.low_confidence, w.latency_histogram, 0)
        return total

    def models(self) -> list[str]:
        """Versions seen so far."""
        with self._lock:
            return sorted(self._totals)

    def prometheus(self, device_id: str) -> str:
        """Cumulative counters and latency histograms in Prometheus text format 0.0.4."""
        lines = []
        with self._lock:
            totals = {m: (b.inferences, b.errors, b.timeouts, b.fallbacks, b.low_confidence,
                          list(b.latency), b.rejected) for m, b in self._totals.items()}
        for name, help_text, idx in (
                ("edgedeploy_inferences_total", "Inferences served", 0),
                ("edgedeploy_inference_errors_total", "Inferences that failed", 1),
                ("edgedeploy_inference_timeouts_total", "Inferences past their deadline", 2),
                ("edgedeploy_inference_fallbacks_total", "Inferences answered by fallback", 3),
                ("edgedeploy_low_confidence_total", "Results below the confidence floor", 4),
                ("edgedeploy_rejected_requests_total",
                 "Malformed requests refused before inference (client errors)", 6)):
            lines += [f"# HELP {name} {help_text}.", f"# TYPE {name} counter"]
            for model, values in sorted(totals.items()):
                lines.append(f'{name}{{device="{device_id}",model="{model}"}} {values[idx]}')
        name = "edgedeploy_inference_latency_ms"
        lines += [f"# HELP {name} Inference latency in milliseconds.",
                  f"# TYPE {name} histogram"]
        for model, values in sorted(totals.items()):
            hist = values[5]
            assert isinstance(hist, list)
            labels = f'device="{device_id}",model="{model}"'
            running = 0
            # Every 8th edge (one per octave) keeps the exposition small.
            for i, edge in enumerate(LATENCY_EDGES_MS):
                running += hist[i]
                if i % 8 == 7:
                    lines.append(f'{name}_bucket{{{labels},le="{edge:.4g}"}} {running}')
            lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {sum(hist)}')
            lines.append(f"{name}_count{{{labels}}} {sum(hist)}")
            window = HealthWindow(latency_histogram=tuple(hist))
            for q in (50, 95, 99):
                value = window.percentile(q)
                if value is not None:
                    lines.append(f'edgedeploy_inference_latency_p{q}_ms{{{labels}}} '
                                 f'{value:.4f}')
        return "\n".join(lines) + "\n"
