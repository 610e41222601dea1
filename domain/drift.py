"""Drift verdicts: what the monitor concluded about one window of field data, and why.

A verdict is evidence for a safety case (ISO 26262-6 clause 9 and ISO/PAS 8800 field
monitoring): it names every detector's statistic against its calibrated threshold, the weight
each detector carried in the vote, the features that moved most, and how many drifting windows
in a row led to the severity it states. The rules that turn scores into a severity live in
:mod:`edgedeploy.domain.drift_policy`; this module holds the values and the errors.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import datetime

from edgedeploy.domain.errors import Conflict, InvariantViolation, NotFound


class InvalidWindow(InvariantViolation):
    """A window cannot be judged: NaN or Inf values, wrong feature count, or too few samples.

    A refused window changes nothing stored; the message says what is wrong and where.
    """

    code = "DRIFT_WINDOW_INVALID"


class InvalidDriftValue(InvariantViolation):
    """A score, weight or verdict breaks its own rules (negative weight, NaN statistic, ...)."""

    code = "DRIFT_VALUE_INVALID"


class ReferenceNotFitted(NotFound):
    """A deployment has no reference profile yet, so no window can be compared with it."""

    code = "DRIFT_REFERENCE_NOT_FOUND"


class VerdictNotFound(NotFound):
    """Feedback names a verdict that was never recorded."""

    code = "DRIFT_VERDICT_NOT_FOUND"


class FeedbackAlreadyRecorded(Conflict):
    """A verdict already has feedback; counting it twice would skew the ensemble weights."""

    code = "DRIFT_FEEDBACK_DUPLICATE"


_SEVERITY_RANK = {"normal": 0, "watch": 1, "warning": 2, "critical": 3}


class DriftSeverity(enum.StrEnum):
    """How urgently a deployment's field data departs from its reference.

    ``normal`` < ``watch`` < ``warning`` < ``critical``; the escalation rules are documented on
    :class:`edgedeploy.domain.drift_policy.SeverityPolicy`.
    """

    NORMAL = "normal"
    WATCH = "watch"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for normal up to 3 for critical."""
        return _SEVERITY_RANK[self.value]

    # str already defines every comparison, so all four are given here (total_ordering would
    # keep str's alphabetical ones, which put "watch" above "warning").
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, DriftSeverity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, DriftSeverity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, DriftSeverity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, DriftSeverity):
            return NotImplemented
        return self.rank >= other.rank


class Feedback(enum.StrEnum):
    """What a reviewer found when checking a verdict against the field."""

    CONFIRMED = "confirmed"
    FALSE_ALARM = "false-alarm"


class DataQualityFlag(enum.StrEnum):
    """A data-quality problem, as opposed to a change of distribution.

    ``nan_share_above_limit`` makes a whole window a data-quality alarm that is not judged for
    drift. The column findings (``constant_changed``, ``constant_varying``, ``stuck``) are
    reported beside a normal drift judgement of the other columns.
    """

    NAN_SHARE_ABOVE_LIMIT = "nan_share_above_limit"
    CONSTANT_CHANGED = "constant_changed"
    CONSTANT_VARYING = "constant_varying"
    STUCK = "stuck"


class DetectorCapability(enum.StrEnum):
    """What kind of window a detector judges.

    ``predictions`` windows are a model's outputs: one column per class holding softmax
    probabilities, or a single column of predicted class ids.
    """

    FEATURES = "features"
    EMBEDDINGS = "embeddings"
    STREAM = "stream"
    PREDICTIONS = "predictions"


class ColumnKind(enum.StrEnum):
    """What a column holds, which decides the test that suits it.

    * ``continuous``: measurements without repeated values to speak of (rank tests).
    * ``count``: whole numbers (event counts, quantised sensor codes); few levels are compared
      as a table of frequencies, many levels by tie-aware rank tests.
    * ``categorical``: unordered codes (frequencies only).
    * ``constant``: one value throughout the reference; any change is a data-quality finding,
      never drift.
    * ``bounded``: measurements that pile up at a limit (a saturating sensor).
    """

    CONTINUOUS = "continuous"
    COUNT = "count"
    CATEGORICAL = "categorical"
    CONSTANT = "constant"
    BOUNDED = "bounded"


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """One reference column: its kind and the facts the data-quality rules need.

    Attributes:
        name: the column's name.
        kind: how it is tested.
        distinct: number of distinct values in the reference.
        top_share: share of the reference rows holding the most frequent value.
        minimum: smallest reference value.
        maximum: largest reference value.
        declared: whether the kind was given by the user rather than detected.
    """

    name: str
    kind: ColumnKind
    distinct: int
    top_share: float
    minimum: float
    maximum: float
    declared: bool = False

    def __post_init__(self) -> None:
        if self.distinct < 1:
            raise InvalidDriftValue(f"column {self.name} needs at least one value")
        if not 0.0 < self.top_share <= 1.0:
            raise InvalidDriftValue(f"top share of {self.name} must lie in (0, 1], "
                                    f"got {self.top_share}")

    @property
    def constant_value(self) -> float | None:
        """The column's only value when it is constant in the reference."""
        return self.minimum if self.kind is ColumnKind.CONSTANT else None


