import numpy as np
import pytest

from edgedeploy.adapters.drift import NumpyWindowInspector, builtin_detectors
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.messagebus import MessageBus
from edgedeploy.application.monitoring import (
    CheckWindow,
    DetectorPool,
    DriftReport,
    FitReference,
    RecordFeedback,
)
from edgedeploy.domain.drift import (
    DataQualityFlag,
    DetectorCapability,
    DriftSeverity,
    Feedback,
    FeedbackAlreadyRecorded,
    InvalidWindow,
    ReferenceNotFitted,
    VerdictNotFound,
)
from edgedeploy.domain.events import CriticalDriftDetected
from tests.fakes.clock import ManualClock
from tests.fakes.drift import InMemoryDriftRepository
from tests.fakes.persistence import InMemoryDatabase

NAMES = ["speed", "yaw_rate", "range", "lane"]
DEPLOYMENT = "aeb-perception@1.2.0"


def sample(rng, n, shift=0.0, feature=None):
    x = rng.normal(size=(n, 4))
    x[:, 3] = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    if feature is None:
        x[:, :3] += shift
    else:
        x[:, feature] += shift
    return x


class Monitor:
    def __init__(self):
        self.repository = InMemoryDriftRepository()
        self.database = InMemoryDatabase(drift=self.repository)
        self.bus = MessageBus()
        self.alerts: list[CriticalDriftDetected] = []
        self.bus.subscribe(CriticalDriftDetected, self.alerts.append)
        uow = self.database.unit_of_work
        clock, inspector = ManualClock.stepping(), NumpyWindowInspector()
        pool = DetectorPool(builtin_detectors)
        self.fit = FitReference(uow, inspector, pool, clock)
        self.check = CheckWindow(uow, inspector, pool, clock, bus=self.bus)
        self.feedback = RecordFeedback(uow, clock)
        self.report = DriftReport(uow)


@pytest.fixture(name="rng")
def fx_rng():
    return np.random.default_rng(11)


@pytest.fixture(name="monitor")
def fx_monitor(rng):
    monitor = Monitor()
    monitor.fit(DEPLOYMENT, sample(rng, 600), NAMES, categorical={"lane"})
    return monitor


def test_fitting_a_reference_stores_its_profile_and_detectors(monitor):
    profile = monitor.repository.reference(DEPLOYMENT)
    assert profile.feature_names == tuple(NAMES)
    assert profile.categorical == frozenset({"lane"})
    assert set(profile.detectors) == {"mmd", "univariate", "psi"}
    assert profile.digest.startswith("sha256:")


def test_checking_before_a_reference_is_fitted_names_the_deployment():
    with pytest.raises(ReferenceNotFitted, match="unknown@0"):
        Monitor().check("unknown@0", np.zeros((100, 4)))


def test_a_reference_with_nan_is_refused():
    reference = np.ones((100, 4))
    reference[3, 1] = np.nan
    with pytest.raises(InvalidInput, match="f1"):
        Monitor().fit(DEPLOYMENT, reference)


def test_feature_names_that_do_not_match_the_columns_are_refused(rng):
    with pytest.raises(InvalidInput, match="3 feature names"):
        Monitor().fit(DEPLOYMENT, sample(rng, 200), NAMES[:3])


def test_a_clean_window_is_normal_and_stored_with_its_summary(monitor, rng):
    verdict = monitor.check(DEPLOYMENT, sample(rng, 300))
    assert verdict.severity is DriftSeverity.NORMAL and not verdict.drifting
    assert verdict.profile is not None and verdict.profile.n_samples == 300
    assert monitor.repository.verdict(verdict.id) == verdict


def test_a_drifted_stream_escalates_through_watch_warning_and_critical(monitor, rng):
    seen = [monitor.check(DEPLOYMENT, sample(rng, 300, shift=0.8, feature=1)).severity
            for _ in range(6)]
    assert seen == [DriftSeverity.WATCH] * 2 + [DriftSeverity.WARNING] * 3 + [
        DriftSeverity.CRITICAL]


