import math

import numpy as np
import pytest

from edgedeploy.adapters.drift import (
    AdwinDetector,
    CusumDetector,
    DriftEnsemble,
    KsCvmDetector,
    MmdDetector,
    NumpyWindowInspector,
    PsiDetector,
    anderson_darling_sf,
    as_matrix,
    builtin_detectors,
    psi_band,
    rank_statistics,
    serves,
)
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.drift import DriftDetector, StatefulDetector
from edgedeploy.domain.drift import DetectorCapability, DriftSeverity

NAMES = ["a", "b", "c", "d"]


@pytest.fixture(name="rng")
def fx_rng():
    return np.random.default_rng(2026)


def bimodal(rng, n):
    return rng.choice([-0.95, 0.95], size=n) + 0.312 * rng.normal(size=n)


# ------------------------------------------------------------------ arrays and inspector
def test_a_one_dimensional_window_is_read_as_one_feature():
    assert as_matrix([0.0, 1.0, 0.0]).shape == (3, 1)


def test_a_three_dimensional_window_is_refused_as_unreadable():
    with pytest.raises(InvalidInput, match="3 dimensions"):
        as_matrix(np.zeros((2, 2, 2)))


def test_text_in_a_window_is_refused_as_unreadable():
    with pytest.raises(InvalidInput, match="numeric"):
        as_matrix([["fast", 1.0]])


def test_the_inspector_counts_nan_and_inf_per_named_feature():
    window = np.zeros((10, 3))
    window[0, 1] = np.nan
    window[2, 2] = np.inf
    profile = NumpyWindowInspector().profile(window, ["speed", "yaw", "range"])
    assert (profile.nan_count, profile.inf_count) == (1, 1)
    assert profile.nan_features == ("yaw",) and profile.inf_features == ("range",)
    assert profile.means == (0.0, 0.0, 0.0)


def test_the_digest_changes_with_any_value_and_not_with_the_container():
    inspector = NumpyWindowInspector()
    rows = [[1.0, 2.0], [3.0, 4.0]]
    assert inspector.digest(rows) == inspector.digest(np.array(rows))
    assert inspector.digest(rows) != inspector.digest([[1.0, 2.0], [3.0, 4.5]])


# ------------------------------------------------------------------ PSI
def test_psi_is_small_for_the_same_distribution_and_large_for_a_shift(rng):
    psi = PsiDetector()
    psi.fit(rng.normal(size=(2000, 2)), ["x", "y"])
    window = rng.normal(size=(1000, 2))
    window[:, 1] += 1.0
    values = psi.feature_psi(window)
    assert values[0] < 0.05 and values[1] > 0.25
    outcome = psi.score(window)
    assert outcome.fired and outcome.contributions["y"] > outcome.contributions["x"]


def test_psi_stays_finite_when_the_window_leaves_bins_empty(rng):
    psi = PsiDetector()
    psi.fit(rng.normal(size=(500, 1)), ["x"])
    assert math.isfinite(psi.score(np.full((100, 1), 10.0)).statistic)


def test_psi_counts_unseen_categories_in_their_own_bin(rng):
    psi = PsiDetector()
    psi.fit(rng.choice(3, size=(1000, 1)).astype(float), ["lane"], categorical={"lane"})
    assert psi.feature_psi(np.full((200, 1), 7.0))[0] > 1.0


@pytest.mark.parametrize(("value", "band"), [(0.05, "stable"), (0.15, "moderate"),
                                              (0.3, "major")])
def test_psi_values_carry_the_conventional_band(value, band):
    assert psi_band(value) == band


# ------------------------------------------------------------------ univariate family
@pytest.mark.parametrize(("z", "p"), [(1.933, 0.10), (2.492, 0.05), (3.857, 0.01)])
def test_the_anderson_darling_law_matches_its_published_critical_values(z, p):
    assert anderson_darling_sf(np.array([z]))[0] == pytest.approx(p, abs=0.001)


def test_anderson_darling_p_values_are_calibrated_under_no_drift(rng):
    p = np.concatenate([rank_statistics(rng.normal(size=(300, 20)),
                                        rng.normal(size=(150, 20)), "ad")[1]
                        for _ in range(20)])
    assert 0.02 <= float(np.mean(p <= 0.05)) <= 0.09


