"""Regression tests for issue 12: ties, column kinds, model outputs, names and attribution."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from edgedeploy.adapters.drift import (
    DriftEnsemble,
    KsCvmDetector,
    MmdDetector,
    NumpyWindowInspector,
    rank_statistics,
)
from edgedeploy.adapters.drift.files import read_feature_table
from edgedeploy.adapters.drift.predictions import LabelShiftDetector
from edgedeploy.adapters.drift.univariate import anderson_darling_ties, pooled_order
from edgedeploy.application.errors import InvalidInput
from edgedeploy.domain.drift import ColumnKind, DetectorCapability


@pytest.fixture(name="rng")
def fx_rng():
    return np.random.default_rng(1212)


# ------------------------------------------------------------------ ties
@pytest.mark.parametrize("kind", ["ad", "ks", "ad+mood"])
def test_an_identical_constant_column_gives_a_p_value_of_one(kind):
    column = np.full((400, 1), 7.0)
    _, p = rank_statistics(column, column[:200], kind)
    assert p[0] == 1.0


def test_two_independent_poisson_samples_are_not_called_different(rng):
    reference = rng.poisson(4, (1000, 1)).astype(float)
    window = rng.poisson(4, (500, 1)).astype(float)
    _, p = rank_statistics(reference, window, "ad")
    assert p[0] > 1e-3


def test_the_tie_aware_statistic_is_scipys_mid_rank_anderson_darling(rng):
    reference = rng.poisson(3, 300).astype(float)
    window = rng.poisson(3, 120).astype(float)
    ours = anderson_darling_ties(pooled_order(reference[:, None], window[:, None]))[0]
    samples = [reference, window]
    pooled = np.sort(np.hstack(samples))
    expected = stats._morestats._anderson_ksamp_midrank(
        samples, pooled, np.unique(pooled), 2, np.array([300, 120]), 420)
    assert ours == pytest.approx(expected, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=20, max_size=60),
       st.integers(min_value=0, max_value=2**32 - 1))
def test_identical_samples_give_p_one_and_row_order_never_matters(values, seed):
    data = np.array(values, dtype=float)[:, None]
    _, p_same = rank_statistics(data, data.copy(), "ad+mood")
    assert p_same[0] == pytest.approx(1.0)
    window = np.random.default_rng(seed).permutation(data)[: len(data) // 2]
    stat, p = rank_statistics(data, window, "ad+mood")
    shuffled = np.random.default_rng(seed + 1)
    stat2, p2 = rank_statistics(shuffled.permutation(data), shuffled.permutation(window),
                                "ad+mood")
    assert stat2 == pytest.approx(stat) and p2 == pytest.approx(p)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_swapping_reference_and_window_leaves_the_statistic_unchanged(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.poisson(2, (150, 3)).astype(float), rng.poisson(2, (150, 3)).astype(float)
    assert rank_statistics(a, b, "ad")[0] == pytest.approx(rank_statistics(b, a, "ad")[0])
    assert rank_statistics(a, b, "ks")[0] == pytest.approx(rank_statistics(b, a, "ks")[0])


@pytest.mark.parametrize("draw", [
    lambda rng, n: rng.poisson(4, (n, 10)).astype(float),
    lambda rng, n: (rng.poisson(3, (n, 10)) * (rng.random((n, 10)) > 0.4)).astype(float),
    lambda rng, n: np.clip(np.round(rng.normal(128, 20, (n, 10))), 0, 255),
], ids=["poisson", "zero-inflated", "8-bit"])
def test_discrete_iid_samples_keep_the_nominal_false_alarm_rate(rng, draw):
    detector = KsCvmDetector(alpha=0.05)
    detector.fit(draw(rng, 1000), [f"c{i}" for i in range(10)])
    fired = sum(detector.score(draw(rng, 300)).fired for _ in range(200))
    assert fired <= 25  # 5 % nominal: 10 expected; a tie bug fires on every window


def test_clean_count_data_never_escalates(rng):
    names = [f"c{i}" for i in range(6)]
    ensemble = DriftEnsemble().fit(rng.poisson(4, (1000, 6)).astype(float), names)
    verdicts = [ensemble.check(rng.poisson(4, (500, 6)).astype(float)) for _ in range(12)]
    assert sum(v.decision.drifting for v in verdicts) <= 1
    assert max(v.decision.persistence for v in verdicts) <= 1


# ------------------------------------------------------------------ column kinds
def test_column_kinds_are_detected_and_a_declaration_wins(rng):
    data = np.column_stack([rng.normal(size=500), rng.poisson(3, 500), np.full(500, 2.0),
                            np.minimum(rng.normal(size=500), 0.8), rng.choice(3, 500)])
    names = ["speed", "events", "config", "range", "lane"]
    columns = NumpyWindowInspector().columns(data, names, {"lane": ColumnKind.CATEGORICAL})
    assert [c.kind for c in columns] == [ColumnKind.CONTINUOUS, ColumnKind.COUNT,
                                         ColumnKind.CONSTANT, ColumnKind.BOUNDED,
                                         ColumnKind.CATEGORICAL]
    assert columns[4].declared and not columns[0].declared


def test_a_declared_kind_for_an_unknown_column_is_refused(rng):
    with pytest.raises(InvalidInput, match="nowhere"):
        NumpyWindowInspector().columns(rng.normal(size=(60, 2)), ["a", "b"],
                                       {"nowhere": ColumnKind.COUNT})


def test_an_all_categorical_table_is_judged_without_the_mmd(rng):
    names = ["a", "b", "c"]
    ensemble = DriftEnsemble().fit(rng.choice(4, (800, 3)).astype(float), names,
                                   categorical=names)
    judged = ensemble.check(rng.choice(4, (400, 3)).astype(float))
    assert {s.name for s in judged.scores} == {"univariate", "psi"}
    assert all(s.threshold > 0 for s in judged.scores)
    moved = rng.choice(4, (400, 3), p=[0.1, 0.2, 0.3, 0.4]).astype(float)
    assert ensemble.check(moved).decision.drifting


def test_constant_columns_never_vote_and_one_varying_column_is_enough(rng):
    data = np.column_stack([np.full((800, 5), 1.0), rng.normal(size=800)])
    names = [f"c{i}" for i in range(6)]
    ensemble = DriftEnsemble().fit(data, names)
    window = np.column_stack([np.full((400, 5), 3.0), rng.normal(size=400)])
    judged = ensemble.check(window)
    assert not judged.decision.drifting
    assert [a.feature for a in judged.attributions if a.feature != "c5"] == []


def test_a_thousand_features_are_judged_with_a_random_projection(rng):
    names = [f"f{i}" for i in range(1000)]
    detector = MmdDetector()
    detector.fit(rng.normal(size=(400, 1000)), names)
    assert detector.active and not detector.score(rng.normal(size=(200, 1000))).fired
    assert detector.score(rng.normal(size=(200, 1000)) + 0.3).fired


# ------------------------------------------------------------------ model outputs
def softmax(rng, n, mix, temperature=1.0):
    y = rng.choice(len(mix), size=n, p=mix)
    logits = (3.0 * np.eye(len(mix))[y] + rng.normal(size=(n, len(mix)))) / temperature
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


MIX = np.array([0.3, 0.25, 0.1, 0.2, 0.15])
DOUBLED = np.array([0.3, 0.25, 0.1, 0.2, 0.15]) * (0.8 / 0.9)
DOUBLED[2] = 0.2
CLASSES = ["car", "truck", "cyclist", "pedestrian", "sign"]


def test_a_doubled_class_share_is_detected_and_attributed_to_that_class(rng):
    ensemble = DriftEnsemble(kind=DetectorCapability.PREDICTIONS).fit(
        softmax(rng, 1000, MIX), CLASSES)
    assert not ensemble.check(softmax(rng, 500, MIX)).decision.drifting
    judged = ensemble.check(softmax(rng, 500, DOUBLED / DOUBLED.sum()))
    assert judged.decision.drifting
    assert judged.attributions[0].feature == "cyclist"


def test_confidence_drift_is_seen_on_unchanged_class_shares(rng):
    ensemble = DriftEnsemble(kind=DetectorCapability.PREDICTIONS).fit(
        softmax(rng, 1000, MIX), CLASSES)
    judged = ensemble.check(softmax(rng, 500, MIX, temperature=1.6))
    fired = {s.name for s in judged.scores if s.fired}
    assert "confidence" in fired


def test_class_ids_are_judged_by_their_frequencies_alone(rng):
    detector = LabelShiftDetector()
    detector.fit(rng.choice(5, (1000, 1), p=MIX).astype(float), ["label"])
    outcome = detector.score(rng.choice(5, (500, 1), p=DOUBLED / DOUBLED.sum()).astype(float))
    assert outcome.fired
    assert max(outcome.contributions, key=outcome.contributions.__getitem__) == "class 2"


def test_logits_are_refused_as_predictions(rng):
    detector = LabelShiftDetector()
    with pytest.raises(InvalidInput, match="softmax"):
        detector.fit(rng.normal(size=(100, 5)), CLASSES)


# ------------------------------------------------------------------ attribution
def test_clean_image_pixels_with_ties_rank_no_pixel_as_standing_out(rng):
    pixels = np.clip(np.round(rng.normal(8, 4, (1000, 64))), 0, 16)
    pixels[:, :8] = 0.0  # the constant border of a digit image
    names = [f"px{i}" for i in range(64)]
    ensemble = DriftEnsemble().fit(pixels, names)
    window = np.clip(np.round(rng.normal(8, 4, (500, 64))), 0, 16)
    window[:, :8] = 0.0
    judged = ensemble.check(window)
    assert not judged.decision.drifting
    assert all(a.score < 1.0 for a in judged.attributions)
    assert not {a.feature for a in judged.attributions} & set(names[:8])


def test_attributions_carry_an_effect_size_comparable_across_kinds(rng):
    data = np.column_stack([rng.normal(size=1000), rng.choice(3, 1000, p=[0.6, 0.3, 0.1])])
    ensemble = DriftEnsemble().fit(data, ["x", "lane"], categorical=["lane"])
    window = np.column_stack([rng.normal(size=500), rng.choice(3, 500, p=[0.3, 0.3, 0.4])])
    top = ensemble.check(window).attributions[0]
    assert top.feature == "lane" and top.effect == pytest.approx(0.3, abs=0.07)


# ------------------------------------------------------------------ files
def test_a_csv_without_a_header_is_refused_unless_declared():
    data = b"1.0,2.0\n3.0,4.0\n5.0,6.0\n"
    with pytest.raises(InvalidInput, match="no-header"):
        read_feature_table("w.csv", data)
    table = read_feature_table("w.csv", data, header=False)
    assert table.rows.shape == (3, 2) and not table.named


def test_a_csv_with_a_header_keeps_every_data_row():
    table = read_feature_table("w.csv", b"speed,yaw\n1,2\n3,4\n")
    assert table.rows.shape == (2, 2) and table.feature_names == ("speed", "yaw")
    assert table.named
