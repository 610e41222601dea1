"""Deployment verification rules (MLE.5)."""

from __future__ import annotations

import math

import pytest

from edgedeploy.domain.verification import (
    DatasetFacts,
    DeploymentVerificationFailed,
    InputValidationCase,
    InterleavedLatency,
    InvalidVerificationThresholds,
    NoiseRobustness,
    VerificationMeasurements,
    VerificationThresholds,
    upper_quantile_bound,
    verify_deployment,
)

CLASSES = tuple(str(c) for c in range(10))
PROBES = ("valid_batch", "wrong_shape", "nan", "inf", "far_above_range", "far_below_range",
          "wrong_dtype")


def _cases(leaks: tuple[str, ...] = ()) -> tuple[InputValidationCase, ...]:
    return tuple(InputValidationCase(n, n != "valid_batch", n != "valid_batch" and n not in leaks,
                                     "probe") for n in PROBES)


def _facts(**overrides: object) -> DatasetFacts:
    values: dict[str, object] = {
        "heldout_overlap": 0, "overlap_by_content": 0, "overlap_by_source_index": 0,
        "heldout_class_share": dict.fromkeys(CLASSES, 0.3), "calibration_samples": 256,
        "calibration_classes": CLASSES, "classes": CLASSES}
    values.update(overrides)
    return DatasetFacts(**values)  # type: ignore[arg-type]


def _m(**overrides: object) -> VerificationMeasurements:
    values: dict[str, object] = {
        "reference_accuracy": 97.8, "deployed_accuracy": 97.6, "top1_agreement": 0.995,
        "max_abs_logit_diff": 0.8, "nonfinite_outputs": 0, "samples": 540,
        "latency_p99_ms": 1.2,
        "per_class_recall": dict.fromkeys(CLASSES, 0.97),
        "class_support": dict.fromkeys(CLASSES, 54),
        "noise": NoiseRobustness(0.1, 0.1, 7, 97.6, 96.9),
        "input_validation": _cases(), "dataset": _facts()}
    values.update(overrides)
    return VerificationMeasurements(**values)  # type: ignore[arg-type]


def _failed(m: VerificationMeasurements, t: VerificationThresholds | None = None) -> list[str]:
    return [c.name for c in verify_deployment(m, t).failures]


def test_a_model_within_every_limit_passes_and_every_check_is_listed() -> None:
    verdict = verify_deployment(_m())
    assert verdict.passed
    assert [c.name for c in verdict.checks] == [
        "accuracy_drop", "top1_agreement", "max_abs_logit_diff", "finite_outputs",
        "latency_p99", "per_class_recall", "noise_robustness", "input_validation",
        "heldout_independence", "heldout_class_share", "calibration_coverage",
        "min_accuracy", "latency_budget"]
    verdict.raise_if_failed("m@1")


def test_losing_more_accuracy_than_allowed_fails_the_accuracy_check() -> None:
    assert _failed(_m(deployed_accuracy=97.0)) == ["accuracy_drop"]


def test_too_little_top1_agreement_fails() -> None:
    assert _failed(_m(top1_agreement=0.98)) == ["top1_agreement"]


def test_a_logit_difference_over_its_limit_fails_only_when_a_limit_is_set() -> None:
    assert _failed(_m(max_abs_logit_diff=9.0)) == []
    assert _failed(_m(max_abs_logit_diff=9.0),
                   VerificationThresholds(max_abs_logit_diff=5.0)) == ["max_abs_logit_diff"]


def test_any_nan_or_inf_in_the_outputs_fails() -> None:
    assert _failed(_m(nonfinite_outputs=3)) == ["finite_outputs"]
    assert "max_abs_logit_diff" in _failed(_m(max_abs_logit_diff=math.nan))


def test_latency_is_judged_against_the_limit_and_unmeasured_latency_fails_a_set_limit() -> None:
    limit = VerificationThresholds(max_latency_p99_ms=1.0)
    assert _failed(_m(latency_p99_ms=1.2), limit) == ["latency_p99"]
    assert _failed(_m(latency_p99_ms=None), limit) == ["latency_p99"]
    assert _failed(_m(latency_p99_ms=None)) == []


def test_a_failed_verdict_refuses_the_model_naming_every_failed_check() -> None:
    verdict = verify_deployment(_m(deployed_accuracy=90.0, nonfinite_outputs=1))
    with pytest.raises(DeploymentVerificationFailed, match=r"points lost.*NaN/Inf"):
        verdict.raise_if_failed("m@1")


