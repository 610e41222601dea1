"""The rules that turn detector scores into a drift verdict.

Three rule objects, each small enough to audit on its own:

* :class:`WindowPolicy` decides whether a window may be judged at all.
* :class:`SeverityPolicy` holds the weighted vote, the persistence filter and the severity
  ladder.
* :class:`WeightPolicy` adapts detector weights from reviewers' feedback.

Requirement SR_MON_001 (drift is reported with a severity and the moved features), SR_MON_002
(escalation past *watch* needs persistent drift), SR_MON_003 (feedback adapts the ensemble) and
SR_MON_004 (unusable windows are refused or flagged, never judged).
:class:`DataQualityPolicy` turns column facts into data-quality findings (SR_MON_004).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from edgedeploy.domain.drift import (
    ColumnKind,
    ColumnProfile,
    DataQualityFinding,
    DataQualityFlag,
    DetectorScore,
    DriftSeverity,
    FeatureAttribution,
    Feedback,
    InvalidDriftValue,
    InvalidWindow,
    WindowProfile,
)


def _names(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


@dataclass(frozen=True, slots=True)
class WindowPolicy:
    """Which windows can be judged (SR_MON_004).

    Rules, in order:

    1. The window must have exactly the reference's feature count.
    2. It must hold at least ``min_samples`` rows: fewer rows give detectors no power and
       uncalibrated false-alarm rates.
    3. Any +/-Inf is refused: it is an arithmetic fault upstream, never a sensor reading.
    4. A NaN share above ``nan_alarm_share`` is a data-quality alarm (a failing sensor or
       pipeline), recorded as such and not judged for drift.
    5. Fewer NaNs than that are refused: the sender is asked to clean or drop those rows,
       because silently imputing them would bias every detector.

    Stream windows (batches of prediction outcomes) are judged sample by sample, so the use
    case applies ``stream_min_samples`` to them instead of ``min_samples``.

    Attributes:
        min_samples: fewest rows a window of features or embeddings may have.
        stream_min_samples: fewest outcomes a batch of a stream may have.
        nan_alarm_share: NaN share (of cells) above which the window is a data-quality alarm.
    """

    min_samples: int = 50
    nan_alarm_share: float = 0.2
    stream_min_samples: int = 1

    def __post_init__(self) -> None:
        if self.min_samples < 1:
            raise InvalidDriftValue(f"min_samples must be at least 1, got {self.min_samples}")
        if not 0.0 <= self.nan_alarm_share < 1.0:
            raise InvalidDriftValue(f"nan_alarm_share must lie in [0, 1), "
                                    f"got {self.nan_alarm_share}")

    def check(self, profile: WindowProfile, expected_features: int,
              stream: bool = False) -> tuple[DataQualityFlag, ...]:
        """Refuse an unusable window, or return its data-quality flags (empty when clean).

        Raises:
            InvalidWindow: the window breaks rule 1, 2, 3 or 5.
        """
        least = self.stream_min_samples if stream else self.min_samples
        if profile.n_features != expected_features:
            raise InvalidWindow(f"window has {profile.n_features} features, the reference has "
                                f"{expected_features}",
                                code="DRIFT_WINDOW_FEATURE_COUNT")
        if profile.n_samples < least:
            raise InvalidWindow(f"window has {profile.n_samples} samples, at least "
                                f"{least} are needed for a calibrated check",
                                code="DRIFT_WINDOW_TOO_SMALL")
        if profile.inf_count:
            raise InvalidWindow(f"window holds {profile.inf_count} infinite values in "
                                f"{_names(profile.inf_features)}",
                                code="DRIFT_WINDOW_NOT_FINITE")
        if profile.nan_share > self.nan_alarm_share:
            return (DataQualityFlag.NAN_SHARE_ABOVE_LIMIT,)
        if profile.nan_count:
            raise InvalidWindow(f"window holds {profile.nan_count} NaN values "
                                f"({profile.nan_share:.1%}) in {_names(profile.nan_features)}; "
                                f"drop or repair those rows before checking",
                                code="DRIFT_WINDOW_NOT_FINITE")
        return ()


@dataclass(frozen=True, slots=True)
class Decision:
    """The vote and persistence outcome for one window."""

    vote_share: float
    drifting: bool
    persistence: int
    severity: DriftSeverity


@dataclass(frozen=True, slots=True)
class SeverityPolicy:
    """Weighted vote, persistence filter and severity ladder (SR_MON_001, SR_MON_002).

    * **Vote.** ``vote share = sum(weight of fired detectors) / sum(all weights)``. A window is
      *drifting* when the share reaches ``quorum``. With the default weights (1 for MMD and the
      univariate family, 0.5 for PSI) and quorum 0.3, either of the calibrated tests can raise a
      window on its own, PSI only together with another; a detector whose weight fell through
      false-alarm feedback can no longer do so alone.
    * **Persistence.** ``persistence`` counts consecutive drifting windows; a non-drifting window
      resets it to 0. A data-quality alarm leaves it unchanged.
    * **Severity.** ``normal`` at persistence 0; ``watch`` from 1 to ``persistence - 1``;
      ``warning`` from ``persistence`` windows; ``critical`` from ``critical_persistence``
      windows. Escalation past *watch* therefore always needs persistent drift, so a single
      noisy window never raises a warning.

    Attributes:
        quorum: vote share at which a window counts as drifting, in (0, 1].
        persistence: consecutive drifting windows needed for ``warning`` (default 3).
        critical_persistence: consecutive drifting windows needed for ``critical``.
    """

    quorum: float = 0.3
    persistence: int = 3
    critical_persistence: int = 6

    def __post_init__(self) -> None:
        if not 0.0 < self.quorum <= 1.0:
            raise InvalidDriftValue(f"quorum must lie in (0, 1], got {self.quorum}")
        if self.persistence < 1:
            raise InvalidDriftValue(f"persistence must be at least 1, got {self.persistence}")
        if self.critical_persistence < self.persistence:
            raise InvalidDriftValue("critical_persistence must not be below persistence")

    def severity_for(self, persistence: int) -> DriftSeverity:
        """The severity a run of ``persistence`` consecutive drifting windows earns."""
        if persistence <= 0:
            return DriftSeverity.NORMAL
        if persistence < self.persistence:
            return DriftSeverity.WATCH
        if persistence < self.critical_persistence:
            return DriftSeverity.WARNING
        return DriftSeverity.CRITICAL

    def decide(self, scores: Sequence[DetectorScore], previous_persistence: int) -> Decision:
        """Vote on one window and move the persistence count on from the previous window."""
        share = vote_share(scores)
        drifting = share >= self.quorum - 1e-12 and share > 0.0
        persistence = previous_persistence + 1 if drifting else 0
        return Decision(share, drifting, persistence, self.severity_for(persistence))


def vote_share(scores: Sequence[DetectorScore]) -> float:
    """Weighted share of the detectors that fired (0 when every weight is 0)."""
    total = math.fsum(s.weight for s in scores)
    if total <= 0.0:
        return 0.0
    return min(1.0, math.fsum(s.weight for s in scores if s.fired) / total)


def rank_attributions(contributions: Mapping[str, Mapping[str, float]],
                      weights: Mapping[str, float],
                      effects: Mapping[str, float] | None = None,
                      ) -> tuple[FeatureAttribution, ...]:
    """Combine detectors' per-feature evidence into one ranking, most moved feature first.

    Each detector reports, per feature, evidence in units of its own firing threshold. A
    feature's score is the weight-averaged evidence over the detectors that report on it, and
    its ``detector`` is the one contributing most; ties keep the features' reported order.

    Args:
        contributions: detector name -> feature name -> evidence (>= 0).
        weights: detector name -> current weight.
        effects: feature name -> effect size on the shared probability scale, when measured.
    """
    sizes = effects or {}
    totals: dict[str, float] = {}
    norm: dict[str, float] = {}
    best: dict[str, tuple[float, str]] = {}
    for detector, per_feature in contributions.items():
        weight = weights.get(detector, 1.0)
        for feature, evidence in per_feature.items():
            value = max(0.0, evidence) if math.isfinite(evidence) else 0.0
            totals[feature] = totals.get(feature, 0.0) + weight * value
            norm[feature] = norm.get(feature, 0.0) + weight
            if feature not in best or weight * value > best[feature][0]:
                best[feature] = (weight * value, detector)
    ranked = sorted(totals, key=lambda f: -(totals[f] / norm[f] if norm[f] else 0.0))
    return tuple(FeatureAttribution(f, totals[f] / norm[f] if norm[f] else 0.0, best[f][1],
                                    _effect(sizes.get(f, 0.0)))
                 for f in ranked)


def _effect(value: float) -> float:
    return min(1.0, max(0.0, value)) if math.isfinite(value) else 0.0


@dataclass(frozen=True, slots=True)
class DataQualityPolicy:
    """Column-level data-quality findings and their severity (SR_MON_004).

    Rules, per column, from the reference's column profile and the window's minimum and
    maximum:

    1. A column constant in the reference that varies in the window: ``constant_varying``.
    2. A column constant in the reference that holds another single value:
       ``constant_changed``.
    3. A column that varied in the reference and holds one value throughout the window:
       ``stuck``, unless the reference makes such a run plausible (its most frequent value's
       share to the power ``rows - 1`` is at least ``stuck_chance``, e.g. a count that is
       nearly always 0).

    A constant column is never tested for drift, so these findings are its only voice: never
    a silent pass, never a false drift.

    Attributes:
        constant_severity: severity of findings on constant columns.
        stuck_severity: severity of a stuck column.
        stuck_chance: chance below which a single-valued window is called stuck.
    """

    constant_severity: DriftSeverity = DriftSeverity.WARNING
    stuck_severity: DriftSeverity = DriftSeverity.CRITICAL
    stuck_chance: float = 1e-6

    def __post_init__(self) -> None:
        if not 0.0 < self.stuck_chance < 1.0:
            raise InvalidDriftValue(f"stuck_chance must lie in (0, 1), got {self.stuck_chance}")

    def findings(self, columns: Sequence[ColumnProfile],
                 profile: WindowProfile) -> tuple[DataQualityFinding, ...]:
        """The findings for one window (empty when the profile lacks minimums/maximums)."""
        if len(profile.minimums) != len(columns) or len(profile.maximums) != len(columns):
            return ()
        found: list[DataQualityFinding] = []
        for column, low, high in zip(columns, profile.minimums, profile.maximums, strict=True):
            if not (math.isfinite(low) and math.isfinite(high)):
                continue
            if column.kind is ColumnKind.CONSTANT:
                if low != high:
                    found.append(DataQualityFinding(
                        column.name, DataQualityFlag.CONSTANT_VARYING, self.constant_severity,
                        f"{column.name} was constant at {column.minimum:g} and now varies "
                        f"from {low:g} to {high:g}"))
                elif low != column.minimum:
                    found.append(DataQualityFinding(
                        column.name, DataQualityFlag.CONSTANT_CHANGED, self.constant_severity,
                        f"{column.name} was constant at {column.minimum:g} and is now "
                        f"constant at {low:g}"))
            elif (low == high and profile.n_samples >= 2
                  and column.top_share ** (profile.n_samples - 1) < self.stuck_chance):
                found.append(DataQualityFinding(
                    column.name, DataQualityFlag.STUCK, self.stuck_severity,
                    f"{column.name} holds {low:g} in all {profile.n_samples} rows; it varied "
                    f"in the reference ({column.distinct} distinct values)"))
        return tuple(found)


@dataclass(frozen=True, slots=True)
class WeightPolicy:
    """How reviewers' feedback moves detector weights (SR_MON_003).

    For every detector that **fired** on the reviewed window:

    * confirmed drift:  ``w <- min(max_weight, w * step)``
    * false alarm:      ``w <- max(min_weight, w / step)``

    Detectors that stayed silent keep their weight: feedback says nothing about a test that did
    not speak. The update is multiplicative so that equal numbers of confirmations and false
    alarms cancel, and bounded so that no detector is ever silenced or made a dictator.

    Attributes:
        step: multiplicative step per feedback (> 1).
        min_weight: floor of every weight (> 0).
        max_weight: ceiling of every weight.
    """

    step: float = 1.25
    min_weight: float = 0.1
    max_weight: float = 4.0

    def __post_init__(self) -> None:
        if self.step <= 1.0:
            raise InvalidDriftValue(f"step must exceed 1, got {self.step}")
        if not 0.0 < self.min_weight <= self.max_weight:
            raise InvalidDriftValue("weights need 0 < min_weight <= max_weight")

    def adapt(self, weights: EnsembleWeights, fired: Iterable[str],
              feedback: Feedback) -> EnsembleWeights:
        """The weights after one piece of feedback on a verdict whose ``fired`` detectors fired."""
        updated = dict(weights.values)
        for name in fired:
            current = updated.get(name, weights.default)
            if feedback is Feedback.CONFIRMED:
                updated[name] = min(self.max_weight, current * self.step)
            else:
                updated[name] = max(self.min_weight, current / self.step)
        return EnsembleWeights(updated, weights.default)


@dataclass(frozen=True, slots=True)
class EnsembleWeights:
    """Each detector's weight in the vote; detectors not listed carry ``default``."""

    values: Mapping[str, float] = field(default_factory=dict)
    default: float = 1.0

    def __post_init__(self) -> None:
        for name, weight in self.values.items():
            if not math.isfinite(weight) or weight < 0:
                raise InvalidDriftValue(f"weight of {name} must be a non-negative number, "
                                        f"got {weight}")

    def of(self, name: str) -> float:
        """The weight of detector ``name``."""
        return self.values.get(name, self.default)

    def with_defaults(self, defaults: Mapping[str, float]) -> EnsembleWeights:
        """These weights, with ``defaults`` filling in detectors that have none yet."""
        merged = dict(defaults)
        merged.update(self.values)
        return EnsembleWeights(merged, self.default)
