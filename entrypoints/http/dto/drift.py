"""DTOs of drift monitoring: references, windows, verdicts, feedback and reports."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import msgspec

from edgedeploy.domain.drift import (
    ColumnKind,
    DataQualityFlag,
    DetectorCapability,
    DriftSeverity,
    Feedback,
)

# --- input ----------------------------------------------------------------------------------


class DriftWindowCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A window of features, embeddings or prediction outcomes (null reads as missing)."""

    rows: Annotated[list[list[float | None]], msgspec.Meta(min_length=1, max_length=100_000)]
    feature_names: list[str] | None = None
    """The columns' names: when given, columns are matched to the reference by name."""


class DriftReferenceCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Reference rows to fit the detectors on."""

    rows: Annotated[list[list[float]], msgspec.Meta(min_length=1, max_length=1_000_000)]
    feature_names: list[str] | None = None
    categorical: list[str] = []
    kind: DetectorCapability = DetectorCapability.FEATURES
    column_kinds: dict[str, ColumnKind] = {}
    """Column name -> kind, overriding the detected kind."""


class DriftFeedbackCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The caller's judgement of a verdict; the detector weights adapt to it."""

    feedback: Feedback


def rows_with_gaps(rows: Sequence[Sequence[float | None]]) -> list[list[float]]:
    """JSON rows as the monitor reads them: ``null`` becomes NaN, a missing value."""
    return [[math.nan if value is None else value for value in row] for row in rows]


# --- output ---------------------------------------------------------------------------------


class ReferenceProfileView(msgspec.Struct, kw_only=True):
    """What a deployment's windows are compared with."""

    deployment: str
    capability: DetectorCapability
    feature_names: list[str]
    categorical: list[str]
    n_samples: int
    digest: str
    fitted_at: datetime
    detectors: list[str]


class DetectorScoreView(msgspec.Struct, kw_only=True):
    """One detector's finding on one window."""

    name: str
    statistic: float
    threshold: float
    fired: bool
    weight: float
    p_value: float | None


class FeatureAttributionView(msgspec.Struct, kw_only=True):
    """How strongly one feature moved (1.0: the feature alone would make a detector fire)."""

    feature: str
    score: float
    detector: str
    effect: float = 0.0


class WindowProfileView(msgspec.Struct, kw_only=True):
    """Summary statistics of the window judged."""

    n_samples: int
    n_features: int
    nan_count: int
    inf_count: int
    nan_features: list[str]
    inf_features: list[str]


class DataQualityFindingView(msgspec.Struct, kw_only=True):
    """A column-level data-quality problem (stuck sensor, constant column that changed)."""

    feature: str
    flag: DataQualityFlag
    severity: DriftSeverity
    detail: str


class DriftVerdictView(msgspec.Struct, kw_only=True):
    """The monitor's conclusion on one window; give feedback on it by ``id``."""

    id: str
    deployment: str
    window_index: int
    observed_at: datetime
    severity: DriftSeverity
    scores: list[DetectorScoreView]
    vote_share: float
    drifting: bool
    persistence: int
    attributions: list[FeatureAttributionView]
    data_quality: list[DataQualityFlag]
    reference_digest: str
    profile: WindowProfileView | None = None
    findings: list[DataQualityFindingView] = []
    standing_out: list[str] = []


class DriftVerdictListView(msgspec.Struct, kw_only=True):
    """Verdicts, oldest first."""

    verdicts: list[DriftVerdictView]
    count: int


class FeedbackView(msgspec.Struct, kw_only=True):
    """A reviewer's finding on a verdict and what it did to the detector weights."""

    verdict_id: str
    deployment: str
    feedback: Feedback
    recorded_at: datetime
    reviewer: str
    weights_before: list[tuple[str, float]]
    weights_after: list[tuple[str, float]]


class DeploymentDriftView(msgspec.Struct, kw_only=True):
    """One deployment's verdicts over time and where it stands now."""

    deployment: str
    verdicts: list[DriftVerdictView]
    current: DriftSeverity
    peak: DriftSeverity
    counts: list[tuple[DriftSeverity, int]]
    data_quality_alarms: int
    weights: list[tuple[str, float]]


class DriftReportView(msgspec.Struct, kw_only=True):
    """Every requested deployment's drift history."""

    deployments: list[DeploymentDriftView]


__all__ = [
    "DeploymentDriftView", "DetectorScoreView", "DriftFeedbackCreate", "DriftReferenceCreate",
    "DriftReportView", "DriftVerdictListView", "DriftVerdictView", "DriftWindowCreate",
    "FeatureAttributionView", "FeedbackView", "ReferenceProfileView", "WindowProfileView",
    "rows_with_gaps",
]
