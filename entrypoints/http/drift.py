"""Drift monitoring over HTTP: references, windows, verdicts, feedback, report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery

from edgedeploy.application.errors import InvalidInput
from edgedeploy.domain.drift import DetectorCapability
from edgedeploy.entrypoints.http.dto import (
    DriftFeedbackCreate,
    DriftReferenceCreate,
    DriftWindowCreate,
)
from edgedeploy.entrypoints.http.state import container_of


def _matrix(rows: Sequence[Sequence[float | None]]) -> np.ndarray:
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        raise InvalidInput(f"every row must have the same number of values, got {sorted(widths)}")
    return np.array([[np.nan if v is None else v for v in row] for row in rows],
                    dtype=np.float64)


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


class DriftController(Controller):
    """The drift monitor of deployed models."""

    path = "/api/v1/drift"
    tags = ["monitoring"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post("/{deployment:str}/reference", sync_to_thread=True, status_code=201)
    def fit(self, state: State, deployment: FromPath[str],
            data: DriftReferenceCreate) -> dict[str, Any]:
        """Fit the detectors on reference rows and calibrate their thresholds."""
        try:
            kind = DetectorCapability(data.kind)
        except ValueError:
            raise InvalidInput(f"kind '{data.kind}' is not one of features, embeddings, "
                               "stream") from None
        profile = container_of(state).fit_reference()(
            deployment, _matrix([list(row) for row in data.rows]), data.feature_names,
            data.categorical, kind)
        return _plain(profile)  # type: ignore[no-any-return]

    @post("/{deployment:str}/windows", sync_to_thread=True, status_code=201)
    def check(self, state: State, deployment: FromPath[str],
              data: DriftWindowCreate) -> dict[str, Any]:
        """Judge one window; returns the stored verdict (422: the window cannot be judged)."""
        verdict = container_of(state).check_window()(deployment, _matrix(data.rows))
        return _plain(verdict)  # type: ignore[no-any-return]

    @post("/verdicts/{verdict_id:str}/feedback", sync_to_thread=True, status_code=201)
    def feedback(self, state: State, verdict_id: FromPath[str],
                 data: DriftFeedbackCreate) -> dict[str, Any]:
        """Confirm a verdict or call it a false alarm; the detector weights adapt."""
        if data.feedback not in ("confirmed", "false-alarm"):
            raise InvalidInput("feedback must be 'confirmed' or 'false-alarm'")
        record = container_of(state).record_feedback()(verdict_id, data.feedback, data.reviewer)
        return _plain(record)  # type: ignore[no-any-return]

    @get("/report", sync_to_thread=True)
    def report(self, state: State,
               deployment: FromQuery[str | None] = None) -> dict[str, Any]:
        """Verdicts over time per deployment, with severity counts and weights."""
        result = container_of(state).drift_report()(deployment)
        return {"deployments": [{**_plain(entry), "peak": entry.peak.value}
                                for entry in result.deployments]}
