"""A statistical fleet simulator: thousands of devices, seeded, fast (NumPy).

Used for calibration runs of the health judgement (``benchmarks/rollout_bench.py``) and for
controller tests at fleet scale. Each device has labels (hardware, region) that shift its
latency and error rates, a personal rate multiplier (devices differ), and every run has a
fleet-wide *condition* factor (weather, road type, season) shared by canary and baseline,
which is what a fixed threshold cannot tell from a bad model version.

Time advances in health windows (:meth:`SimulatedFleet.advance`); the simulator's clock is
the controller's clock, so bake times pass in simulated time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from edgedeploy.application.ports.rollout import ApplyResult
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.health import LATENCY_EDGES_MS, HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState, DeviceInfo

_Z99 = 2.3263478740408408
HARDWARE = (("ecu-a", 1.0), ("ecu-b", 1.35))
REGIONS = (("eu", 0.8), ("us", 1.0), ("apac", 1.25))


@dataclass(frozen=True, slots=True)
class SimulatedBehaviour:
    """How a model version behaves on an average device under average conditions."""

    error_rate: float = 0.002
    timeout_rate: float = 0.001
    fallback_rate: float = 0.003
    low_confidence_rate: float = 0.0005
    latency_median_ms: float = 8.0
    latency_sigma: float = 0.30

    def degraded(self, *, error_factor: float = 1.0, timeout_factor: float = 1.0,
                 fallback_factor: float = 1.0, safety_factor: float = 1.0,
                 p99_factor: float = 1.0, median_factor: float = 1.0) -> SimulatedBehaviour:
        """A worse version; ``p99_factor`` widens the latency tail with the median unchanged."""
        return replace(
            self, error_rate=self.error_rate * error_factor,
            timeout_rate=self.timeout_rate * timeout_factor,
            fallback_rate=self.fallback_rate * fallback_factor,
            low_confidence_rate=self.low_confidence_rate * safety_factor,
            latency_median_ms=self.latency_median_ms * median_factor,
            latency_sigma=self.latency_sigma + math.log(p99_factor) / _Z99)


class SimulatedClock:
    """The simulator's time; also the controller's :class:`Clock`."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """Simulated now."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time on."""
        self._now += timedelta(seconds=seconds)


@dataclass(slots=True)
class _Window:
    start: datetime
    models: npt.NDArray[np.int16]
    counts: npt.NDArray[np.int32]  # shape (5, devices): inf, err, tmo, fb, lowconf
    latency: dict[tuple[int, int], npt.NDArray[np.int64]] = field(default_factory=dict)


