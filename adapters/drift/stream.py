"""Sequential detectors on a stream of prediction outcomes (1 = wrong, 0 = right).

A confidence proxy in [0, 1] (for instance one minus the top-class probability) may stand in
for the outcome while labels are late; both detectors treat the value as the chance of an error.

* :class:`CusumDetector` is a Bernoulli CUSUM of the log-likelihood ratio between the
  reference error rate ``p0`` and a doubled rate ``p1``. Its threshold ``h = ln(ARL0)`` bounds
  the false-alarm rate by one per ``ARL0`` clean samples (Lorden's bound), and it is the
  quickest detector of a rate increase for that false-alarm rate (Moustakides 1986).
* :class:`AdwinDetector` is ADWIN (Bifet and Gavalda 2007): an adaptive window cut wherever two
  sub-windows' means differ by more than a Bernstein bound at confidence ``delta``. It needs no
  reference rate and also finds changes whose size nobody anticipated.

Both report delay statistics: the offset of the first alarm in the scored batch and the
estimated number of samples since the change began.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np

from edgedeploy.adapters.drift.arrays import Matrix, as_matrix
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.drift import DetectorOutcome, WindowData
from edgedeploy.domain.drift import DetectorCapability


def _outcomes(window: WindowData) -> Matrix:
    data = as_matrix(window)
    if data.shape[1] != 1:
        raise InvalidInput(f"a stream window has one column of outcomes, got {data.shape[1]}",
                           code="DRIFT_WINDOW_FEATURE_COUNT")
    column = data[:, 0]
    if column.size and (column.min() < 0.0 or column.max() > 1.0):
        raise InvalidInput("stream outcomes must lie in [0, 1] (1 = wrong prediction)",
                           code="DRIFT_WINDOW_UNREADABLE")
    values: Matrix = column
    return values


class CusumDetector:
    """Bernoulli CUSUM on the error stream, calibrated on the reference error rate.

    Args:
        name: registered name.
        rate_ratio: the error-rate increase the detector is tuned for (``p1 = ratio * p0``).
        arl0: clean samples per false alarm, at least (sets ``h = ln(arl0)``).
        min_rate: floor of the reference error rate, so a perfect reference still works.
    """

    capability = DetectorCapability.STREAM
    default_weight = 1.0

    def __init__(self, name: str = "cusum", rate_ratio: float = 2.0, arl0: float = 200_000.0,
                 min_rate: float = 0.002) -> None:
        self.name = name
        self._ratio = rate_ratio
        self._threshold = math.log(arl0)
        self._min_rate = min_rate
        self.p0 = min_rate
        self._llr_error = 0.0
        self._llr_right = 0.0
        self._s = 0.0
        self._seen = 0
        self._alarms = 0
        self._since_zero = 0

    @property
    def threshold(self) -> float:
        """The alarm level ``h`` of the CUSUM statistic."""
        return self._threshold

    def fit(self, reference: WindowData, feature_names: Sequence[str] = ("error",),
            categorical: Collection[str] = ()) -> None:
        """Estimate the reference error rate and reset the statistic."""
        values = _outcomes(reference)
        self.p0 = float(min(0.45, max(self._min_rate, values.mean() if values.size else 0.0)))
        p1 = min(0.95, self._ratio * self.p0)
        self._llr_error = math.log(p1 / self.p0)
        self._llr_right = math.log((1.0 - p1) / (1.0 - self.p0))
        self._s, self._seen, self._alarms, self._since_zero = 0.0, 0, 0, 0

    def snapshot(self) -> dict[str, float]:
        """Statistic, samples seen, alarms raised and samples since the statistic was 0."""
        return {"s": self._s, "seen": float(self._seen), "alarms": float(self._alarms),
                "since_zero": float(self._since_zero)}

    def restore(self, state: Mapping[str, float]) -> None:
        """Continue from :meth:`snapshot`."""
        self._s = float(state.get("s", 0.0))
        self._seen = int(state.get("seen", 0))
        self._alarms = int(state.get("alarms", 0))
        self._since_zero = int(state.get("since_zero", 0))

    def score(self, window: WindowData) -> DetectorOutcome:
        """Run the CUSUM over the batch; an alarm resets the statistic to 0."""
        x = _outcomes(window)
        llr = x * self._llr_error + (1.0 - x) * self._llr_right
        start, alarms, first_alarm, change_age, peak = 0, 0, -1, 0, self._s
        while start < len(llr):
            walk = self._s + np.cumsum(llr[start:])
            floor = np.minimum(np.minimum.accumulate(walk), 0.0)
            stat = walk - floor
            hits = np.flatnonzero(stat >= self._threshold)
            zeros = np.flatnonzero(stat <= 0.0)
            if hits.size == 0:
                self._since_zero = (len(stat) - 1 - int(zeros[-1]) if zeros.size
                                    else self._since_zero + len(stat))
                self._s = float(stat[-1])
                peak = max(peak, float(stat.max()))
                break
            hit = int(hits[0])
            before = zeros[zeros < hit]
            age = hit - int(before[-1]) if before.size else self._since_zero + hit + 1
            alarms += 1
            if first_alarm < 0:
                first_alarm, change_age = start + hit, age
            peak = max(peak, float(stat[hit]))
            self._s, self._since_zero = 0.0, 0
            start += hit + 1
        self._seen += len(llr)
        self._alarms += alarms
        return DetectorOutcome(
            statistic=peak, threshold=self._threshold, fired=alarms > 0,
            contributions={},
            details={"alarms": float(alarms), "first_alarm_offset": float(first_alarm),
                     "samples_since_change": float(change_age),
                     "error_rate": float(x.mean()) if x.size else 0.0,
                     "reference_error_rate": self.p0})


class AdwinDetector:
    """ADWIN over blocks of ``clock`` outcomes, optionally reacting only to rising error.

    Args:
        name: registered name.
        delta: confidence of the cut test (smaller: fewer false alarms, later detections).
        clock: samples per block; cuts are tested at block boundaries.
        max_window: most samples kept in the adaptive window.
        rising_only: report only increases of the error rate (a falling error rate is good
            news, not a safety concern).
    """

    capability = DetectorCapability.STREAM
    default_weight = 1.0

    def __init__(self, name: str = "adwin", delta: float = 1e-5, clock: int = 16,
                 max_window: int = 20_000, rising_only: bool = True) -> None:
        self.name = name
        self._delta = delta
        self._clock = clock
        self._max_blocks = max(2, max_window // clock)
        self._rising_only = rising_only
        self._blocks: list[float] = []
        self._partial: list[float] = []
        self.p0 = 0.0

    def fit(self, reference: WindowData, feature_names: Sequence[str] = ("error",),
            categorical: Collection[str] = ()) -> None:
        """Note the reference error rate and start with an empty window."""
        values = _outcomes(reference)
        self.p0 = float(values.mean()) if values.size else 0.0
        self._blocks, self._partial = [], []

    def snapshot(self) -> dict[str, float]:
        """Block sums of the adaptive window and the pending partial block."""
        state = {f"b{i}": v for i, v in enumerate(self._blocks)}
        state.update({f"p{i}": v for i, v in enumerate(self._partial)})
        return state

    def restore(self, state: Mapping[str, float]) -> None:
        """Continue from :meth:`snapshot`."""
        def ordered(prefix: str) -> list[float]:
            keys = sorted((int(k[1:]), v) for k, v in state.items() if k.startswith(prefix))
            return [float(v) for _, v in keys]
        self._blocks, self._partial = ordered("b"), ordered("p")

    def _cut(self) -> tuple[bool, int]:
        """Test every block boundary; return (change found, blocks to drop)."""
        k = len(self._blocks)
        if k < 2:
            return False, 0
        sums = np.asarray(self._blocks)
        total_n = k * self._clock
        prefix = np.cumsum(sums)[:-1]
        n0 = np.arange(1, k) * float(self._clock)
        n1 = total_n - n0
        mu0 = prefix / n0
        mu1 = (sums.sum() - prefix) / n1
        mu = sums.sum() / total_n
        variance = max(mu * (1.0 - mu), 1e-12)
        m = 1.0 / (1.0 / n0 + 1.0 / n1)
        log_term = math.log(2.0 * math.log(total_n) / self._delta)
        eps = np.sqrt(2.0 / m * variance * log_term) + 2.0 / (3.0 * m) * log_term
        gap = mu1 - mu0 if self._rising_only else np.abs(mu1 - mu0)
        cuts = np.flatnonzero(gap > eps)
        if cuts.size == 0:
            return False, 0
        return True, int(cuts[-1]) + 1

    def score(self, window: WindowData) -> DetectorOutcome:
        """Feed the batch block by block; each cut is an alarm and shrinks the window."""
        x = _outcomes(window)
        pending = np.concatenate([np.asarray(self._partial), x])
        full = len(pending) // self._clock
        block_sums = pending[: full * self._clock].reshape(full, self._clock).sum(axis=1)
        offset0 = -len(self._partial)
        alarms, first_alarm, change_age = 0, -1.0, 0.0
        for index, value in enumerate(block_sums):
            self._blocks.append(float(value))
            if len(self._blocks) > self._max_blocks:
                del self._blocks[0]
            found, drop = self._cut()
            if found:
                alarms += 1
                if first_alarm < 0:
                    first_alarm = float(offset0 + (index + 1) * self._clock - 1)
                    change_age = float((len(self._blocks) - drop) * self._clock)
                del self._blocks[:drop]
        self._partial = [float(v) for v in pending[full * self._clock:]]
        return DetectorOutcome(
            statistic=float(alarms), threshold=1.0, fired=alarms > 0, contributions={},
            details={"alarms": float(alarms), "first_alarm_offset": first_alarm,
                     "samples_since_change": change_age,
                     "window_samples": float(len(self._blocks) * self._clock),
                     "error_rate": float(x.mean()) if x.size else 0.0})
