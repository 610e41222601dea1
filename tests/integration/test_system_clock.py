"""The system clock answers in UTC, time-zone aware."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from edgedeploy.adapters.system import SystemClock


def test_now_is_time_zone_aware_in_utc() -> None:
    now = SystemClock().now()

    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_now_lies_between_two_readings_of_the_standard_library_clock() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)

    assert before <= now <= after