@pytest.mark.parametrize("kind", ["ad", "ks", "cvm", "ad+mood"])
def test_every_statistic_sees_a_large_shift(rng, kind):
    reference = rng.normal(size=(400, 2))
    window = rng.normal(size=(200, 2)) + np.array([0.0, 1.0])
    _, p = rank_statistics(reference, window, kind)
    assert p[1] < 1e-6 < p[0]


def test_the_family_catches_a_bimodal_feature_turning_unimodal(rng):
    reference = rng.normal(size=(1000, 4))
    reference[:, 2] = bimodal(rng, 1000)
    window = rng.normal(size=(500, 4))
    detector = KsCvmDetector()
    detector.fit(reference, NAMES)
    outcome = detector.score(window)
    assert outcome.fired
    assert max(outcome.contributions, key=outcome.contributions.__getitem__) == "c"


def test_the_family_catches_and_attributes_a_variance_change(rng):
    reference = rng.normal(size=(1000, 4))
    window = rng.normal(size=(500, 4))
    window[:, 1] *= math.sqrt(2.0)
    detector = KsCvmDetector()
    detector.fit(reference, NAMES)
    outcome = detector.score(window)
    assert outcome.fired
    assert max(outcome.contributions, key=outcome.contributions.__getitem__) == "b"


def test_categorical_features_are_tested_by_chi_square(rng):
    reference = rng.normal(size=(1000, 2))
    reference[:, 1] = rng.choice(3, size=1000, p=[0.6, 0.3, 0.1])
    window = rng.normal(size=(500, 2))
    window[:, 1] = rng.choice(3, size=500, p=[0.3, 0.3, 0.4])
    detector = KsCvmDetector()
    detector.fit(reference, ["x", "lane"], categorical={"lane"})
    outcome = detector.score(window)
    assert outcome.fired and outcome.contributions["lane"] > 1.0 > outcome.contributions["x"]


def test_the_family_stays_quiet_on_clean_windows(rng):
    reference = rng.normal(size=(1000, 4))
    detector = KsCvmDetector()
    detector.fit(reference, NAMES)
    fired = sum(detector.score(rng.normal(size=(500, 4))).fired for _ in range(50))
    assert fired <= 2


# ------------------------------------------------------------------ MMD
def test_mmd_catches_a_correlation_change_that_leaves_every_marginal_alone(rng):
    detector = MmdDetector()
    detector.fit(rng.normal(size=(1000, 6)), [f"x{i}" for i in range(6)])
    common = rng.normal(size=(500, 1))
    window = math.sqrt(0.5) * common + math.sqrt(0.5) * rng.normal(size=(500, 6))
    outcome = detector.score(window)
    assert outcome.fired and outcome.statistic > 2 * outcome.threshold


def test_mmd_stays_quiet_on_clean_windows(rng):
    detector = MmdDetector()
    detector.fit(rng.normal(size=(800, 5)), [f"x{i}" for i in range(5)])
    fired = sum(detector.score(rng.normal(size=(400, 5))).fired for _ in range(40))
    assert fired <= 2


def test_mmd_leaves_categorical_columns_to_the_univariate_tests(rng):
    reference = rng.normal(size=(600, 3))
    reference[:, 2] = rng.choice(2, size=600)
    detector = MmdDetector()
    detector.fit(reference, ["x", "y", "lane"], categorical={"lane"})
    window = rng.normal(size=(300, 3))
    window[:, 2] = 1.0
    assert not detector.score(window).fired


def test_mmd_calibration_is_reproducible_for_the_same_reference(rng):
    reference = rng.normal(size=(500, 4))
    first, second = MmdDetector(), MmdDetector()
    first.fit(reference, NAMES)
    second.fit(reference, NAMES)
    assert first.threshold == second.threshold


def test_mmd_on_projected_embeddings_sees_a_scale_change(rng):
    basis = np.linalg.qr(rng.normal(size=(16, 4)))[0]
    reference = (rng.normal(size=(800, 4)) * 2.0) @ basis.T + 0.3 * rng.normal(size=(800, 16))
    window = (rng.normal(size=(400, 4)) * 2.6) @ basis.T + 0.3 * rng.normal(size=(400, 16))
    detector = MmdDetector(project=True, capability=DetectorCapability.EMBEDDINGS)
    detector.fit(reference, [f"e{i}" for i in range(16)])
    assert detector.score(window).fired


