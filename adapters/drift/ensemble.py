"""The first-party detector ensemble and the detector factories behind the entry points.

The entry points (group ``edgedeploy.drift_detectors``) are loaded by the one plugin loader,
``edgedeploy.plugins.registry``, like every third-party detector.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import structlog

from edgedeploy.adapters.drift.arrays import as_matrix
from edgedeploy.adapters.drift.columns import profile_columns
from edgedeploy.adapters.drift.mmd import MmdDetector
from edgedeploy.adapters.drift.predictions import (
    ConfidenceDetector,
    LabelShiftDetector,
    SimplexDetector,
)
from edgedeploy.adapters.drift.psi import PsiDetector
from edgedeploy.adapters.drift.stream import AdwinDetector, CusumDetector
from edgedeploy.adapters.drift.univariate import KsCvmDetector
from edgedeploy.application.monitoring.ensemble import Judgement, fit_detector, judge
from edgedeploy.application.ports.drift import DriftDetector, WindowData
from edgedeploy.domain.drift import ColumnKind, ColumnProfile, DetectorCapability
from edgedeploy.domain.drift_policy import EnsembleWeights, SeverityPolicy

log = structlog.get_logger(__name__)

EMBEDDING_SCALES = (2.0, 1.0, 0.5, 0.25)
"""Narrower bandwidths for embeddings: after projection onto the principal components that
stand out of the noise floor, changes of orientation show at shorter distances."""


def psi_factory() -> DriftDetector:
    """PSI per feature over ten reference-quantile bins (severity language, weight 0.5)."""
    return PsiDetector()


def mmd_factory() -> DriftDetector:
    """Multi-bandwidth MMD calibrated at fit time for a 0.4 % per-window false-alarm rate."""
    return MmdDetector()


def univariate_factory() -> DriftDetector:
    """Per-feature Anderson-Darling / chi-square family at a 0.4 % family-wise rate."""
    return KsCvmDetector()


def cusum_factory() -> DriftDetector:
    """Bernoulli CUSUM on the error stream, at most one false alarm per 200,000 samples."""
    return CusumDetector()


def adwin_factory() -> DriftDetector:
    """ADWIN on the error stream (delta 1e-5, rising error only)."""
    return AdwinDetector()


def serves(detector: DriftDetector, kind: DetectorCapability) -> bool:
    """Whether ``detector`` can judge windows of ``kind``; feature tests also judge embeddings."""
    return detector.capability is kind or (
        detector.capability is DetectorCapability.FEATURES
        and kind is DetectorCapability.EMBEDDINGS)


def builtin_detectors(kind: DetectorCapability) -> list[DriftDetector]:
    """Fresh first-party detectors for windows of ``kind``."""
    if kind is DetectorCapability.STREAM:
        return [CusumDetector(), AdwinDetector()]
    if kind is DetectorCapability.PREDICTIONS:
        return [LabelShiftDetector(), SimplexDetector(), ConfidenceDetector()]
    if kind is DetectorCapability.EMBEDDINGS:
        mmd = MmdDetector(capability=kind, project=True, scales=EMBEDDING_SCALES)
    else:
        mmd = MmdDetector(capability=kind)
    return [mmd, KsCvmDetector(capability=kind), PsiDetector()]


class DriftEnsemble:
    """A set of detectors fitted on one reference and judged by the domain's voting rules.

    The use cases reach the same verdicts through
    :class:`edgedeploy.application.monitoring.DetectorPool`;
    this class serves batch jobs (benchmarks, the demo) that keep detectors in memory.
    """

    def __init__(self, detectors: Sequence[DriftDetector] | None = None,
                 kind: DetectorCapability = DetectorCapability.FEATURES,
                 policy: SeverityPolicy | None = None) -> None:
        self.detectors = tuple(detectors) if detectors is not None else tuple(
            builtin_detectors(kind))
        self.policy = policy or SeverityPolicy()
        self.weights = EnsembleWeights()
        self.persistence = 0
        self.columns: tuple[ColumnProfile, ...] = ()

    def fit(self, reference: WindowData, feature_names: Sequence[str],
            categorical: Collection[str] = (),
            kinds: Mapping[str, ColumnKind] | None = None) -> DriftEnsemble:
        """Profile the columns, fit every detector and restart the persistence count.

        ``kinds`` overrides detected column kinds; ``categorical`` is the short form for
        declaring categorical columns.
        """
        data = as_matrix(reference)
        declared = dict.fromkeys(categorical, ColumnKind.CATEGORICAL)
        declared.update(kinds or {})
        return self.fit_columns(data, profile_columns(data, feature_names, declared))

    def fit_columns(self, reference: WindowData,
                    columns: Sequence[ColumnProfile]) -> DriftEnsemble:
        """Fit every detector on already profiled columns."""
        self.columns = tuple(columns)
        for detector in self.detectors:
            fit_detector(detector, reference, columns)
        self.persistence = 0
        return self

    def check(self, window: WindowData) -> Judgement:
        """Judge one window and carry the persistence count to the next."""
        result = judge(self.detectors, window, self.weights, self.persistence, self.policy)
        self.persistence = result.decision.persistence
        return result
