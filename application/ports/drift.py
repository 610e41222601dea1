"""Drift monitoring ports: detectors that judge windows, and where verdicts are kept.

Windows cross these ports as :data:`WindowData`: either plain rows of floats (what the HTTP
layer decodes from JSON) or any array object exposing ``shape`` (the NumPy arrays the CLI reads
from .npz/.csv/.parquet). The application layer never indexes into a window itself; it asks a
:class:`WindowInspector` for the summary it needs, so it stays free of any array library while
large windows are never copied into Python lists on the way to the detectors.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from edgedeploy.domain.drift import (
    DetectorCapability,
    DriftVerdict,
    FeedbackRecord,
    ReferenceProfile,
    WindowProfile,
)
from edgedeploy.domain.drift_policy import EnsembleWeights

DETECTOR_GROUP = "edgedeploy.drift_detectors"
"""Entry-point group through which first- and third-party detector factories register."""


class ArrayLike(Protocol):
    """An opaque two-dimensional array handle (samples x features); only its shape is read here."""

    @property
    def shape(self) -> tuple[int, ...]:
        """Samples, features."""
        ...


WindowData = Sequence[Sequence[float]] | ArrayLike
"""A window or reference: rows of samples, each a sequence of feature values."""


@dataclass(frozen=True, slots=True)
class DetectorOutcome:
    """What one detector found on one window, before the ensemble weighs it.

    Attributes:
        statistic: the detector's statistic.
        threshold: the calibrated firing point of ``statistic`` (> 0).
        fired: whether ``statistic`` reached ``threshold``.
        p_value: the p-value behind the statistic, when the test has one.
        contributions: feature name -> evidence in units of the firing threshold (1.0 means the
            feature alone would make the detector fire); empty for detectors that cannot
            attribute.
        details: extra figures worth keeping (e.g. detection delay of a stream detector).
    """

    statistic: float
    threshold: float
    fired: bool
    p_value: float | None = None
    contributions: Mapping[str, float] = field(default_factory=dict)
    details: Mapping[str, float] = field(default_factory=dict)


@runtime_checkable
class DriftDetector(Protocol):
    """A calibrated two-sample or sequential test.

    ``fit`` calibrates the firing threshold once on the reference, for a target per-window
    false-alarm rate, so that ``score`` needs no resampling. Detectors are deterministic for a
    given reference (seeded), so refitting the same reference reproduces the same thresholds.
    """

    name: str
    capability: DetectorCapability
    default_weight: float

    def fit(self, reference: WindowData, feature_names: Sequence[str],
            categorical: Collection[str] = ()) -> None:
        """Learn the reference distribution and calibrate the threshold."""
        ...

    def score(self, window: WindowData) -> DetectorOutcome:
        """Judge one window against the fitted reference."""
        ...


@runtime_checkable
class StatefulDetector(Protocol):
    """A detector that carries state from window to window (stream detectors)."""

    def snapshot(self) -> dict[str, float]:
        """The state to keep between windows, as plain numbers."""
        ...

    def restore(self, state: Mapping[str, float]) -> None:
        """Continue from a state returned by :meth:`snapshot`."""
        ...


DetectorFactory = Callable[[], DriftDetector]
"""A zero-argument factory, as registered under :data:`DETECTOR_GROUP`."""

DetectorProvider = Callable[[DetectorCapability], Sequence[DriftDetector]]
"""Fresh, unfitted detectors for one kind of window."""


class WindowInspector(Protocol):
    """Computes a window's summary statistics (counts of NaN/Inf, means, deviations)."""

    def profile(self, window: WindowData, feature_names: Sequence[str]) -> WindowProfile:
        """Summarise ``window``; ``feature_names`` name its columns when the counts match."""
        ...

    def digest(self, window: WindowData) -> str:
        """A content digest (``sha256:<hex>``) of the window's values."""
        ...


class DriftRepository(Protocol):
    """References, verdicts, weights and feedback of the monitored deployments."""

    def save_reference(self, profile: ReferenceProfile, rows: WindowData) -> None:
        """Store (or replace) a deployment's reference profile and rows."""
        ...

    def reference(self, deployment: str) -> ReferenceProfile | None:
        """The deployment's reference profile, or None."""
        ...

    def reference_rows(self, deployment: str) -> WindowData:
        """The reference rows; raises ``ReferenceNotFitted`` when there are none."""
        ...

    def add_verdict(self, verdict: DriftVerdict,
                    detector_states: Mapping[str, Mapping[str, float]] | None = None) -> None:
        """Append a verdict and the stream detectors' carried states, all in one transaction.

        ``detector_states`` maps a detector's name to the state it carries to the next window.
        """
        ...

    def verdict(self, verdict_id: str) -> DriftVerdict | None:
        """One verdict, or None."""
        ...

    def verdicts(self, deployment: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[DriftVerdict]:
        """Verdicts (of one deployment, in a time range) in window order."""
        ...

    def last_verdict(self, deployment: str) -> DriftVerdict | None:
        """The deployment's newest verdict, or None."""
        ...

    def weights(self, deployment: str) -> EnsembleWeights:
        """The deployment's detector weights (empty when never adapted)."""
        ...

    def save_weights(self, deployment: str, weights: EnsembleWeights) -> None:
        """Store the deployment's detector weights."""
        ...

    def add_feedback(self, record: FeedbackRecord) -> None:
        """Store feedback on a verdict."""
        ...

    def feedback(self, verdict_id: str) -> FeedbackRecord | None:
        """The feedback on a verdict, or None."""
        ...

    def detector_state(self, deployment: str, detector: str) -> Mapping[str, float] | None:
        """The carried state of a stream detector, or None."""
        ...

    def save_detector_state(self, deployment: str, detector: str,
                            state: Mapping[str, float]) -> None:
        """Store the carried state of a stream detector."""
        ...
