from edgedeploy.domain.drift import (
    ColumnKind,
    ColumnProfile,
    DataQualityFlag,
    DriftSeverity,
    WindowProfile,
)
from edgedeploy.domain.drift_policy import DataQualityPolicy

COLUMNS = (ColumnProfile("config", ColumnKind.CONSTANT, 1, 1.0, 12.0, 12.0),
           ColumnProfile("speed", ColumnKind.CONTINUOUS, 900, 0.002, -3.0, 3.0),
           ColumnProfile("events", ColumnKind.COUNT, 3, 0.97, 0.0, 2.0))


def window(lows, highs, n=200):
    return WindowProfile(n, 3, minimums=tuple(lows), maximums=tuple(highs))


def flags(profile):
    return [(f.feature, f.flag) for f in DataQualityPolicy().findings(COLUMNS, profile)]


def test_a_clean_window_has_no_findings():
    assert flags(window([12.0, -2.5, 0.0], [12.0, 2.7, 2.0])) == []


def test_a_constant_column_that_changes_value_is_a_finding_not_drift():
    assert flags(window([13.0, -2.5, 0.0], [13.0, 2.7, 1.0])) == [
        ("config", DataQualityFlag.CONSTANT_CHANGED)]


def test_a_constant_column_that_starts_varying_is_a_finding():
    assert flags(window([11.0, -2.5, 0.0], [12.0, 2.7, 1.0])) == [
        ("config", DataQualityFlag.CONSTANT_VARYING)]


def test_a_stuck_sensor_is_a_critical_finding():
    [finding] = DataQualityPolicy().findings(COLUMNS, window([12.0, 0.4, 0.0], [12.0, 0.4, 1.0]))
    assert finding.flag is DataQualityFlag.STUCK and finding.severity is DriftSeverity.CRITICAL


def test_a_count_that_is_nearly_always_zero_may_be_zero_for_a_short_window():
    assert flags(window([12.0, -2.5, 0.0], [12.0, 2.7, 0.0], n=60)) == []
    assert flags(window([12.0, -2.5, 0.0], [12.0, 2.7, 0.0], n=2000)) == [
        ("events", DataQualityFlag.STUCK)]