# ------------------------------------------------------------------ streams
def outcomes(rng, n, rate):
    return (rng.random(n) < rate).astype(float)[:, None]


def test_cusum_raises_no_alarm_on_a_long_clean_stream(rng):
    detector = CusumDetector()
    detector.fit(outcomes(rng, 20_000, 0.05))
    assert not detector.score(outcomes(rng, 50_000, 0.05)).fired


def test_cusum_finds_an_error_rate_rising_from_5_to_20_percent_quickly(rng):
    detector = CusumDetector()
    detector.fit(outcomes(rng, 20_000, 0.05))
    outcome = detector.score(outcomes(rng, 2_000, 0.20))
    assert outcome.fired and 0 <= outcome.details["first_alarm_offset"] < 400
    assert outcome.details["samples_since_change"] > 0


def test_cusum_carries_its_statistic_across_windows_through_a_snapshot(rng):
    reference, stream = outcomes(rng, 20_000, 0.05), outcomes(rng, 600, 0.2)
    whole, split = CusumDetector(), CusumDetector()
    whole.fit(reference)
    split.fit(reference)
    expected = int(whole.score(stream).details["first_alarm_offset"])
    cut = expected // 2
    assert not split.score(stream[:cut]).fired
    resumed = CusumDetector()
    resumed.fit(reference)
    resumed.restore(split.snapshot())
    assert resumed.score(stream[cut:]).details["first_alarm_offset"] + cut == expected


def test_a_stream_window_with_two_columns_is_refused(rng):
    detector = CusumDetector()
    detector.fit(outcomes(rng, 1000, 0.05))
    with pytest.raises(InvalidInput, match="one column"):
        detector.score(np.zeros((10, 2)))


def test_stream_outcomes_outside_zero_and_one_are_refused(rng):
    detector = AdwinDetector()
    detector.fit(outcomes(rng, 1000, 0.05))
    with pytest.raises(InvalidInput, match=r"\[0, 1\]"):
        detector.score(np.full((10, 1), 2.0))


def test_adwin_finds_a_rising_error_rate_and_ignores_a_falling_one(rng):
    rising, falling = AdwinDetector(), AdwinDetector()
    for detector in (rising, falling):
        detector.fit(outcomes(rng, 5000, 0.1))
        detector.score(outcomes(rng, 3000, 0.1))
    assert rising.score(outcomes(rng, 2000, 0.3)).fired
    assert not falling.score(outcomes(rng, 2000, 0.0)).fired


def test_adwin_resumes_from_its_snapshot(rng):
    detector = AdwinDetector()
    detector.fit(outcomes(rng, 5000, 0.05))
    detector.score(outcomes(rng, 1000, 0.05))
    resumed = AdwinDetector()
    resumed.restore(detector.snapshot())
    assert resumed.snapshot() == detector.snapshot()


# ------------------------------------------------------------------ ensemble
@pytest.mark.parametrize("kind", list(DetectorCapability))
def test_every_builtin_detector_satisfies_the_port(kind):
    for detector in builtin_detectors(kind):
        assert isinstance(detector, DriftDetector) and serves(detector, kind)
        assert (kind is DetectorCapability.STREAM) == isinstance(detector, StatefulDetector)


def test_feature_detectors_also_serve_embeddings_but_not_streams():
    assert serves(PsiDetector(), DetectorCapability.EMBEDDINGS)
    assert not serves(PsiDetector(), DetectorCapability.STREAM)


def test_the_ensemble_escalates_only_after_persistent_drift(rng):
    reference = rng.normal(size=(800, 4))
    ensemble = DriftEnsemble().fit(reference, NAMES)
    clean = ensemble.check(rng.normal(size=(400, 4)))
    severities = [ensemble.check(rng.normal(size=(400, 4)) + 0.5).decision.severity
                  for _ in range(3)]
    assert clean.decision.severity is DriftSeverity.NORMAL
    assert severities == [DriftSeverity.WATCH, DriftSeverity.WATCH, DriftSeverity.WARNING]


@pytest.mark.parametrize("kind", list(DetectorCapability))
def test_the_first_party_detectors_of_a_kind_have_distinct_names(kind):
    names = [d.name for d in builtin_detectors(kind)]
    assert len(names) == len(set(names))
    if kind is DetectorCapability.FEATURES:
        assert names[:3] == ["mmd", "univariate", "psi"]