class SimulatedFleet:
    """:class:`edgedeploy.application.ports.rollout.RolloutTarget` over simulated devices.

    Args:
        size: number of devices.
        baseline: the model every device runs at epoch 0.
        behaviours: model version -> behaviour; unknown versions behave like the baseline.
        seed: all randomness derives from it.
        window_s: simulated length of one health window.
        inferences_per_window: mean inferences of one device in one window.
        device_spread: coefficient of variation of the per-device rate multiplier.
        condition_spread: log-standard deviation of the per-run condition factor.
    """

    def __init__(self, size: int, baseline: ModelRef,
                 behaviours: Mapping[ModelRef, SimulatedBehaviour], *, seed: int = 0,
                 window_s: float = 300.0, inferences_per_window: float = 200.0,
                 device_spread: float = 0.3, condition_spread: float = 0.0,
                 start: datetime | None = None) -> None:
        self.clock = SimulatedClock(start or datetime(2026, 1, 1, tzinfo=UTC))
        self.window_s = window_s
        self._rng = np.random.default_rng(seed)
        self._lat_rng = np.random.default_rng(seed + 1_000_003)
        self._rate = inferences_per_window
        self._ids = [f"sim-{i:05d}" for i in range(size)]
        self._index = {d: i for i, d in enumerate(self._ids)}
        self._hw = self._rng.integers(0, len(HARDWARE), size)
        self._region = self._rng.integers(0, len(REGIONS), size)
        shape = 1.0 / device_spread**2 if device_spread > 0 else 0.0
        self._device_mult = (self._rng.gamma(shape, 1.0 / shape, size) if shape
                             else np.ones(size))
        self._region_mult = np.array([m for _, m in REGIONS])[self._region]
        self._condition = float(np.exp(self._rng.normal(0.0, condition_spread)))
        self._latency_condition = float(np.exp(self._rng.normal(0.0, condition_spread / 2)))
        self._models: list[ModelRef] = [baseline]
        self._behaviour = {ModelRef(m.name, m.version): b for m, b in behaviours.items()}
        self._default = self._behaviour.get(baseline, SimulatedBehaviour())
        self._device_model = np.zeros(size, dtype=np.int16)
        self._epoch = np.zeros(size, dtype=np.int64)
        self.online = np.ones(size, dtype=bool)
        self._windows: list[_Window] = []
        self._devices: list[DeviceInfo] | None = None
        self._model_lookup: dict[ModelRef, int] = {baseline: 0}
        self._pvals: dict[tuple[int, int], npt.NDArray[np.float64]] = {}
        self._idx_cache: dict[int, npt.NDArray[np.int64]] = {}
        self.accepted_commands = 0

    # --- the port -------------------------------------------------------------------------

    def devices(self) -> list[DeviceInfo]:
        """Every simulated device with its hardware and region labels."""
        if self._devices is None:
            labels = {(h, r): {"hardware": HARDWARE[h][0], "region": REGIONS[r][0]}
                      for h in range(len(HARDWARE)) for r in range(len(REGIONS))}
            self._devices = [DeviceInfo(d, labels[(int(self._hw[i]), int(self._region[i]))])
                             for i, d in enumerate(self._ids)]
        return list(self._devices)

    def apply(self, states: Sequence[DesiredState]) -> ApplyResult:
        """Devices on line take epochs newer than theirs; off-line ones are unreachable."""
        known = [s for s in states if s.device_id in self._index]
        if not known:
            return ApplyResult((), ())
        ids = [s.device_id for s in known]
        idx = self._indices(ids)
        epochs = np.fromiter((s.epoch for s in known), dtype=np.int64, count=len(known))
        models = np.fromiter((self._model_index(s.model) for s in known), dtype=np.int16,
                             count=len(known))
        online = self.online[idx]
        newer = online & (epochs > self._epoch[idx])
        self._epoch[idx[newer]] = epochs[newer]
        self._device_model[idx[newer]] = models[newer]
        self.accepted_commands += int(newer.sum())
        return ApplyResult(tuple(d for d, ok in zip(ids, online, strict=True) if ok),
                           tuple(d for d, ok in zip(ids, online, strict=True) if not ok))

    def health(self, device_ids: Sequence[str], model: ModelRef,
               since: datetime) -> HealthWindow:
        """Counts and latency of ``model`` on ``device_ids`` in windows from ``since`` on."""
        if model not in self._models or not device_ids:
            return HealthWindow()
        mi = self._models.index(model)
        idx = self._indices(device_ids)
        key = hash(tuple(device_ids))
        totals = np.zeros(5, dtype=np.int64)
        hist = np.zeros(len(LATENCY_EDGES_MS) + 1, dtype=np.int64)
        contributed = np.zeros(len(idx), dtype=bool)
        for window in self._windows:
            if window.start < since:
                continue
            on_model = window.models[idx] == mi
            counts = window.counts[:, idx] * on_model
            totals += counts.sum(axis=1)
            contributed |= counts[0] > 0
            cached = window.latency.get((key, mi))
            if cached is None:
                cached = np.zeros_like(hist)
                hw = self._hw[idx]
                for h in range(len(HARDWARE)):
                    n = int(counts[0][hw == h].sum())
                    if n:
                        cached += self._lat_rng.multinomial(n, self._latency_pvals(mi, h))
                window.latency[(key, mi)] = cached
            hist += cached
        if totals[0] == 0:
            return HealthWindow()
        return HealthWindow(int(totals[0]), int(totals[1]), int(totals[2]), int(totals[3]),
                            int(totals[4]), tuple(int(c) for c in hist),
                            int(contributed.sum()))

    def running(self, device_ids: Sequence[str]) -> dict[str, ModelRef | None]:
        """The model each device runs (None when off line)."""
        out: dict[str, ModelRef | None] = {}
        for d in device_ids:
            i = self._index[d]
            out[d] = self._models[int(self._device_model[i])] if self.online[i] else None
        return out

    # --- simulation -----------------------------------------------------------------------

    def pace(self, seconds: float) -> None:
        """Between two controller ticks one health window passes, whatever ``seconds`` says.

        Simulated time is the point of the simulator: a controller loop does not sleep.
        """
        self.advance()

    def elapse(self, seconds: float) -> None:
        """A background ticker's interval passed: one health window passes here too."""
        self.advance()

    def close(self) -> None:
        """Nothing is held: the simulation lives in memory."""

    def advance(self, windows: int = 1) -> None:
        """Simulate ``windows`` health windows of traffic on every on-line device."""
        for _ in range(windows):
            size = len(self._ids)
            n = self._rng.poisson(self._rate, size) * self.online
            counts = np.zeros((5, size), dtype=np.int32)
            counts[0] = n
            rates = self._rates()  # (4, models)
            per_device = rates[:, self._device_model] * (
                self._device_mult * self._region_mult * self._condition)
            np.clip(per_device, 0.0, 1.0, out=per_device)
            for k in range(4):
                counts[k + 1] = self._rng.binomial(n, per_device[k])
            self._windows.append(_Window(self.clock.now(), self._device_model.copy(), counts))
            self.clock.advance(self.window_s)

    def count_on(self, model: ModelRef) -> int:
        """Devices whose installed model is ``model`` (on line or not)."""
        if model not in self._models:
            return 0
        return int((self._device_model == self._models.index(model)).sum())

    def set_online(self, device_ids: Sequence[str], online: bool) -> None:
        """Take devices off line or bring them back."""
        self.online[self._indices(device_ids)] = online

    # --- internals ------------------------------------------------------------------------

    def _model_index(self, model: ModelRef) -> int:
        index = self._model_lookup.get(model)
        if index is None:
            self._models.append(model)
            index = self._model_lookup[model] = len(self._models) - 1
        return index

    def _indices(self, device_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        key = hash(tuple(device_ids))
        cached = self._idx_cache.get(key)
        if cached is None:
            try:
                cached = np.fromiter((self._index[d] for d in device_ids), dtype=np.int64,
                                     count=len(device_ids))
            except KeyError as exc:
                raise NotFound(f"no simulated device {exc}") from exc
            self._idx_cache[key] = cached
        return cached

    def _behaviour_of(self, mi: int) -> SimulatedBehaviour:
        return self._behaviour.get(self._models[mi], self._default)

    def _rates(self) -> npt.NDArray[np.float64]:
        return np.array([[b.error_rate, b.timeout_rate, b.fallback_rate,
                          b.low_confidence_rate]
                         for b in (self._behaviour_of(i) for i in range(len(self._models)))]).T

    def _latency_pvals(self, mi: int, hw: int) -> npt.NDArray[np.float64]:
        cached = self._pvals.get((mi, hw))
        if cached is None:
            b = self._behaviour_of(mi)
            mu = math.log(b.latency_median_ms * HARDWARE[hw][1] * self._latency_condition)
            cdf = np.array([0.5 * math.erfc(-(math.log(e) - mu) / (b.latency_sigma
                                                                  * math.sqrt(2)))
                            for e in LATENCY_EDGES_MS] + [1.0])
            cached = np.diff(np.concatenate(([0.0], cdf)))
            cached = np.clip(cached, 0.0, None)
            cached /= cached.sum()
            self._pvals[(mi, hw)] = cached
        return cached