@dataclass(frozen=True, slots=True)
class DataQualityFinding:
    """A column-level data-quality problem found in a window (SR_MON_004).

    Attributes:
        feature: the column concerned.
        flag: what is wrong.
        severity: how urgent it is; set by the data-quality policy, apart from the drift
            severity, so that a stuck sensor is never hidden by a calm drift vote.
        detail: a sentence for the person who reads the verdict.
    """

    feature: str
    flag: DataQualityFlag
    severity: DriftSeverity
    detail: str


def _require_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise InvalidDriftValue(f"{name} must be a finite number, got {value!r}")


@dataclass(frozen=True, slots=True)
class DetectorScore:
    """One detector's finding on one window.

    Attributes:
        name: the detector's registered name (``mmd``, ``univariate``, ``psi``, ...).
        statistic: the detector's own statistic on the window.
        threshold: the value of ``statistic`` at which the detector fires; calibrated on the
            reference at fit time, so ``ratio`` is comparable across detectors.
        fired: whether the detector called this window drifting.
        weight: the weight the detector carried in the vote when the verdict was made.
        p_value: the p-value behind ``statistic`` when the detector has one.
    """

    name: str
    statistic: float
    threshold: float
    fired: bool
    weight: float = 1.0
    p_value: float | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise InvalidDriftValue("a detector score needs the detector's name")
        _require_finite(f"statistic of {self.name}", self.statistic)
        _require_finite(f"threshold of {self.name}", self.threshold)
        _require_finite(f"weight of {self.name}", self.weight)
        if self.threshold <= 0:
            raise InvalidDriftValue(f"threshold of {self.name} must be positive, "
                                    f"got {self.threshold}")
        if self.weight < 0:
            raise InvalidDriftValue(f"weight of {self.name} must not be negative, "
                                    f"got {self.weight}")
        if self.p_value is not None and not 0.0 <= self.p_value <= 1.0:
            raise InvalidDriftValue(f"p-value of {self.name} must lie in [0, 1], "
                                    f"got {self.p_value}")

    @property
    def ratio(self) -> float:
        """Statistic over threshold: 1.0 is the firing point whatever the detector."""
        return self.statistic / self.threshold


@dataclass(frozen=True, slots=True)
class FeatureAttribution:
    """How strongly one feature moved, in the ensemble's evidence units.

    Attributes:
        feature: the feature's name as fitted on the reference.
        score: weighted evidence; 1.0 means the feature alone would make a detector fire.
        detector: the detector that contributed most of ``score``.
        effect: size of the change on a probability scale shared by every column kind (the
            Kolmogorov distance for ordered columns, the total-variation distance for
            categories), 0 when no detector measured one.
    """

    feature: str
    score: float
    detector: str
    effect: float = 0.0

    def __post_init__(self) -> None:
        _require_finite(f"attribution score of {self.feature}", self.score)
        if self.score < 0:
            raise InvalidDriftValue(f"attribution score of {self.feature} must not be "
                                    f"negative, got {self.score}")


@dataclass(frozen=True, slots=True)
class WindowProfile:
    """Summary statistics of one window, computed before it is judged and kept with the verdict.

    Attributes:
        n_samples: rows in the window.
        n_features: columns in the window.
        nan_count: cells that are NaN.
        inf_count: cells that are +Inf or -Inf.
        nan_features: names of the features holding at least one NaN.
        inf_features: names of the features holding at least one Inf.
        means: per-feature mean over the finite values (empty when not computed).
        stds: per-feature standard deviation over the finite values.
        minimums: per-feature smallest finite value (NaN when the column has none).
        maximums: per-feature largest finite value.
    """

    n_samples: int
    n_features: int
    nan_count: int = 0
    inf_count: int = 0
    nan_features: tuple[str, ...] = ()
    inf_features: tuple[str, ...] = ()
    means: tuple[float, ...] = ()
    stds: tuple[float, ...] = ()
    minimums: tuple[float, ...] = ()
    maximums: tuple[float, ...] = ()

    @property
    def nan_share(self) -> float:
        """Share of NaN cells in the window (0 for an empty window)."""
        cells = self.n_samples * self.n_features
        return self.nan_count / cells if cells else 0.0


