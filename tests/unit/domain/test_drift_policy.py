from datetime import UTC, datetime

import pytest

from edgedeploy.domain.drift import (
    DataQualityFlag,
    DetectorScore,
    DriftSeverity,
    DriftVerdict,
    FeatureAttribution,
    Feedback,
    InvalidDriftValue,
    InvalidWindow,
    WindowProfile,
)
from edgedeploy.domain.drift_policy import (
    EnsembleWeights,
    SeverityPolicy,
    WeightPolicy,
    WindowPolicy,
    rank_attributions,
    vote_share,
)

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def score(name: str, fired: bool, weight: float = 1.0) -> DetectorScore:
    return DetectorScore(name, 2.0 if fired else 0.5, 1.0, fired, weight)


def test_severity_is_ordered_from_normal_to_critical():
    assert (DriftSeverity.NORMAL < DriftSeverity.WATCH < DriftSeverity.WARNING
            < DriftSeverity.CRITICAL)


def test_vote_share_is_the_weighted_share_of_detectors_that_fired():
    scores = [score("mmd", True, 1.0), score("univariate", False, 1.0), score("psi", True, 0.5)]
    assert vote_share(scores) == pytest.approx(1.5 / 2.5)


def test_vote_share_is_zero_when_every_weight_is_zero():
    assert vote_share([score("mmd", True, 0.0)]) == 0.0


def test_one_calibrated_test_alone_makes_a_window_drifting_with_default_weights():
    decision = SeverityPolicy().decide([score("mmd", True), score("univariate", False),
                                        score("psi", False, 0.5)], 0)
    assert decision.drifting and decision.persistence == 1


def test_psi_alone_cannot_make_a_window_drifting_with_default_weights():
    decision = SeverityPolicy().decide([score("mmd", False), score("univariate", False),
                                        score("psi", True, 0.5)], 0)
    assert not decision.drifting and decision.severity is DriftSeverity.NORMAL


@pytest.mark.parametrize(("persistence", "severity"), [
    (0, DriftSeverity.NORMAL), (1, DriftSeverity.WATCH), (2, DriftSeverity.WATCH),
    (3, DriftSeverity.WARNING), (5, DriftSeverity.WARNING), (6, DriftSeverity.CRITICAL),
    (40, DriftSeverity.CRITICAL)])
def test_severity_follows_the_number_of_consecutive_drifting_windows(persistence, severity):
    assert SeverityPolicy().severity_for(persistence) is severity


def test_escalation_past_watch_needs_three_consecutive_drifting_windows():
    policy, persistence, seen = SeverityPolicy(), 0, []
    for _ in range(3):
        decision = policy.decide([score("mmd", True)], persistence)
        persistence = decision.persistence
        seen.append(decision.severity)
    assert seen == [DriftSeverity.WATCH, DriftSeverity.WATCH, DriftSeverity.WARNING]


def test_a_clean_window_resets_the_persistence_count():
    decision = SeverityPolicy().decide([score("mmd", False)], 5)
    assert decision.persistence == 0 and decision.severity is DriftSeverity.NORMAL


def test_the_persistence_needed_for_a_warning_is_configurable():
    policy = SeverityPolicy(persistence=5, critical_persistence=8)
    assert policy.severity_for(4) is DriftSeverity.WATCH
    assert policy.severity_for(5) is DriftSeverity.WARNING


def test_a_severity_policy_with_critical_before_warning_is_refused():
    with pytest.raises(InvalidDriftValue):
        SeverityPolicy(persistence=4, critical_persistence=3)


def test_confirmed_drift_upweights_only_the_detectors_that_fired():
    weights = EnsembleWeights({"mmd": 1.0, "univariate": 1.0})
    after = WeightPolicy().adapt(weights, ["mmd"], Feedback.CONFIRMED)
    assert after.of("mmd") == pytest.approx(1.25)
    assert after.of("univariate") == 1.0


def test_a_false_alarm_downweights_the_detectors_that_fired():
    after = WeightPolicy().adapt(EnsembleWeights({"mmd": 1.0}), ["mmd"], Feedback.FALSE_ALARM)
    assert after.of("mmd") == pytest.approx(0.8)


def test_weights_stay_within_their_bounds_however_much_feedback_arrives():
    policy, weights = WeightPolicy(), EnsembleWeights({"mmd": 1.0, "psi": 1.0})
    for _ in range(50):
        weights = policy.adapt(weights, ["mmd"], Feedback.FALSE_ALARM)
        weights = policy.adapt(weights, ["psi"], Feedback.CONFIRMED)
    assert weights.of("mmd") == pytest.approx(policy.min_weight)
    assert weights.of("psi") == pytest.approx(policy.max_weight)


def test_a_confirmation_and_a_false_alarm_cancel_out():
    policy = WeightPolicy()
    weights = policy.adapt(EnsembleWeights({"mmd": 1.0}), ["mmd"], Feedback.CONFIRMED)
    weights = policy.adapt(weights, ["mmd"], Feedback.FALSE_ALARM)
    assert weights.of("mmd") == pytest.approx(1.0)