@pytest.mark.parametrize("kwargs", [{"max_accuracy_drop": -1.0}, {"min_top1_agreement": 1.5},
                                    {"max_abs_logit_diff": 0.0}, {"max_latency_p99_ms": -2.0},
                                    {"min_class_recall": 1.01}, {"min_class_recall": -0.1},
                                    {"noise_sigma": 0.0}, {"noise_sigma": math.inf},
                                    {"max_noise_drop_points": -0.5},
                                    {"max_noise_drop_points": math.nan},
                                    {"min_heldout_class_share": 2.0},
                                    {"min_calibration_samples": 0},
                                    {"min_calibration_samples": 12.5}])
def test_thresholds_no_model_could_meet_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidVerificationThresholds):
        VerificationThresholds(**kwargs)  # type: ignore[arg-type]


def test_the_verdict_serializes_with_its_figures() -> None:
    data = verify_deployment(_m()).to_dict()
    assert data["passed"] is True
    assert data["checks"][0]["measured"] == pytest.approx(0.2)


def test_the_new_thresholds_default_to_the_example_requirements_and_serialize() -> None:
    t = VerificationThresholds()
    assert (t.min_class_recall, t.noise_sigma, t.max_noise_drop_points,
            t.min_heldout_class_share, t.min_calibration_samples) == (0.90, 0.1, 2.0, 0.10, 256)
    assert VerificationThresholds(min_class_recall=0.8).to_dict()["min_class_recall"] == 0.8


def test_a_model_that_confuses_two_classes_fails_per_class_recall_naming_the_worst() -> None:
    recall = {**dict.fromkeys(CLASSES, 0.98), "3": 0.55, "8": 0.62}
    verdict = verify_deployment(_m(per_class_recall=recall))
    assert [c.name for c in verdict.failures] == ["per_class_recall"]
    check = verdict.failures[0]
    assert check.measured == pytest.approx(0.55)
    assert "worst class '3'" in check.message and "over 54 samples" in check.message
    assert "below the minimum: 3, 8" in check.message


def test_per_class_recall_exactly_at_the_minimum_passes_and_a_lower_minimum_can_be_set() -> None:
    assert _failed(_m(per_class_recall=dict.fromkeys(CLASSES, 0.9))) == []
    weak = {**dict.fromkeys(CLASSES, 0.98), "5": 0.85}
    assert _failed(_m(per_class_recall=weak)) == ["per_class_recall"]
    assert _failed(_m(per_class_recall=weak), VerificationThresholds(min_class_recall=0.8)) == []


def test_a_model_that_loses_accuracy_under_noise_fails_noise_robustness() -> None:
    fragile = NoiseRobustness(0.1, 0.1, 7, clean_accuracy=97.6, noisy_accuracy=91.0)
    verdict = verify_deployment(_m(noise=fragile))
    assert [c.name for c in verdict.failures] == ["noise_robustness"]
    assert verdict.failures[0].measured == pytest.approx(6.6)
    assert "6.60 points lost (limit 2)" in verdict.failures[0].message
    assert _failed(_m(noise=fragile), VerificationThresholds(max_noise_drop_points=7.0)) == []


def test_a_guard_that_lets_nan_through_fails_input_validation_naming_the_probe() -> None:
    verdict = verify_deployment(_m(input_validation=_cases(leaks=("nan",))))
    assert [c.name for c in verdict.failures] == ["input_validation"]
    assert "nan (accepted, must be rejected)" in verdict.failures[0].message


def test_a_guard_that_rejects_a_valid_batch_fails_input_validation() -> None:
    cases = (InputValidationCase("valid_batch", False, True, "rejected"), *_cases()[1:])
    verdict = verify_deployment(_m(input_validation=cases))
    assert "valid_batch (rejected, must be accepted)" in verdict.failures[0].message


@pytest.mark.parametrize("field", ["per_class_recall", "noise", "input_validation"])
def test_a_requirement_that_was_not_measured_fails_rather_than_passes(field: str) -> None:
    verdict = verify_deployment(_m(**{field: None}))
    assert len(verdict.failures) == 1
    assert "not measured" in verdict.failures[0].message


def test_without_split_information_the_dataset_checks_do_not_apply_and_say_why() -> None:
    verdict = verify_deployment(_m(dataset=None, dataset_reason="no calibration_index"))
    assert verdict.passed
    skipped = [c for c in verdict.checks if not c.applicable]
    assert [c.name for c in skipped] == [
        "heldout_independence", "heldout_class_share", "calibration_coverage"]
    assert all(c.message == "not applicable: no calibration_index" for c in skipped)
    checks = {c["name"]: c for c in verdict.to_dict()["checks"]}
    assert checks["calibration_coverage"]["applicable"] is False


