"""In-memory fake of the drift repository port."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime

from edgedeploy.application.ports.drift import AlertDelivery, WindowData
from edgedeploy.domain.drift import (
    DriftVerdict,
    FeedbackRecord,
    ReferenceNotFitted,
    ReferenceProfile,
)
from edgedeploy.domain.drift_policy import EnsembleWeights


class InMemoryDriftRepository:
    """Keeps references, verdicts, weights, feedback and stream state in dictionaries."""

    def __init__(self) -> None:
        self.references: dict[str, tuple[ReferenceProfile, WindowData]] = {}
        self.verdict_log: list[DriftVerdict] = []
        self.weight_table: dict[str, EnsembleWeights] = {}
        self.feedback_log: dict[str, FeedbackRecord] = {}
        self.states: dict[tuple[str, str], dict[str, float]] = {}
        self.deliveries: list[AlertDelivery] = []

    def save_reference(self, profile: ReferenceProfile, rows: WindowData) -> None:
        self.references[profile.deployment] = (profile, rows)

    def reference(self, deployment: str) -> ReferenceProfile | None:
        found = self.references.get(deployment)
        return found[0] if found else None

    def reference_rows(self, deployment: str) -> WindowData:
        if deployment not in self.references:
            raise ReferenceNotFitted(f"deployment {deployment!r} has no reference")
        return self.references[deployment][1]

    def add_verdict(self, verdict: DriftVerdict,
                    detector_states: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self.verdict_log.append(verdict)
        for detector, state in (detector_states or {}).items():
            self.save_detector_state(verdict.deployment, detector, state)

    def verdict(self, verdict_id: str) -> DriftVerdict | None:
        return next((v for v in self.verdict_log if v.id == verdict_id), None)

    def verdicts(self, deployment: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[DriftVerdict]:
        return [v for v in self.verdict_log
                if (deployment is None or v.deployment == deployment)
                and (since is None or v.observed_at >= since)
                and (until is None or v.observed_at <= until)]

    def last_verdict(self, deployment: str) -> DriftVerdict | None:
        mine = [v for v in self.verdict_log if v.deployment == deployment]
        return mine[-1] if mine else None

    def weights(self, deployment: str) -> EnsembleWeights:
        return self.weight_table.get(deployment, EnsembleWeights())

    def save_weights(self, deployment: str, weights: EnsembleWeights) -> None:
        self.weight_table[deployment] = weights

    def add_feedback(self, record: FeedbackRecord) -> None:
        self.feedback_log[record.verdict_id] = record

    def feedback(self, verdict_id: str) -> FeedbackRecord | None:
        return self.feedback_log.get(verdict_id)

    def detector_state(self, deployment: str, detector: str) -> Mapping[str, float] | None:
        return self.states.get((deployment, detector))

    def save_detector_state(self, deployment: str, detector: str,
                            state: Mapping[str, float]) -> None:
        self.states[(deployment, detector)] = dict(state)

    def add_alert_deliveries(self, deliveries: Sequence[AlertDelivery]) -> None:
        self.deliveries.extend(deliveries)

    def alert_deliveries(self, verdict_id: str | None = None) -> list[AlertDelivery]:
        return [d for d in self.deliveries if verdict_id is None or d.verdict_id == verdict_id]

    def snapshot(self) -> tuple[object, ...]:
        """Everything stored, for tests that check a refusal changed nothing."""
        return copy.deepcopy((list(self.references), self.verdict_log, self.weight_table,
                              self.feedback_log, self.states))
