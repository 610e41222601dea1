"""Drift monitoring over HTTP: references, windows, verdicts, feedback, report.

Each operation is one handler over one use case; a new monitoring operation is one more
handler here, its DTOs in ``dto/drift.py`` and its use case in ``dependencies.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, FromQuery, QueryParameter

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.monitoring import (
    CheckWindow,
    DriftReport,
    FitReference,
    ListVerdicts,
    RecordFeedback,
)
from edgedeploy.domain.drift import DriftSeverity
from edgedeploy.domain.identity import Permission, Principal
from edgedeploy.entrypoints.http.auth import guarded
from edgedeploy.entrypoints.http.dto import view
from edgedeploy.entrypoints.http.dto.drift import (
    DeploymentDriftView,
    DriftFeedbackCreate,
    DriftReferenceCreate,
    DriftReportView,
    DriftVerdictListView,
    DriftVerdictView,
    DriftWindowCreate,
    FeedbackView,
    ReferenceProfileView,
    rows_with_gaps,
)
from edgedeploy.entrypoints.http.metrics import observe_verdict
from edgedeploy.entrypoints.http.problems import problem_responses

NO_REFERENCE = "No reference is fitted for the deployment."
REFERENCE_EXAMPLE = Example(
    summary="Three sensor features, one of them categorical",
    value={"rows": [[12.5, 0.02, 1.0], [13.1, -0.01, 2.0], [12.9, 0.00, 1.0]],
           "feature_names": ["speed", "yaw_rate", "lane"], "categorical": ["lane"],
           "kind": "features"})
WINDOW_EXAMPLE = Example(
    summary="A window with one missing value (null)",
    value={"rows": [[12.7, 0.01, 1.0], [13.4, None, 2.0], [12.2, 0.03, 1.0]]})
FEEDBACK_EXAMPLE = Example(summary="A confirmed drift",
                           value={"feedback": "confirmed"})


def _instant(name: str, text: str | None) -> datetime | None:
    """An RFC 3339 date-time query value; a bare number is refused, not read as Unix time."""
    if text is None:
        return None
    try:
        return msgspec.convert(text, datetime)
    except msgspec.ValidationError:
        raise InvalidInput(f"{name} '{text}' is not an RFC 3339 date-time "
                           "(e.g. 2025-05-01T08:00:00Z)") from None


class DriftController(Controller):
    """The drift monitor of deployed models."""

    path = "/api/v1/drift"
    tags = ["monitoring"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post("/{deployment:str}/reference", sync_to_thread=True, status_code=201,
          summary="Fit a reference", **guarded(Permission.MONITOR),
          responses=problem_responses(400, 413, 415, 422,
                                      s422="The reference cannot calibrate the detectors."))
    def fit(self, deployment: FromPath[str],
            data: Annotated[DriftReferenceCreate, Body(examples=[REFERENCE_EXAMPLE])],
            fit_reference: NamedDependency[FitReference]) -> ReferenceProfileView:
        """Fit the detectors on reference rows and calibrate their thresholds.

        Thresholds are calibrated once, here, for a target false-alarm rate, so that judging
        a window later needs no resampling.
        """
        profile = fit_reference(deployment, data.rows, data.feature_names, data.categorical,
                                data.kind, data.column_kinds)
        return view(profile, ReferenceProfileView)

    @post("/{deployment:str}/windows", sync_to_thread=True, status_code=201,
          summary="Judge a window", **guarded(Permission.MONITOR),
          responses=problem_responses(400, 404, 413, 415, 422, s404=NO_REFERENCE,
                                      s422="The window cannot be judged (e.g. wrong width)."))
    def check(self, deployment: FromPath[str],
              data: Annotated[DriftWindowCreate, Body(examples=[WINDOW_EXAMPLE])],
              check_window: NamedDependency[CheckWindow]) -> DriftVerdictView:
        """Judge one window against the reference; returns the stored verdict.

        Severity escalates only when drift persists over consecutive windows, so one odd
        window raises a watch, not an alert.
        """
        verdict = check_window(deployment, rows_with_gaps(data.rows), data.feature_names)
        observe_verdict(verdict)
        return view(verdict, DriftVerdictView, standing_out=list(verdict.standing_out))

    @post("/verdicts/{verdict_id:str}/feedback", sync_to_thread=True, status_code=201,
          summary="Give feedback on a verdict", **guarded(Permission.JUDGE_DRIFT),
          responses=problem_responses(400, 404, 409, 413, 415,
                                      s404="No such verdict.",
                                      s409="Feedback on this verdict is already recorded."))
    def feedback(self, verdict_id: FromPath[str],
                 data: Annotated[DriftFeedbackCreate, Body(examples=[FEEDBACK_EXAMPLE])],
                 record_feedback: NamedDependency[RecordFeedback],
                 principal: NamedDependency[Principal]) -> FeedbackView:
        """Confirm a verdict or call it a false alarm; the detector weights adapt.

        Detectors that were right gain weight in later votes, so the ensemble learns which
        detectors suit a deployment's data.
        """
        record = record_feedback(verdict_id, data.feedback.value, principal.name)
        return view(record, FeedbackView)

    @get("/verdicts", sync_to_thread=True, summary="List verdicts", **guarded(Permission.READ),
         responses=problem_responses(400))
    def verdicts(
        self,
        list_verdicts: NamedDependency[ListVerdicts],
        deployment: FromQuery[str | None] = None,
        at_least: Annotated[DriftSeverity | None, QueryParameter(
            description="Only verdicts at or above this severity.")] = None,
        since: Annotated[str | None, QueryParameter(
            format="date-time", description="Only verdicts observed at or after this "
                                            "RFC 3339 date-time.")] = None,
        until: Annotated[str | None, QueryParameter(
            format="date-time", description="Only verdicts observed at or before this "
                                            "RFC 3339 date-time.")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=10_000)] = 100,
    ) -> DriftVerdictListView:
        """Stored verdicts, oldest first: the newest ``limit`` that match the filters.

        A pipeline polls this for what reached ``warning`` or ``critical`` since its last run.
        """
        found = list_verdicts(deployment, at_least, _instant("since", since),
                              _instant("until", until), limit)
        return DriftVerdictListView(verdicts=[view(v, DriftVerdictView) for v in found],
                                    count=len(found))

    @get("/report", sync_to_thread=True, summary="Drift report", **guarded(Permission.READ),
         responses=problem_responses(400))
    def report(self, drift_report: NamedDependency[DriftReport],
               deployment: FromQuery[str | None] = None) -> DriftReportView:
        """Verdicts over time per deployment, with severity counts, peak and current weights."""
        result = drift_report(deployment)
        return DriftReportView(deployments=[
            view(entry, DeploymentDriftView, peak=entry.peak) for entry in result.deployments])
