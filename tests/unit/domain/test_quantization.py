"""Quantization decisions: the accuracy budget, per-layer reasons, the Pareto choice."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.quantization import (
    DEFAULT_ACCURACY_BUDGET,
    AccuracyBudgetExceeded,
    InvalidQuantizationPlan,
    LayerDecision,
    LayerSensitivity,
    ParetoPoint,
    Precision,
    QuantizationPlan,
    check_accuracy_budget,
    choose_point,
    decide_layers,
    pareto_frontier,
    rank_by_sensitivity,
    within_accuracy_budget,
)


def _sens(layer: str, deployed: float, simulated: float | None = None,
          rest: float | None = None, sqnr: float = 40.0) -> LayerSensitivity:
    return LayerSensitivity(layer, "Conv", 100, deployed,
                            deployed if simulated is None else simulated, sqnr, sqnr, rest)


def _point(name: str, acc: float, size: int, lat: float, agreement: float = 1.0) -> ParetoPoint:
    return ParetoPoint(name, acc, size, lat, agreement=agreement)


def _plan(**overrides: object) -> QuantizationPlan:
    chosen = _point("all-int8", 97.5, 300, 10.0)
    values: dict[str, object] = {
        "model": "m", "runtime": "onnxruntime",
        "decisions": (LayerDecision("/0/Conv", Precision.INT8, "tolerant"),),
        "baseline_accuracy": 97.8, "expected_accuracy": 97.5, "budget": 0.5,
        "fp32_size_bytes": 1200, "expected_size_bytes": 300, "chosen": chosen,
        "rationale": "smallest", "candidates": (chosen, _point("fp32", 97.8, 1200, 40.0)),
    }
    values.update(overrides)
    return QuantizationPlan(**values)  # type: ignore[arg-type]


def test_the_default_accuracy_budget_is_half_a_point() -> None:
    assert DEFAULT_ACCURACY_BUDGET == 0.5


def test_a_drop_of_exactly_the_budget_is_within_it() -> None:
    assert within_accuracy_budget(98.0, 97.5, 0.5)
    check_accuracy_budget(98.0, 97.5, 0.5)


def test_a_drop_beyond_the_budget_is_refused_with_the_figures() -> None:
    with pytest.raises(AccuracyBudgetExceeded, match=r"0\.60 points below .* 0\.5-point budget"):
        check_accuracy_budget(98.0, 97.4, 0.5)


def test_the_budget_violation_is_an_invariant_violation_with_a_stable_code() -> None:
    err = AccuracyBudgetExceeded(98.0, 90.0, 0.5)
    assert isinstance(err, InvariantViolation)
    assert err.code == "ACCURACY_BUDGET_EXCEEDED"


@pytest.mark.parametrize(("baseline", "candidate", "budget"),
                         [(98.0, 97.9, -0.1), (101.0, 97.0, 0.5), (98.0, math.nan, 0.5)])
def test_nonsense_budgets_and_accuracies_are_refused(baseline: float, candidate: float,
                                                     budget: float) -> None:
    with pytest.raises(InvalidQuantizationPlan):
        check_accuracy_budget(baseline, candidate, budget)


@given(st.floats(0, 100), st.floats(0, 100), st.floats(0, 10))
def test_the_budget_rule_agrees_with_the_predicate(baseline: float, candidate: float,
                                                   budget: float) -> None:
    if within_accuracy_budget(baseline, candidate, budget):
        check_accuracy_budget(baseline, candidate, budget)
    else:
        with pytest.raises(AccuracyBudgetExceeded):
            check_accuracy_budget(baseline, candidate, budget)


def test_a_layer_whose_deployed_result_departs_from_simulation_is_flagged() -> None:
    assert _sens("/0/Conv", deployed=25.0, simulated=0.1).divergent
    assert not _sens("/2/Conv", deployed=0.2, simulated=0.1).divergent


def test_a_large_sqnr_gap_alone_also_flags_divergence() -> None:
    s = LayerSensitivity("/0/Conv", "Conv", 9, 0.0, 0.0, 12.0, 45.0)
    assert s.divergent


def test_the_culprit_ranks_first_when_excluding_it_recovers_the_model() -> None:
    culprit = _sens("/0/Conv", deployed=25.0, rest=0.1)
    others = [_sens("/2/Conv", deployed=0.2, rest=25.0), _sens("/5/Conv", deployed=0.0, rest=25.)]
    assert rank_by_sensitivity([*others, culprit])[0].layer == "/0/Conv"


def test_ties_fall_to_the_layer_with_the_lower_sqnr() -> None:
    ranked = rank_by_sensitivity([_sens("a", 0.0, sqnr=40.0), _sens("b", 0.0, sqnr=20.0)])
    assert [s.layer for s in ranked] == ["b", "a"]


def test_a_sensitive_layer_keeps_its_float_precision_and_the_reason_says_why() -> None:
    decisions = decide_layers([_sens("/0/Conv", 25.0, 0.1), _sens("/2/Conv", 0.1)],
                              {"/0/Conv": Precision.FP32}, budget=0.5, runtime="onnxruntime")
    first, second = decisions
    assert first.precision is Precision.FP32
    assert "sensitive" in first.reason and "25.00 points on onnxruntime" in first.reason
    assert "departs from simulation" in first.reason and "0.5-point budget" in first.reason
    assert second.precision is Precision.INT8 and second.reason.startswith("tolerant")


def test_reduced_range_is_recorded_in_the_decision() -> None:
    (d,) = decide_layers([_sens("/0/Conv", 0.0)], {}, reduced_range=frozenset({"/0/Conv"}))
    assert d.reduced_range and "reduced range" in d.reason


def test_a_decision_without_a_reason_is_refused() -> None:
    with pytest.raises(InvalidQuantizationPlan, match="no reason"):
        LayerDecision("/0/Conv", Precision.INT8, "  ")


def test_the_frontier_drops_dominated_points() -> None:
    a = _point("all-int8", 97.0, 300, 10.0)
    b = _point("mixed-1", 97.7, 320, 11.0)
    c = _point("worse", 96.0, 400, 20.0)
    assert [p.name for p in pareto_frontier([a, b, c])] == ["all-int8", "mixed-1"]


@given(st.lists(st.tuples(st.floats(0, 100), st.integers(1, 10**6), st.floats(0.1, 100)),
                min_size=1, max_size=12))
def test_no_frontier_point_is_dominated_and_every_other_point_is(
        raw: list[tuple[float, int, float]]) -> None:
    points = [_point(f"p{i}", a, s, lat) for i, (a, s, lat) in enumerate(raw)]
    front = pareto_frontier(points)
    assert front
    for p in front:
        assert not any(q.dominates(p) for q in points)
    for p in points:
        if p not in front:
            assert any(q.dominates(p) for q in points)


def test_the_smallest_point_within_budget_is_chosen_and_explained() -> None:
    points = [_point("all-int8", 90.0, 300, 10.0), _point("mixed-1", 97.6, 320, 11.0),
              _point("fp32", 97.8, 1200, 40.0)]
    chosen, why = choose_point(points, 97.8, 0.5)
    assert chosen.name == "mixed-1"
    assert "within the 0.5-point budget" in why


def test_a_candidate_that_agrees_too_rarely_with_fp32_is_not_chosen() -> None:
    points = [_point("all-int8", 97.8, 300, 10.0, agreement=0.95),
              _point("fp32", 97.8, 1200, 40.0)]
    chosen, _ = choose_point(points, 97.8, 0.5, min_agreement=0.99)
    assert chosen.name == "fp32"


def test_no_candidate_within_budget_is_refused() -> None:
    with pytest.raises(AccuracyBudgetExceeded):
        choose_point([_point("all-int8", 90.0, 300, 10.0)], 97.8, 0.5)


def test_a_valid_plan_reports_counts_size_ratio_and_its_frontier() -> None:
    plan = _plan()
    assert plan.counts() == {"int8": 1, "fp16": 0, "fp32": 0}
    assert plan.size_ratio == 4.0
    assert plan.precision_of("/0/Conv") is Precision.INT8
    data = plan.to_dict()
    assert data["layers"][0]["reason"] == "tolerant"
    assert data["pareto_frontier"] == ["all-int8", "fp32"]


def test_a_plan_over_budget_cannot_be_built() -> None:
    with pytest.raises(AccuracyBudgetExceeded):
        _plan(expected_accuracy=96.0)


def test_a_plan_deciding_a_layer_twice_is_refused() -> None:
    twice = (LayerDecision("/0/Conv", Precision.INT8, "a"),
             LayerDecision("/0/Conv", Precision.FP32, "b"))
    with pytest.raises(InvalidQuantizationPlan, match="/0/Conv"):
        _plan(decisions=twice)


def test_a_plan_without_layers_or_with_a_foreign_chosen_point_is_refused() -> None:
    with pytest.raises(InvalidQuantizationPlan, match="no layers"):
        _plan(decisions=())
    with pytest.raises(InvalidQuantizationPlan, match="not a candidate"):
        _plan(chosen=_point("elsewhere", 97.5, 300, 10.0))


def test_asking_for_an_unknown_layer_names_it() -> None:
    with pytest.raises(InvalidQuantizationPlan, match="/9/Gemm"):
        _plan().precision_of("/9/Gemm")


def test_precisions_know_their_bit_width() -> None:
    assert [p.bits for p in Precision] == [8, 16, 32]
