"""The drift monitor's SQL repository, on SQLite and (when configured) PostgreSQL.

The repository works inside a unit of work; each test runs in one and commits at the end.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from edgedeploy.domain.drift import (
    DetectorCapability,
    DetectorScore,
    DriftSeverity,
    DriftVerdict,
    FeatureAttribution,
    Feedback,
    FeedbackAlreadyRecorded,
    FeedbackRecord,
    ReferenceNotFitted,
    ReferenceProfile,
    WindowProfile,
)
from edgedeploy.domain.drift_policy import EnsembleWeights
from edgedeploy.domain.errors import Conflict

T0 = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(name="repo")
def fx_repo(new_uow):
    with new_uow() as work:
        yield work.drift
        work.commit()


def profile(deployment: str = "aeb@1/eu") -> ReferenceProfile:
    return ReferenceProfile(deployment, DetectorCapability.FEATURES, ("a", "b", "c"),
                            frozenset({"c"}), 100, "sha256:" + "1" * 64, T0, ("mmd", "psi"))


def verdict(index: int, severity: DriftSeverity = DriftSeverity.NORMAL,
            deployment: str = "aeb@1/eu") -> DriftVerdict:
    drifting = severity is not DriftSeverity.NORMAL
    return DriftVerdict(
        id=f"v-{deployment}-{index}", deployment=deployment, window_index=index,
        observed_at=T0 + timedelta(minutes=index), severity=severity,
        scores=(DetectorScore("mmd", 0.3, 0.2, True, 1.0, None),
                DetectorScore("psi", 0.01, 0.2, False, 0.5, 0.4)),
        vote_share=0.67 if drifting else 0.0, drifting=drifting,
        persistence=1 if drifting else 0,
        attributions=(FeatureAttribution("b", 2.5, "univariate"),
                      FeatureAttribution("a", 0.1, "psi")),
        reference_digest="sha256:" + "1" * 64,
        profile=WindowProfile(50, 3, 2, 0, ("c",), (), (0.1, -0.2, math.nan), (1.0, 1.1, 0.9)))


def test_a_reference_round_trips_with_its_rows(repo):
    rows = np.arange(300, dtype=np.float64).reshape(100, 3)
    repo.save_reference(profile(), rows)
    assert repo.reference("aeb@1/eu") == profile()
    np.testing.assert_array_equal(repo.reference_rows("aeb@1/eu"), rows)
    with pytest.raises(ReferenceNotFitted):
        repo.reference_rows("unknown")
    assert repo.reference("unknown") is None


def test_verdicts_round_trip_in_window_order_with_their_window_statistics(repo):
    for index, severity in ((1, DriftSeverity.WATCH), (0, DriftSeverity.NORMAL)):
        repo.add_verdict(verdict(index, severity))
    repo.add_verdict(verdict(0, deployment="other"))
    stored = repo.verdicts("aeb@1/eu")
    assert [v.window_index for v in stored] == [0, 1]
    assert stored[1] == verdict(1, DriftSeverity.WATCH)
    assert stored[1].profile is not None and math.isnan(stored[1].profile.means[2])
    assert repo.last_verdict("aeb@1/eu").window_index == 1
    assert repo.verdict("v-aeb@1/eu-1").severity is DriftSeverity.WATCH
    assert len(repo.verdicts(since=T0 + timedelta(seconds=30))) == 1
    with pytest.raises(Conflict, match="already has a verdict"):
        repo.add_verdict(verdict(1))


def test_weights_feedback_and_detector_state_persist(repo):
    assert repo.weights("d").values == {}
    repo.save_weights("d", EnsembleWeights({"mmd": 1.25, "psi": 0.4}))
    assert dict(repo.weights("d").values) == {"mmd": 1.25, "psi": 0.4}
    repo.add_verdict(verdict(0, DriftSeverity.WATCH, deployment="d"))
    record = FeedbackRecord("v-d-0", "d", Feedback.CONFIRMED, T0, "analyst",
                            (("mmd", 1.0),), (("mmd", 1.25),))
    repo.add_feedback(record)
    assert repo.feedback("v-d-0") == record
    with pytest.raises(FeedbackAlreadyRecorded):
        repo.add_feedback(record)
    assert repo.detector_state("d", "adwin") is None
    repo.save_detector_state("d", "adwin", {"width": 120.0, "mean": 0.05})
    repo.save_detector_state("d", "adwin", {"width": 121.0, "mean": 0.06})
    assert repo.detector_state("d", "adwin") == {"width": 121.0, "mean": 0.06}


def test_a_verdict_and_the_stream_state_it_leaves_are_stored_together(repo):
    repo.add_verdict(verdict(0), {"adwin": {"width": 10.0}, "cusum": {"s": 0.5}})
    assert repo.detector_state("aeb@1/eu", "adwin") == {"width": 10.0}
    assert repo.detector_state("aeb@1/eu", "cusum") == {"s": 0.5}
    with pytest.raises(Conflict):
        repo.add_verdict(verdict(0), {"adwin": {"width": 99.0}})
    assert repo.detector_state("aeb@1/eu", "adwin") == {"width": 10.0}


def test_a_refused_verdict_leaves_the_rest_of_the_unit_of_work_intact(new_uow):
    with new_uow() as work:
        work.drift.add_verdict(verdict(0), {"adwin": {"width": 10.0}})
        with pytest.raises(Conflict):
            work.drift.add_verdict(verdict(0), {"adwin": {"width": 99.0}})
        work.drift.save_weights("aeb@1/eu", EnsembleWeights({"mmd": 2.0}))
        work.commit()
    with new_uow() as work:
        assert [v.window_index for v in work.drift.verdicts("aeb@1/eu")] == [0]
        assert work.drift.detector_state("aeb@1/eu", "adwin") == {"width": 10.0}
        assert work.drift.weights("aeb@1/eu").values == {"mmd": 2.0}
