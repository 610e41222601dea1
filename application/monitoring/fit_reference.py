"""Use case: fit a deployment's reference, the baseline every later window is compared with."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import structlog

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.monitoring.ensemble import DetectorPool
from edgedeploy.application.ports.drift import WindowData, WindowInspector
from edgedeploy.application.ports.persistence import UnitOfWorkFactory
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.drift import (
    ColumnKind,
    ColumnProfile,
    DetectorCapability,
    ReferenceProfile,
)
from edgedeploy.domain.drift_policy import WindowPolicy

log = structlog.get_logger(__name__)


def fit_key(digest: str, columns: Sequence[ColumnProfile]) -> str:
    """The key detectors are fitted under: the reference's digest and its column kinds.

    Refitting the same rows with other declared kinds must refit the detectors.
    """
    return digest + "|" + ",".join(c.kind.value for c in columns)


def parse_kinds(kinds: Mapping[str, ColumnKind | str] | None) -> dict[str, ColumnKind]:
    """Declared column kinds, validated.

    Raises:
        InvalidInput: a kind that is not one of the column kinds.
    """
    parsed: dict[str, ColumnKind] = {}
    for name, kind in (kinds or {}).items():
        try:
            parsed[name] = ColumnKind(kind)
        except ValueError:
            raise InvalidInput(f"column {name}: kind '{kind}' is not one of "
                               f"{', '.join(k.value for k in ColumnKind)}",
                               code="DRIFT_COLUMN_KIND_INVALID") from None
    return parsed


class FitReference:
    """Fit the detectors on a reference window and store its profile (SR_MON_001).

    The reference must be clean: a single NaN or Inf, or fewer rows than a window needs, is
    refused, because every threshold is calibrated on it. Each column's kind (continuous,
    count, categorical, constant, bounded) is detected, or taken as declared, and recorded in
    the profile, so every later window is tested the way its columns need. Refitting replaces
    the previous reference; later windows start a new persistence count against it.
    """

    def __init__(self, uow: UnitOfWorkFactory, inspector: WindowInspector,
                 pool: DetectorPool, clock: Clock,
                 window_policy: WindowPolicy | None = None) -> None:
        self._uow = uow
        self._inspector = inspector
        self._pool = pool
        self._clock = clock
        self._policy = window_policy or WindowPolicy()

    def __call__(self, deployment: str, reference: WindowData,
                 feature_names: Sequence[str] | None = None,
                 categorical: Collection[str] = (),
                 capability: DetectorCapability = DetectorCapability.FEATURES,
                 kinds: Mapping[str, ColumnKind | str] | None = None,
                 ) -> ReferenceProfile:
        """Fit and store the reference of ``deployment``; return its profile.

        Args:
            deployment: the monitored deployment.
            reference: rows x features of reference data (or a single column of prediction
                outcomes, 1 = wrong, for a stream reference).
            feature_names: column names; ``f0``, ``f1``, ... when omitted.
            categorical: names of columns holding category codes.
            capability: the kind of data the reference holds.
            kinds: column name -> kind, overriding detection (``categorical`` is the short
                form for declaring categorical columns).

        Raises:
            InvalidInput: the deployment name is empty or the names do not match the columns.
            InvalidWindow: the reference holds NaN/Inf or too few rows.
        """
        with self._uow() as work:
            repository = work.drift
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
            declared = dict.fromkeys(categorical, ColumnKind.CATEGORICAL)
            declared.update(parse_kinds(kinds))
            columns = self._inspector.columns(reference, names, declared)
            digest = self._inspector.digest(reference)
            detectors = self._pool.fitted(deployment, fit_key(digest, columns), capability,
                                          lambda: reference, columns)
            profile = ReferenceProfile(
                deployment, capability, names,
                frozenset(c.name for c in columns if c.kind is ColumnKind.CATEGORICAL),
                summary.n_samples, digest, self._clock.now(), tuple(d.name for d in detectors),
                columns)
            repository.save_reference(profile, reference)
            log.info("drift.reference_fitted", deployment=deployment, samples=summary.n_samples,
                     features=len(names), detectors=profile.detectors,
                     kinds={k.value: sum(c.kind is k for c in columns) for k in ColumnKind})
            work.commit()
            return profile
