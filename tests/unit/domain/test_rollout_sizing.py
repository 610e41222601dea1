"""Canary sizing keeps a baseline to compare with; fleet names and device ids stay identifiers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import (
    DeviceInfo,
    FleetTooSmall,
    InvalidIdentifier,
    RolloutPlan,
    canary_count,
    device_id,
    fleet_name,
    minimum_fleet_size,
    new_rollout,
)
from edgedeploy.domain.safety import ASIL

NOW = datetime(2025, 1, 1, tzinfo=UTC)
OLD, NEW = ModelRef.parse("aeb@1.0"), ModelRef.parse("aeb@1.1")


def _rollout(asil: ASIL, size: int):
    return new_rollout("r1", "bench", NEW, "sha256:" + "b" * 64, OLD, "sha256:" + "a" * 64,
                       RolloutPlan.for_asil(asil), [DeviceInfo(f"d{i}") for i in range(size)],
                       1, NOW)


@pytest.mark.parametrize(("asil", "size"), [(ASIL.D, 4), (ASIL.D, 6), (ASIL.D, 9), (ASIL.C, 5),
                                            (ASIL.B, 3), (ASIL.QM, 1)])
def test_a_fleet_too_small_for_canary_and_baseline_floors_is_refused_with_the_numbers(asil, size):
    with pytest.raises(FleetTooSmall) as refused:
        _rollout(asil, size)
    needed = minimum_fleet_size(RolloutPlan.for_asil(asil))
    assert f"has {size} devices" in refused.value.message
    assert f"needs at least {needed}" in refused.value.message


@pytest.mark.parametrize(("asil", "size"), [(ASIL.D, 10), (ASIL.D, 11), (ASIL.D, 40),
                                            (ASIL.C, 6), (ASIL.B, 4), (ASIL.QM, 2),
                                            (ASIL.QM, 20)])
def test_no_stage_before_the_last_covers_the_fleet_or_shrinks_the_baseline_below_its_floor(
        asil, size):
    plan = RolloutPlan.for_asil(asil)
    for stage in plan.stages[:-1]:
        k = canary_count(stage, size)
        assert stage.min_devices <= k <= size - stage.min_devices
    assert canary_count(plan.stages[-1], size) == size


def test_the_first_asil_d_stage_leaves_a_baseline_cohort_as_large_as_the_canary():
    rollout = _rollout(ASIL.D, 10).start(NOW)
    canary, baseline = rollout.cohorts()
    assert len(canary) == 5 and len(baseline) == 5


@pytest.mark.parametrize("value", ["../../etc", "/abs/path", "a/b", "..", "a..b", "", ".hidden",
                                   "x" * 65, "name\n", 7, None, "sp ace"])
def test_fleet_names_and_device_ids_are_plain_identifiers(value):
    with pytest.raises(InvalidIdentifier, match="fleet name"):
        fleet_name(value)
    with pytest.raises(InvalidIdentifier, match="device id"):
        device_id(value)


@pytest.mark.parametrize("value", ["bench-a", "ecu-0", "EU_fleet.2", "x" * 64])
def test_ordinary_names_are_accepted(value):
    assert fleet_name(value) == value and device_id(value) == value
