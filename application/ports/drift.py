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
    ColumnKind,
    ColumnProfile,
    DetectorCapability,
    DriftSeverity,
    DriftVerdict,
    FeedbackRecord,
    ReferenceProfile,
    WindowProfile,
)
from edgedeploy.domain.drift_policy import EnsembleWeights


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
        effects: feature name -> size of the change on a probability scale shared by every
            column kind (Kolmogorov distance, total-variation distance), when measured.
    """

    statistic: float
    threshold: float
    fired: bool
    p_value: float | None = None
    contributions: Mapping[str, float] = field(default_factory=dict)
    details: Mapping[str, float] = field(default_factory=dict)
    effects: Mapping[str, float] = field(default_factory=dict)


@runtime_checkable
class DriftDetector(Protocol):
    """A calibrated two-sample or sequential test.

    ``fit`` calibrates the firing threshold once on the reference, for a target per-window
    false-alarm rate, so that ``score`` needs no resampling. Detectors are deterministic for a
    given reference (seeded), so refitting the same reference reproduces the same thresholds.

    A detector may also expose ``active: bool``: False after a fit that left it nothing to
    judge (an MMD over a table whose columns are all categorical or constant). Inactive
    detectors are left out of the vote rather than voting on nothing.
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


@runtime_checkable
class ColumnAwareDetector(Protocol):
    """A detector that uses the column kinds recorded at fit time (first-party detectors).

    Detectors without this method are fitted through :meth:`DriftDetector.fit` with the names
    of the categorical columns.
    """

    def fit_columns(self, reference: WindowData, columns: Sequence[ColumnProfile]) -> None:
        """Learn the reference with each column's kind already decided."""
        ...


DetectorFactory = Callable[[], DriftDetector]
"""A zero-argument factory, as registered under the ``edgedeploy.drift_detectors`` entry points."""

DetectorProvider = Callable[[DetectorCapability], Sequence[DriftDetector]]
"""Fresh, unfitted detectors for one kind of window."""


class WindowInspector(Protocol):
    """Computes a window's summary statistics (counts of NaN/Inf, means, deviations).

    It also profiles a reference's columns (their kinds) and puts a window's columns in the
    reference's order, so the application never indexes into an array itself.
    """

    def columns(self, reference: WindowData, feature_names: Sequence[str],
                declared: Mapping[str, ColumnKind]) -> tuple[ColumnProfile, ...]:
        """Each reference column's kind (detected unless ``declared``) and facts."""
        ...

    def select(self, window: WindowData, order: Sequence[int]) -> WindowData:
        """The window with its columns taken in ``order`` (indices into its columns)."""
        ...

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

    def add_alert_deliveries(self, deliveries: Sequence[AlertDelivery]) -> None:
        """Record deliveries of drift alerts to their receivers."""
        ...

    def alert_deliveries(self, verdict_id: str | None = None) -> list[AlertDelivery]:
        """Recorded alert deliveries (of one verdict), oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class DriftAlert:
    """What receivers are told about a critical verdict or a data-quality problem.

    Attributes:
        deployment: the deployment concerned.
        verdict_id: the verdict that raised the alert.
        window_index: the window's position in the deployment's stream.
        severity: the highest of the drift severity and the findings' severities.
        reason: ``critical_drift``, ``data_quality`` or both joined by ``+``.
        summary: one line for a person.
        observed_at: when the window was checked.
        features: the features standing out, most moved first.
        findings: the data-quality findings, as ``feature: flag`` strings.
    """

    deployment: str
    verdict_id: str
    window_index: int
    severity: DriftSeverity
    reason: str
    summary: str
    observed_at: datetime
    features: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertDelivery:
    """The outcome of sending one alert to one receiver, kept for the audit trail.

    Attributes:
        verdict_id: the verdict the alert was about.
        receiver: the receiver's name.
        kind: ``alertmanager`` or ``webhook``.
        url: where it was sent.
        delivered: whether a receiver accepted it (a 2xx answer).
        attempts: how many times it was tried (retries back off exponentially).
        status: the last HTTP status, None when no answer came.
        error: why the last attempt failed, empty when delivered.
        sent_at: when the first attempt was made.
    """

    verdict_id: str
    receiver: str
    kind: str
    url: str
    delivered: bool
    attempts: int
    status: int | None
    error: str
    sent_at: datetime


class AlertSender(Protocol):
    """Delivers drift alerts to the configured receivers (Alertmanager, JSON webhooks)."""

    def send(self, alert: DriftAlert) -> Sequence[AlertDelivery]:
        """Send ``alert`` to every receiver, retrying with back-off; one record per receiver.

        Never raises for a receiver that is down: the failure is in the record.
        """
        ...
