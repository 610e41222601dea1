"""The first-party detector ensemble and the detector factories behind the entry points."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Collection, Sequence

import structlog

from edgedeploy.adapters.drift.mmd import MmdDetector
from edgedeploy.adapters.drift.psi import PsiDetector
from edgedeploy.adapters.drift.stream import AdwinDetector, CusumDetector
from edgedeploy.adapters.drift.univariate import KsCvmDetector
from edgedeploy.application.monitoring.ensemble import Judgement, judge
from edgedeploy.application.ports.drift import DETECTOR_GROUP, DriftDetector, WindowData
from edgedeploy.domain.drift import DetectorCapability
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
    if kind is DetectorCapability.EMBEDDINGS:
        mmd = MmdDetector(capability=kind, project=True, scales=EMBEDDING_SCALES)
    else:
        mmd = MmdDetector(capability=kind)
    return [mmd, KsCvmDetector(capability=kind), PsiDetector()]


def discover_detectors(kind: DetectorCapability,
                       allow: Collection[str] | None = None) -> list[DriftDetector]:
    """Detectors for ``kind`` from the ``edgedeploy.drift_detectors`` entry points.

    Each factory is loaded in isolation: one that fails to import or build is logged and
    skipped, so a broken third-party detector never takes the monitor down. ``allow`` limits
    the entry points by name when given.
    """
    detectors: list[DriftDetector] = []
    for entry in importlib.metadata.entry_points(group=DETECTOR_GROUP):
        if allow is not None and entry.name not in allow:
            continue
        try:
            detector = entry.load()()
        except Exception as exc:  # a plugin's failure must not stop the others
            log.warning("drift.detector_unusable", entry_point=entry.name, error=str(exc))
            continue
        if isinstance(detector, DriftDetector) and serves(detector, kind):
            detectors.append(detector)
    return detectors


def detector_provider(allow: Collection[str] | None = None,
                      ) -> Callable[[DetectorCapability], list[DriftDetector]]:
    """The provider the composition root hands to ``DetectorPool``.

    It yields the first-party detectors for a kind of window plus every third-party detector
    registered under ``edgedeploy.drift_detectors`` (limited to ``allow`` when given) whose
    name does not clash with a first-party one, so registering the first-party factories as
    entry points does not count them twice.
    """
    def provide(kind: DetectorCapability) -> list[DriftDetector]:
        detectors = builtin_detectors(kind)
        taken = {d.name for d in detectors}
        detectors += [d for d in discover_detectors(kind, allow) if d.name not in taken]
        return detectors

    return provide


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

    def fit(self, reference: WindowData, feature_names: Sequence[str],
            categorical: Collection[str] = ()) -> DriftEnsemble:
        """Fit every detector on the reference and restart the persistence count."""
        for detector in self.detectors:
            detector.fit(reference, feature_names, categorical)
        self.persistence = 0
        return self

    def check(self, window: WindowData) -> Judgement:
        """Judge one window and carry the persistence count to the next."""
        result = judge(self.detectors, window, self.weights, self.persistence, self.policy)
        self.persistence = result.decision.persistence
        return result