def test_a_detector_downweighted_by_false_alarms_can_no_longer_raise_a_window_alone():
    policy, weights = WeightPolicy(), EnsembleWeights({"mmd": 1.0, "univariate": 1.0})
    for _ in range(4):
        weights = policy.adapt(weights, ["mmd"], Feedback.FALSE_ALARM)
    scores = [score("mmd", True, weights.of("mmd")), score("univariate", False),
              score("psi", False, 0.5)]
    assert not SeverityPolicy().decide(scores, 0).drifting


def test_negative_weights_are_refused():
    with pytest.raises(InvalidDriftValue):
        EnsembleWeights({"mmd": -1.0})


def test_attributions_rank_the_most_moved_feature_first_with_its_main_detector():
    ranked = rank_attributions(
        {"univariate": {"speed": 0.2, "yaw": 3.0}, "psi": {"speed": 0.4, "yaw": 1.0}},
        {"univariate": 1.0, "psi": 0.5})
    assert [a.feature for a in ranked] == ["yaw", "speed"]
    assert ranked[0].detector == "univariate"
    assert ranked[0].score == pytest.approx((3.0 + 0.5 * 1.0) / 1.5)


def test_window_with_the_wrong_feature_count_is_refused_with_both_counts():
    with pytest.raises(InvalidWindow, match="3 features, the reference has 10"):
        WindowPolicy().check(WindowProfile(100, 3), 10)


def test_window_with_too_few_samples_is_refused():
    with pytest.raises(InvalidWindow, match="at least 50"):
        WindowPolicy().check(WindowProfile(10, 4), 4)


def test_window_with_an_infinite_value_is_refused_naming_the_feature():
    profile = WindowProfile(100, 4, inf_count=1, inf_features=("yaw_rate",))
    with pytest.raises(InvalidWindow, match="yaw_rate") as caught:
        WindowPolicy().check(profile, 4)
    assert caught.value.code == "DRIFT_WINDOW_NOT_FINITE"


def test_window_with_a_few_nans_is_refused_naming_the_feature():
    profile = WindowProfile(100, 4, nan_count=3, nan_features=("speed",))
    with pytest.raises(InvalidWindow, match=r"3 NaN values .* speed"):
        WindowPolicy().check(profile, 4)


def test_window_with_many_nans_is_a_data_quality_alarm_not_a_refusal():
    profile = WindowProfile(100, 4, nan_count=120, nan_features=("speed",))
    assert WindowPolicy().check(profile, 4) == (DataQualityFlag.NAN_SHARE_ABOVE_LIMIT,)


def test_a_clean_window_passes_without_flags():
    assert WindowPolicy().check(WindowProfile(100, 4), 4) == ()


def test_a_score_with_a_nan_statistic_is_refused():
    with pytest.raises(InvalidDriftValue, match="statistic of mmd"):
        DetectorScore("mmd", float("nan"), 1.0, False)


def test_score_ratio_puts_every_detector_on_its_firing_point():
    assert DetectorScore("mmd", 3.0, 1.5, True).ratio == pytest.approx(2.0)


def test_a_verdict_with_unranked_attributions_is_refused():
    with pytest.raises(InvalidDriftValue, match="ranked"):
        DriftVerdict("v1", "aeb@1", 0, NOW, DriftSeverity.NORMAL, (), 0.0, False, 0,
                     (FeatureAttribution("a", 0.1, "psi"), FeatureAttribution("b", 0.9, "psi")))


def test_a_drifting_verdict_without_persistence_is_refused():
    with pytest.raises(InvalidDriftValue, match="persistence"):
        DriftVerdict("v1", "aeb@1", 0, NOW, DriftSeverity.WATCH, (), 1.0, True, 0)


def test_a_verdict_names_the_detectors_that_fired_and_its_top_features():
    verdict = DriftVerdict("v1", "aeb@1", 0, NOW, DriftSeverity.WATCH,
                           (score("mmd", True), score("psi", False, 0.5)), 0.67, True, 1,
                           (FeatureAttribution("yaw", 2.0, "univariate"),
                            FeatureAttribution("speed", 0.1, "psi")))
    assert verdict.fired == ("mmd",)
    assert verdict.top_features(1) == ("yaw",)
    assert not verdict.is_data_quality_alarm


def test_the_highest_severity_is_found_by_rank_not_by_spelling():
    assert max([DriftSeverity.WARNING, DriftSeverity.WATCH]) is DriftSeverity.WARNING
    assert DriftSeverity.WATCH < DriftSeverity.WARNING <= DriftSeverity.WARNING


def test_a_small_batch_of_a_stream_is_accepted_because_streams_are_judged_per_sample():
    assert WindowPolicy().check(WindowProfile(5, 1), 1, stream=True) == ()