def test_only_a_critical_verdict_raises_an_alert_and_only_once_it_is_stored(monitor, rng):
    for _ in range(5):
        monitor.check(DEPLOYMENT, sample(rng, 300, shift=0.8, feature=1))
    assert monitor.alerts == []
    critical = monitor.check(DEPLOYMENT, sample(rng, 300, shift=0.8, feature=1))
    assert [a.verdict_id for a in monitor.alerts] == [critical.id]
    assert monitor.repository.verdict(critical.id) == critical
    assert monitor.alerts[0].reasons and "yaw_rate" in monitor.alerts[0].reasons[0]


def test_the_drifted_feature_is_named_first(monitor, rng):
    verdict = monitor.check(DEPLOYMENT, sample(rng, 300, shift=0.8, feature=1))
    assert verdict.top_features(1) == ("yaw_rate",)


def test_window_indices_count_up_per_deployment(monitor, rng):
    indices = [monitor.check(DEPLOYMENT, sample(rng, 200)).window_index for _ in range(3)]
    assert indices == [0, 1, 2]


@pytest.mark.parametrize(("window", "message"), [
    (np.zeros((10, 4)), "at least 50"),
    (np.where(np.arange(800).reshape(200, 4) == 5, np.inf, 0.0), "infinite"),
    (np.where(np.arange(800).reshape(200, 4) == 6, np.nan, 0.0), "NaN"),
])
def test_a_bad_window_is_refused_and_nothing_stored_changes(monitor, rng, window, message):
    monitor.check(DEPLOYMENT, sample(rng, 200))
    before = monitor.repository.snapshot()
    with pytest.raises(InvalidWindow, match=message):
        monitor.check(DEPLOYMENT, window)
    assert monitor.repository.snapshot() == before


def test_a_window_of_the_wrong_width_is_invalid_input_and_nothing_stored_changes(monitor, rng):
    monitor.check(DEPLOYMENT, sample(rng, 200))
    before = monitor.repository.snapshot()
    with pytest.raises(InvalidInput, match="3 features") as caught:
        monitor.check(DEPLOYMENT, np.zeros((200, 3)))
    assert caught.value.code == "DRIFT_WINDOW_FEATURE_COUNT"
    assert monitor.repository.snapshot() == before


def test_columns_are_matched_by_name_and_reordering_changes_nothing(monitor, rng):
    window = sample(rng, 300, shift=0.8, feature=2)
    by_position = monitor.check(DEPLOYMENT, window)
    order = [3, 1, 0, 2]
    by_name = monitor.check(DEPLOYMENT, window[:, order], [NAMES[i] for i in order])
    assert by_name.vote_share == by_position.vote_share
    assert by_name.top_features(1) == by_position.top_features(1) == ("range",)
    with pytest.raises(InvalidInput, match="missing lane; not in the reference: lanes"):
        monitor.check(DEPLOYMENT, window, ["speed", "yaw_rate", "range", "lanes"])


def test_a_window_mostly_nan_is_a_data_quality_alarm_that_keeps_the_persistence(monitor, rng):
    for _ in range(2):
        drifting = monitor.check(DEPLOYMENT, sample(rng, 300, shift=1.0))
    broken = sample(rng, 300)
    broken[:, :2] = np.nan
    alarm = monitor.check(DEPLOYMENT, broken)
    assert alarm.data_quality == (DataQualityFlag.NAN_SHARE_ABOVE_LIMIT,)
    assert alarm.scores == () and not alarm.drifting
    assert alarm.persistence == drifting.persistence == 2
    after = monitor.check(DEPLOYMENT, sample(rng, 300, shift=1.0))
    assert after.persistence == 3 and after.severity is DriftSeverity.WARNING


def test_false_alarm_feedback_lowers_the_weights_of_the_detectors_that_fired(monitor, rng):
    verdict = monitor.check(DEPLOYMENT, sample(rng, 300, shift=1.0))
    record = monitor.feedback(verdict.id, "false-alarm", reviewer="safety-engineer")
    before, after = dict(record.weights_before), dict(record.weights_after)
    assert verdict.fired
    for name in verdict.fired:
        assert after[name] < before[name]
    next_verdict = monitor.check(DEPLOYMENT, sample(rng, 300))
    weights = {s.name: s.weight for s in next_verdict.scores}
    assert all(weights[name] == pytest.approx(after[name]) for name in verdict.fired)


