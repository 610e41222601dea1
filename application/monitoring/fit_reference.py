"""Use case: fit a deployment's reference, the baseline every later window is compared with."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import structlog

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.monitoring.ensemble import DetectorPool
from edgedeploy.application.ports.drift import DriftRepository, WindowData, WindowInspector
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.drift import DetectorCapability, ReferenceProfile
from edgedeploy.domain.drift_policy import WindowPolicy

log = structlog.get_logger(__name__)


class FitReference:
    """Fit the detectors on a reference window and store its profile (SR_MON_001).

    The reference must be clean: a single NaN or Inf, or fewer rows than a window needs, is
    refused, because every threshold is calibrated on it. Refitting replaces the previous
    reference; later windows start a new persistence count against it.
    """

    def __init__(self, repository: DriftRepository, inspector: WindowInspector,
                 pool: DetectorPool, clock: Clock,
                 window_policy: WindowPolicy | None = None) -> None:
        self._repository = repository
        self._inspector = inspector
        self._pool = pool
        self._clock = clock
        self._policy = window_policy or WindowPolicy()

    def __call__(self, deployment: str, reference: WindowData,
                 feature_names: Sequence[str] | None = None,
                 categorical: Collection[str] = (),
                 capability: DetectorCapability = DetectorCapability.FEATURES,
                 ) -> ReferenceProfile:
        """Fit and store the reference of ``deployment``; return its profile.

        Args:
            deployment: the monitored deployment.
            reference: rows x features of reference data (or a single column of prediction
                outcomes, 1 = wrong, for a stream reference).
            feature_names: column names; ``f0``, ``f1``, ... when omitted.
            categorical: names of columns holding category codes.
            capability: the kind of data the reference holds.

        Raises:
            InvalidInput: the deployment name is empty or the names do not match the columns.
            InvalidWindow: the reference holds NaN/Inf or too few rows.
        """
        if not deployment.strip():
            raise InvalidInput("a deployment name is required")
        shape = self._inspector.profile(reference, ())
        names = tuple(feature_names) if feature_names is not None else tuple(
            f"f{i}" for i in range(shape.n_features))
        if len(names) != shape.n_features:
            raise InvalidInput(f"{len(names)} feature names given for a reference with "
                               f"{shape.n_features} columns")
        summary = self._inspector.profile(reference, names)
        strict = WindowPolicy(min_samples=self._policy.min_samples, nan_alarm_share=0.0)
        strict.check(summary, len(names))
        if summary.nan_count:  # the strict policy reports even one NaN as a quality flag
            strict_message = (f"reference holds {summary.nan_count} NaN values in "
                              f"{', '.join(summary.nan_features)}; a reference must be clean")
            raise InvalidInput(strict_message, code="DRIFT_REFERENCE_NOT_FINITE")
        digest = self._inspector.digest(reference)
        detectors = self._pool.fitted(deployment, digest, capability, lambda: reference,
                                      names, sorted(categorical))
        profile = ReferenceProfile(deployment, capability, names, frozenset(categorical),
                                   summary.n_samples, digest, self._clock.now(),
                                   tuple(d.name for d in detectors))
        self._repository.save_reference(profile, reference)
        log.info("drift.reference_fitted", deployment=deployment, samples=summary.n_samples,
                 features=len(names), detectors=profile.detectors)
        return profile
