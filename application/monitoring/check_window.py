"""Use case: judge one window of field data against the deployment's reference."""

from __future__ import annotations

import uuid

import structlog

from edgedeploy.application.monitoring.ensemble import DetectorPool, judge
from edgedeploy.application.ports.drift import (
    DriftRepository,
    StatefulDetector,
    WindowData,
    WindowInspector,
)
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.drift import DetectorCapability, DriftVerdict, ReferenceNotFitted
from edgedeploy.domain.drift_policy import SeverityPolicy, WindowPolicy

log = structlog.get_logger(__name__)


class CheckWindow:
    """Judge a window and record the verdict (SR_MON_001, SR_MON_002, SR_MON_004).

    Order of work: the window is profiled and checked first, so a refused window (NaN/Inf, wrong
    feature count, too few samples) raises before anything is stored. A window whose NaN share
    is above the policy's limit becomes a data-quality alarm: it is recorded, but it is not
    judged for drift and it neither raises nor resets the persistence count.
    """

    def __init__(self, repository: DriftRepository, inspector: WindowInspector,
                 pool: DetectorPool, clock: Clock,
                 window_policy: WindowPolicy | None = None,
                 severity_policy: SeverityPolicy | None = None) -> None:
        self._repository = repository
        self._inspector = inspector
        self._pool = pool
        self._clock = clock
        self._window_policy = window_policy or WindowPolicy()
        self._severity = severity_policy or SeverityPolicy()

    def __call__(self, deployment: str, window: WindowData) -> DriftVerdict:
        """Judge ``window`` for ``deployment`` and return the stored verdict.

        Raises:
            ReferenceNotFitted: the deployment has no reference yet.
            InvalidWindow: the window cannot be judged; nothing was stored.
        """
        reference = self._repository.reference(deployment)
        if reference is None:
            raise ReferenceNotFitted(f"deployment {deployment!r} has no reference; fit one "
                                     f"before checking windows")
        profile = self._inspector.profile(window, reference.feature_names)
        flags = self._window_policy.check(
            profile, len(reference.feature_names),
            stream=reference.capability is DetectorCapability.STREAM)
        last = self._repository.last_verdict(deployment)
        index = 0 if last is None else last.window_index + 1
        carried = (last.persistence if last is not None
                   and last.reference_digest == reference.digest else 0)
        verdict_id = uuid.uuid4().hex
        now = self._clock.now()
        if flags:
            verdict = DriftVerdict(verdict_id, deployment, index, now,
                                   self._severity.severity_for(carried), (), 0.0, False,
                                   carried, (), flags, reference.digest, profile)
            self._repository.add_verdict(verdict)
            log.warning("drift.data_quality_alarm", deployment=deployment, window=index,
                        nan_share=profile.nan_share)
            return verdict
        detectors = self._pool.fitted(
            deployment, reference.digest, reference.capability,
            lambda: self._repository.reference_rows(deployment),
            reference.feature_names, sorted(reference.categorical))
        for detector in detectors:
            if isinstance(detector, StatefulDetector):
                state = self._repository.detector_state(deployment, detector.name)
                if state is not None:
                    detector.restore(state)
        judgement = judge(detectors, window, self._repository.weights(deployment), carried,
                          self._severity)
        decision = judgement.decision
        verdict = DriftVerdict(verdict_id, deployment, index, now, decision.severity,
                               judgement.scores, decision.vote_share, decision.drifting,
                               decision.persistence, judgement.attributions, (),
                               reference.digest, profile)
        # The verdict and the stream state it leaves behind are stored together, so a crash
        # never leaves a stream detector one window behind its verdicts.
        self._repository.add_verdict(verdict, {
            detector.name: detector.snapshot() for detector in detectors
            if isinstance(detector, StatefulDetector)})
        log.info("drift.window_checked", deployment=deployment, window=index,
                 severity=verdict.severity.value, vote_share=round(verdict.vote_share, 3),
                 fired=verdict.fired, top=verdict.top_features())
        return verdict