def test_a_heldout_sample_seen_in_training_fails_independence() -> None:
    verdict = verify_deployment(_m(dataset=_facts(heldout_overlap=2, overlap_by_content=1,
                                                  overlap_by_source_index=2)))
    assert [c.name for c in verdict.failures] == ["heldout_independence"]
    assert "2 held-out samples" in verdict.failures[0].message


def test_a_class_under_represented_in_the_heldout_set_fails_the_share_check() -> None:
    shares = {**dict.fromkeys(CLASSES, 0.3), "7": 0.05}
    verdict = verify_deployment(_m(dataset=_facts(heldout_class_share=shares)))
    assert [c.name for c in verdict.failures] == ["heldout_class_share"]
    assert "class '7'" in verdict.failures[0].message


def test_too_few_calibration_samples_or_a_missing_class_fails_calibration_coverage() -> None:
    assert _failed(_m(dataset=_facts(calibration_samples=128))) == ["calibration_coverage"]
    verdict = verify_deployment(_m(dataset=_facts(calibration_classes=CLASSES[:9])))
    assert [c.name for c in verdict.failures] == ["calibration_coverage"]
    assert "classes without a sample: 9" in verdict.failures[0].message
    assert _failed(_m(dataset=_facts(calibration_samples=128)),
                   VerificationThresholds(min_calibration_samples=100)) == []


def _interleaved(reference: float, deployed: float, n: int = 200,
                 stalls: int = 0) -> InterleavedLatency:
    """Alternating timings; ``stalls`` iterations hit by the host (both models slowed)."""
    pairs = [(reference * (1 + (i % 7) / 100), deployed * (1 + (i % 5) / 100))
             for i in range(n)]
    for i in range(stalls):
        r, d = pairs[i * 3]
        pairs[i * 3] = (r + 40.0, d + 40.0)
    return InterleavedLatency(1, 10, tuple(pairs))


def test_an_accuracy_floor_fails_below_it_and_is_only_informative_without_one() -> None:
    assert _failed(_m(deployed_accuracy=94.0, reference_accuracy=94.1)) == []
    floor = VerificationThresholds(min_accuracy=95.0)
    assert _failed(_m(deployed_accuracy=94.0, reference_accuracy=94.1), floor) == [
        "min_accuracy"]
    assert _failed(_m(), floor) == []


def test_a_loaded_host_that_stretches_the_tail_of_both_models_does_not_fail_the_budget() -> None:
    budget = VerificationThresholds(latency_budget_ms=10.0, max_latency_ratio=2.0)
    loaded = _interleaved(0.8, 0.9, stalls=20)  # 10 % of iterations stalled by 40 ms
    check = verify_deployment(_m(latency=loaded), budget).checks[-1]
    assert check.name == "latency_budget"
    assert check.passed, check.message
    assert "p99" in check.message and "upper bound" in check.message


def test_a_model_over_the_budget_or_much_slower_than_its_reference_fails() -> None:
    over_budget = _interleaved(11.0, 12.0)
    assert _failed(_m(latency=over_budget),
                   VerificationThresholds(latency_budget_ms=10.0)) == ["latency_budget"]
    slower = _interleaved(1.0, 3.0)
    assert _failed(_m(latency=slower),
                   VerificationThresholds(latency_budget_ms=10.0,
                                          max_latency_ratio=2.0)) == ["latency_budget"]
    assert _failed(_m(latency=None),
                   VerificationThresholds(latency_budget_ms=10.0)) == ["latency_budget"]


def test_the_median_bound_is_an_order_statistic_above_the_median() -> None:
    values = [float(v) for v in range(1, 201)]
    bound = upper_quantile_bound(values, 0.5, 0.95)
    assert 100.0 < bound <= 115.0
    assert upper_quantile_bound([1.0, 2.0], 0.5, 0.99) == 2.0  # too few: the largest
    with pytest.raises(ValueError, match="no values"):
        upper_quantile_bound([], 0.5, 0.95)


def test_latency_thresholds_are_validated() -> None:
    with pytest.raises(InvalidVerificationThresholds):
        VerificationThresholds(latency_budget_ms=0.0)
    with pytest.raises(InvalidVerificationThresholds):
        VerificationThresholds(latency_confidence=1.0)
    with pytest.raises(InvalidVerificationThresholds):
        VerificationThresholds(min_accuracy=120.0)
