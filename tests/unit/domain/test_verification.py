"""Deployment verification rules (MLE.5)."""

from __future__ import annotations

import math

import pytest

from domain.verification import (
    DeploymentVerificationFailed,
    InvalidVerificationThresholds,
    VerificationMeasurements,
    VerificationThresholds,
    verify_deployment,
)


def _m(**overrides: object) -> VerificationMeasurements:
    values: dict[str, object] = {
        "reference_accuracy": 97.8, "deployed_accuracy": 97.6, "top1_agreement": 0.995,
        "max_abs_logit_diff": 0.8, "nonfinite_outputs": 0, "samples": 540,
        "latency_p99_ms": 1.2}
    values.update(overrides)
    return VerificationMeasurements(**values)  # type: ignore[arg-type]


def _failed(m: VerificationMeasurements, t: VerificationThresholds | None = None) -> list[str]:
    return [c.name for c in verify_deployment(m, t).failures]


def test_a_model_within_every_limit_passes_and_every_check_is_listed() -> None:
    verdict = verify_deployment(_m())
    assert verdict.passed
    assert [c.name for c in verdict.checks] == [
        "accuracy_drop", "top1_agreement", "max_abs_logit_diff", "finite_outputs",
        "latency_p99"]
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
                                    {"max_abs_logit_diff": 0.0}, {"max_latency_p99_ms": -2.0}])
def test_thresholds_no_model_could_meet_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidVerificationThresholds):
        VerificationThresholds(**kwargs)


def test_the_verdict_serializes_with_its_figures() -> None:
    data = verify_deployment(_m()).to_dict()
    assert data["passed"] is True
    assert data["checks"][0]["measured"] == pytest.approx(0.2)
