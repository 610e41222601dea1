"""The input contract of a deployed model (ML-AEB-005): the rule an input guard enforces."""

from __future__ import annotations

import math

import pytest

from edgedeploy.domain.input_contract import (
    InputContract,
    InputRejected,
    InputSummary,
    InvalidInputContract,
)

CONTRACT = InputContract.from_observed_range((1, 1, 32, 32), "float32", 0.0, 1.0)


def _batch(**overrides: object) -> InputSummary:
    values: dict[str, object] = {"shape": (8, 1, 32, 32), "dtype": "float32", "nonfinite": 0,
                                 "lowest": 0.0, "highest": 1.0}
    values.update(overrides)
    return InputSummary(**values)  # type: ignore[arg-type]


def test_the_contract_makes_the_batch_dynamic_and_widens_the_observed_range() -> None:
    assert CONTRACT.shape == (None, 1, 32, 32)
    assert (CONTRACT.min_value, CONTRACT.max_value) == (-0.5, 1.5)
    assert CONTRACT.to_dict() == {"shape": [None, 1, 32, 32], "dtype": "float32",
                                  "min": -0.5, "max": 1.5}


def test_a_valid_batch_of_any_size_is_accepted() -> None:
    assert CONTRACT.violations(_batch()) == ()
    assert CONTRACT.violations(_batch(shape=(1, 1, 32, 32), lowest=-0.4, highest=1.4)) == ()
    CONTRACT.enforce(_batch())


@pytest.mark.parametrize(("summary", "reason"), [
    (_batch(shape=(8, 1, 32, 31)), "shape (8, 1, 32, 31) does not match (N, 1, 32, 32)"),
    (_batch(shape=(1, 32, 32)), "does not match"),
    (_batch(dtype="float64"), "dtype float64 is not float32"),
    (_batch(nonfinite=1), "1 NaN/Inf values"),
    (_batch(highest=255.0), "value 255 above the accepted maximum 1.5"),
    (_batch(lowest=-3.0), "below the accepted minimum -0.5"),
])
def test_every_kind_of_malformed_input_is_rejected_with_its_reason(
        summary: InputSummary, reason: str) -> None:
    with pytest.raises(InputRejected, match=reason.replace("(", r"\(").replace(")", r"\)")):
        CONTRACT.enforce(summary)


def test_a_batch_of_nan_only_is_rejected_even_though_it_has_no_value_range() -> None:
    # A guard that judged only the finite range would let an all-NaN frame through.
    only_nan = _batch(nonfinite=8 * 32 * 32, lowest=None, highest=None)
    assert CONTRACT.violations(only_nan) == ("8192 NaN/Inf values",)


def test_every_violation_is_named_at_once() -> None:
    assert len(CONTRACT.violations(_batch(dtype="int64", nonfinite=2, highest=9.0))) == 3


def test_the_contract_round_trips_through_its_report_form() -> None:
    assert InputContract.from_dict(CONTRACT.to_dict()) == CONTRACT
    with pytest.raises(InvalidInputContract, match="unreadable"):
        InputContract.from_dict({"shape": [None, 1], "dtype": "float32"})


@pytest.mark.parametrize("kwargs", [
    {"shape": (), "dtype": "float32", "min_value": 0.0, "max_value": 1.0},
    {"shape": (None, 0), "dtype": "float32", "min_value": 0.0, "max_value": 1.0},
    {"shape": (None, 3), "dtype": "", "min_value": 0.0, "max_value": 1.0},
    {"shape": (None, 3), "dtype": "float32", "min_value": 2.0, "max_value": 1.0},
    {"shape": (None, 3), "dtype": "float32", "min_value": -math.inf, "max_value": 1.0},
])
def test_a_contract_no_input_could_meet_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInputContract):
        InputContract(**kwargs)  # type: ignore[arg-type]


def test_a_constant_observed_range_still_gets_a_margin_and_a_nan_range_is_refused() -> None:
    flat = InputContract.from_observed_range((1, 4), "float32", 2.0, 2.0)
    assert (flat.min_value, flat.max_value) == (1.5, 2.5)
    with pytest.raises(InvalidInputContract):
        InputContract.from_observed_range((1, 4), "float32", math.nan, 1.0)