@dataclass(frozen=True, slots=True)
class ReferenceProfile:
    """What a deployment's windows are compared with.

    Attributes:
        deployment: the deployment (model version on a fleet) being monitored.
        capability: features, embeddings or a stream of prediction outcomes.
        feature_names: column names, in order.
        categorical: names of the columns holding category codes rather than measurements.
        n_samples: rows in the reference.
        digest: content digest of the reference rows, so a verdict names its baseline.
        fitted_at: when the reference was fitted.
        detectors: names of the detectors fitted on it.
        columns: each column's kind and reference facts, in feature order (empty for
            references stored before column kinds were recorded).
    """

    deployment: str
    capability: DetectorCapability
    feature_names: tuple[str, ...]
    categorical: frozenset[str]
    n_samples: int
    digest: str
    fitted_at: datetime
    detectors: tuple[str, ...]
    columns: tuple[ColumnProfile, ...] = ()

    def __post_init__(self) -> None:
        if not self.feature_names:
            raise InvalidDriftValue("a reference profile needs at least one feature")
        if len(set(self.feature_names)) != len(self.feature_names):
            raise InvalidDriftValue(f"feature names of {self.deployment} repeat: "
                                    f"{list(self.feature_names)}")
        unknown = sorted(self.categorical - set(self.feature_names))
        if unknown:
            raise InvalidDriftValue(f"categorical features {unknown} are not among the "
                                    f"features of {self.deployment}")
        if self.columns and tuple(c.name for c in self.columns) != self.feature_names:
            raise InvalidDriftValue(f"column profiles of {self.deployment} do not follow its "
                                    f"feature names")

    def kinds(self) -> dict[str, ColumnKind]:
        """Column name -> kind (empty when the profile predates column kinds)."""
        return {c.name: c.kind for c in self.columns}


@dataclass(frozen=True, slots=True)
class DriftVerdict:
    """The monitor's conclusion on one window of one deployment.

    Attributes:
        id: stable identifier, used to give feedback.
        deployment: the deployment judged.
        window_index: position of the window in the deployment's stream (0-based).
        observed_at: when the window was checked.
        severity: the level after the persistence rule.
        scores: every detector's score, with the weight it carried.
        vote_share: weighted share of the detectors that fired, in [0, 1].
        drifting: whether this window alone counts as drifting (vote share at quorum).
        persistence: consecutive drifting windows ending with this one.
        attributions: features ranked from most to least moved.
        data_quality: flags when the window was a data-quality alarm and not judged for drift.
        reference_digest: the reference the window was compared with.
        profile: the window's summary statistics.
        findings: column-level data-quality findings (a constant column that changed, a
            stuck sensor), reported beside the drift judgement.
    """

    id: str
    deployment: str
    window_index: int
    observed_at: datetime
    severity: DriftSeverity
    scores: tuple[DetectorScore, ...]
    vote_share: float
    drifting: bool
    persistence: int
    attributions: tuple[FeatureAttribution, ...] = ()
    data_quality: tuple[DataQualityFlag, ...] = ()
    reference_digest: str = ""
    profile: WindowProfile | None = field(default=None, compare=False)
    findings: tuple[DataQualityFinding, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.vote_share <= 1.0:
            raise InvalidDriftValue(f"vote share must lie in [0, 1], got {self.vote_share}")
        if self.persistence < 0 or self.window_index < 0:
            raise InvalidDriftValue("persistence and window index must not be negative")
        if self.drifting and self.persistence == 0:
            raise InvalidDriftValue("a drifting window has a persistence of at least 1")
        ranked = [a.score for a in self.attributions]
        if ranked != sorted(ranked, reverse=True):
            raise InvalidDriftValue("attributions must be ranked from most to least moved")

    @property
    def fired(self) -> tuple[str, ...]:
        """Names of the detectors that fired on this window."""
        return tuple(s.name for s in self.scores if s.fired)

    @property
    def is_data_quality_alarm(self) -> bool:
        """True when the window was not judged for drift because its data were unusable."""
        return bool(self.data_quality)

    def top_features(self, count: int = 3) -> tuple[str, ...]:
        """Names of the ``count`` most moved features."""
        return tuple(a.feature for a in self.attributions[:count])

    @property
    def standing_out(self) -> tuple[str, ...]:
        """Features whose evidence alone reaches a detector's firing point (score >= 1).

        Empty means that no feature stands out: the ranking below that point is noise and
        should not send anyone to a particular sensor.
        """
        return tuple(a.feature for a in self.attributions if a.score >= 1.0)

    @property
    def alert_worthy(self) -> bool:
        """A critical verdict or any data-quality problem: someone must be told."""
        return (self.severity is DriftSeverity.CRITICAL or bool(self.data_quality)
                or bool(self.findings))


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """A reviewer's finding on one verdict and what it did to the ensemble weights.

    Attributes:
        verdict_id: the verdict reviewed.
        deployment: the deployment the verdict belongs to.
        feedback: confirmed drift or false alarm.
        recorded_at: when the feedback was recorded.
        reviewer: who gave it.
        weights_before: detector weights before the update.
        weights_after: detector weights after the update.
    """

    verdict_id: str
    deployment: str
    feedback: Feedback
    recorded_at: datetime
    reviewer: str
    weights_before: tuple[tuple[str, float], ...]
    weights_after: tuple[tuple[str, float], ...]