def test_confirmed_feedback_raises_the_weights_of_the_detectors_that_fired(monitor, rng):
    verdict = monitor.check(DEPLOYMENT, sample(rng, 300, shift=1.0))
    record = monitor.feedback(verdict.id, Feedback.CONFIRMED)
    assert all(dict(record.weights_after)[n] > dict(record.weights_before)[n]
               for n in verdict.fired)


def test_feedback_on_an_unknown_verdict_is_not_found(monitor):
    with pytest.raises(VerdictNotFound):
        monitor.feedback("nope", Feedback.CONFIRMED)


def test_feedback_is_taken_once_per_verdict(monitor, rng):
    verdict = monitor.check(DEPLOYMENT, sample(rng, 300, shift=1.0))
    monitor.feedback(verdict.id, Feedback.CONFIRMED)
    weights = monitor.repository.weights(DEPLOYMENT)
    with pytest.raises(FeedbackAlreadyRecorded):
        monitor.feedback(verdict.id, Feedback.CONFIRMED)
    assert monitor.repository.weights(DEPLOYMENT) == weights


def test_the_report_lists_verdicts_over_time_with_counts_and_peak(monitor, rng):
    monitor.check(DEPLOYMENT, sample(rng, 300))
    for _ in range(3):
        monitor.check(DEPLOYMENT, sample(rng, 300, shift=1.0))
    report = monitor.report(DEPLOYMENT)
    (entry,) = report.deployments
    assert [v.window_index for v in entry.verdicts] == [0, 1, 2, 3]
    assert entry.current is DriftSeverity.WARNING and entry.peak is DriftSeverity.WARNING
    assert dict(entry.counts)[DriftSeverity.WATCH] == 2
    assert {name for name, _ in entry.weights} == {"mmd", "univariate", "psi"}


def test_refitting_the_reference_restarts_the_persistence_count(monitor, rng):
    for _ in range(3):
        monitor.check(DEPLOYMENT, sample(rng, 300, shift=1.0))
    monitor.fit(DEPLOYMENT, sample(rng, 600, shift=1.0), NAMES, categorical={"lane"})
    verdict = monitor.check(DEPLOYMENT, sample(rng, 300, shift=1.0))
    assert verdict.window_index == 3 and verdict.persistence == 0


def test_a_stream_of_prediction_outcomes_raises_when_the_error_rate_doubles(rng):
    monitor = Monitor()
    reference = (rng.random(5000) < 0.05).astype(float)[:, None]
    monitor.fit("aeb@2", reference, ["error"], capability=DetectorCapability.STREAM)
    clean = monitor.check("aeb@2", (rng.random(500) < 0.05).astype(float)[:, None])
    assert not clean.drifting
    worse = [monitor.check("aeb@2", (rng.random(500) < 0.2).astype(float)[:, None])
             for _ in range(2)]
    assert any(v.drifting for v in worse)
    assert monitor.repository.detector_state("aeb@2", "cusum") is not None


def test_a_stream_takes_small_batches_of_outcomes(rng):
    monitor = Monitor()
    monitor.fit("aeb@3", (rng.random(2000) < 0.05).astype(float)[:, None], ["error"],
                capability=DetectorCapability.STREAM)
    verdict = monitor.check("aeb@3", [[0.0], [1.0], [0.0]])
    assert verdict.profile.n_samples == 3 and not verdict.drifting


def test_feedback_other_than_confirmed_or_false_alarm_is_refused(monitor, rng):
    verdict = monitor.check(DEPLOYMENT, sample(rng, 300, shift=1.0))
    with pytest.raises(InvalidInput, match="'maybe'"):
        monitor.feedback(verdict.id, "maybe")
    assert monitor.repository.feedback(verdict.id) is None
