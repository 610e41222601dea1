"""Use case: judge one window of field data against the deployment's reference."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import structlog

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.messagebus import MessageBus
from edgedeploy.application.monitoring.ensemble import DetectorPool, judge
from edgedeploy.application.monitoring.fit_reference import fit_key
from edgedeploy.application.ports.drift import (
    DriftRepository,
    StatefulDetector,
    WindowData,
    WindowInspector,
)
from edgedeploy.application.ports.persistence import UnitOfWorkFactory
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.drift import (
    ColumnKind,
    ColumnProfile,
    DetectorCapability,
    DriftVerdict,
    ReferenceNotFitted,
    ReferenceProfile,
)
from edgedeploy.domain.drift_policy import DataQualityPolicy, SeverityPolicy, WindowPolicy
from edgedeploy.domain.events import verdict_events

log = structlog.get_logger(__name__)


def _listed(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def column_order(reference: ReferenceProfile, names: Sequence[str]) -> list[int]:
    """Where each reference column sits among a window's named columns.

    Raises:
        InvalidInput: a reference column is missing, a window column is unknown, or a name
            repeats; the message names them.
    """
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if list(names).count(n) > 1})
        raise InvalidInput(f"window column names repeat: {_listed(repeated)}",
                           code="DRIFT_WINDOW_COLUMNS")
    expected = reference.feature_names
    missing = [n for n in expected if n not in set(names)]
    extra = [n for n in names if n not in set(expected)]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {_listed(missing)}")
        if extra:
            parts.append(f"not in the reference: {_listed(extra)}")
        raise InvalidInput(f"window columns do not match the reference of "
                           f"{reference.deployment} ({'; '.join(parts)})",
                           code="DRIFT_WINDOW_COLUMNS")
    position = {n: i for i, n in enumerate(names)}
    return [position[n] for n in expected]


class CheckWindow:
    """Judge a window and record the verdict (SR_MON_001, SR_MON_002, SR_MON_004).

    Order of work: the window's columns are matched to the reference by name when it names
    them (by position otherwise), then it is profiled and checked, so a refused window
    (missing or extra columns, NaN/Inf, too few samples) raises before anything is stored. A
    window whose NaN share is above the policy's limit becomes a data-quality alarm: it is
    recorded, but it is not judged for drift and it neither raises nor resets the persistence
    count. Column-level data-quality findings (a constant column that changed, a stuck sensor)
    are recorded beside a normal drift judgement.
    """

    def __init__(self, uow: UnitOfWorkFactory, inspector: WindowInspector,
                 pool: DetectorPool, clock: Clock,
                 window_policy: WindowPolicy | None = None,
                 severity_policy: SeverityPolicy | None = None,
                 quality_policy: DataQualityPolicy | None = None,
                 bus: MessageBus | None = None) -> None:
        self._uow = uow
        self._bus = bus
        self._inspector = inspector
        self._pool = pool
        self._clock = clock
        self._window_policy = window_policy or WindowPolicy()
        self._severity = severity_policy or SeverityPolicy()
        self._quality = quality_policy or DataQualityPolicy()

    def __call__(self, deployment: str, window: WindowData,
                 feature_names: Sequence[str] | None = None) -> DriftVerdict:
        """Judge ``window`` for ``deployment`` and return the stored verdict.

        Args:
            deployment: the monitored deployment.
            window: rows x columns of field data.
            feature_names: the window's column names, when it has them: columns are then
                matched to the reference by name, in any order.

        Raises:
            ReferenceNotFitted: the deployment has no reference yet.
            InvalidInput: the columns do not match the reference's (by name or by count).
            InvalidWindow: the window cannot be judged; nothing was stored.
        """
        with self._uow() as work:
            verdict = self._check(work.drift, deployment, window, feature_names)
            # A critical verdict raises an event; its handlers (the alert) run after the
            # commit, so no alert ever names a verdict that was not stored.
            work.add_event(*verdict_events(verdict))
            work.commit()
        if self._bus is not None:
            self._bus.handle(work.collect_events())
        return verdict

    def _check(self, repository: DriftRepository, deployment: str, window: WindowData,
               feature_names: Sequence[str] | None) -> DriftVerdict:
        reference = repository.reference(deployment)
        if reference is None:
            raise ReferenceNotFitted(f"deployment {deployment!r} has no reference; fit one "
                                     f"before checking windows")
        expected = len(reference.feature_names)
        if feature_names is not None:
            window = self._inspector.select(window, column_order(reference, feature_names))
        profile = self._inspector.profile(window, reference.feature_names)
        if profile.n_features != expected:
            raise InvalidInput(f"window has {profile.n_features} features, the reference of "
                               f"{deployment} has {expected}",
                               code="DRIFT_WINDOW_FEATURE_COUNT")
        flags = self._window_policy.check(
            profile, expected, stream=reference.capability is DetectorCapability.STREAM)
        last = repository.last_verdict(deployment)
        index = 0 if last is None else last.window_index + 1
        carried = (last.persistence if last is not None
                   and last.reference_digest == reference.digest else 0)
        verdict_id = uuid.uuid4().hex
        now = self._clock.now()
        if flags:
            verdict = DriftVerdict(verdict_id, deployment, index, now,
                                   self._severity.severity_for(carried), (), 0.0, False,
                                   carried, (), flags, reference.digest, profile)
            repository.add_verdict(verdict)
            log.warning("drift.data_quality_alarm", deployment=deployment, window=index,
                        nan_share=profile.nan_share)
            return verdict
        findings = self._quality.findings(reference.columns, profile)
        detectors = self._pool.fitted(
            deployment, fit_key(reference.digest, reference.columns), reference.capability,
            lambda: repository.reference_rows(deployment), self._columns(repository, reference))
        for detector in detectors:
            if isinstance(detector, StatefulDetector):
                state = repository.detector_state(deployment, detector.name)
                if state is not None:
                    detector.restore(state)
        judgement = judge(detectors, window, repository.weights(deployment), carried,
                          self._severity)
        decision = judgement.decision
        verdict = DriftVerdict(verdict_id, deployment, index, now, decision.severity,
                               judgement.scores, decision.vote_share, decision.drifting,
                               decision.persistence, judgement.attributions, (),
                               reference.digest, profile, findings)
        # The verdict and the stream state it leaves behind are stored together, so a crash
        # never leaves a stream detector one window behind its verdicts.
        repository.add_verdict(verdict, {
            detector.name: detector.snapshot() for detector in detectors
            if isinstance(detector, StatefulDetector)})
        log.info("drift.window_checked", deployment=deployment, window=index,
                 severity=verdict.severity.value, vote_share=round(verdict.vote_share, 3),
                 fired=verdict.fired, top=verdict.top_features(),
                 findings=[f.flag.value for f in findings])
        return verdict

    def _columns(self, repository: DriftRepository,
                 reference: ReferenceProfile) -> tuple[ColumnProfile, ...]:
        """The reference's column profiles; profiles stored before kinds existed are rebuilt."""
        if reference.columns:
            return reference.columns
        rows = repository.reference_rows(reference.deployment)
        return self._inspector.columns(rows, reference.feature_names, dict.fromkeys(
            reference.categorical, ColumnKind.CATEGORICAL))
