"""Conformance kit for drift detectors (group ``edgedeploy.drift_detectors``).

Subclass :class:`DriftDetectorContract` and provide four fixtures: ``detector_factory`` (a
zero-argument callable returning a fresh, unfitted detector, e.g. your entry point's factory),
``reference`` (the window it is fitted on), ``clean_window`` (drawn like the reference: the
detector must stay quiet) and ``drifted_window`` (clearly shifted: it must fire). Windows are
what the port calls ``WindowData``: rows of floats, or a NumPy array (samples x features; one
column of 0/1 outcomes for stream detectors). ``feature_names`` defaults to ``f0, f1, …``::

    class TestMyDetector(DriftDetectorContract):
        @pytest.fixture(name="detector_factory")
        def fx_detector_factory(self): return my_plugin.factory
        ...

The kit checks what the ensemble relies on: the port's attributes, the API version, a
calibrated threshold, quiet on clean data and firing on drift, determinism for a given
reference (refitting reproduces the verdicts), attribution only to known features, and, for
detectors that carry state between windows, a snapshot that resumes exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pytest

from edgedeploy.application.ports.drift import (
    DetectorOutcome,
    DriftDetector,
    StatefulDetector,
    WindowData,
)
from edgedeploy.domain.drift import DetectorCapability
from edgedeploy.plugins.registry import DRIFT_DETECTORS, GROUPS, declared_api_version


def _columns(window: WindowData) -> int:
    shape = getattr(window, "shape", None)
    if shape is not None:
        return int(shape[1]) if len(shape) > 1 else 1
    rows = list(window)  # type: ignore[arg-type]
    return len(rows[0]) if rows else 0


def _key(outcome: DetectorOutcome) -> tuple[float, float, bool]:
    return outcome.statistic, outcome.threshold, outcome.fired


class DriftDetectorContract:
    """What every drift detector must do; subclass it and provide the four fixtures."""

    @pytest.fixture(name="feature_names")
    def fx_feature_names(self, reference: WindowData) -> list[str]:
        """``f0 … fn``, one per column of the reference."""
        return [f"f{i}" for i in range(_columns(reference))]

    @pytest.fixture(name="fitted")
    def fx_fitted(self, detector_factory: Callable[[], DriftDetector], reference: WindowData,
                  feature_names: Sequence[str]) -> DriftDetector:
        """A fresh detector fitted on the reference."""
        detector = detector_factory()
        detector.fit(reference, feature_names)
        return detector

    def test_the_detector_satisfies_the_drift_detector_protocol(
            self, detector_factory: Callable[[], DriftDetector]) -> None:
        """The detector satisfies the drift detector protocol, with sensible attributes."""
        detector = detector_factory()
        assert isinstance(detector, DriftDetector)
        assert isinstance(detector.name, str) and detector.name.strip()
        assert isinstance(detector.capability, DetectorCapability)
        assert math.isfinite(detector.default_weight) and detector.default_weight > 0

    def test_it_speaks_the_api_version_edgedeploy_loads(
            self, detector_factory: Callable[[], DriftDetector]) -> None:
        """It speaks the API version edgedeploy loads."""
        assert declared_api_version(detector_factory()) == GROUPS[DRIFT_DETECTORS].api_version

    def test_every_outcome_has_a_finite_statistic_and_a_calibrated_threshold(
            self, fitted: DriftDetector, clean_window: WindowData,
            drifted_window: WindowData) -> None:
        """Every outcome has a finite statistic and a calibrated, positive threshold."""
        for window in (clean_window, drifted_window):
            outcome = fitted.score(window)
            assert isinstance(outcome, DetectorOutcome)
            assert math.isfinite(outcome.statistic)
            assert math.isfinite(outcome.threshold) and outcome.threshold > 0
            assert isinstance(outcome.fired, bool)
            assert outcome.p_value is None or 0.0 <= outcome.p_value <= 1.0

    def test_a_window_drawn_like_the_reference_does_not_fire(
            self, fitted: DriftDetector, clean_window: WindowData) -> None:
        """A window drawn like the reference does not fire."""
        assert not fitted.score(clean_window).fired

    def test_a_drifted_window_fires(self, fitted: DriftDetector,
                                    drifted_window: WindowData) -> None:
        """A drifted window fires."""
        assert fitted.score(drifted_window).fired

    def test_refitting_the_same_reference_reproduces_the_outcomes(
            self, detector_factory: Callable[[], DriftDetector], reference: WindowData,
            feature_names: Sequence[str], clean_window: WindowData,
            drifted_window: WindowData) -> None:
        """Refitting the same reference reproduces the outcomes (detectors are seeded)."""
        first, second = detector_factory(), detector_factory()
        for detector in (first, second):
            detector.fit(reference, feature_names)
        for window in (clean_window, drifted_window):
            assert _key(first.score(window)) == _key(second.score(window))

    def test_attribution_names_only_known_features(
            self, fitted: DriftDetector, drifted_window: WindowData,
            feature_names: Sequence[str]) -> None:
        """Attribution names only known features, with finite, non-negative evidence."""
        contributions = fitted.score(drifted_window).contributions
        assert set(contributions) <= set(feature_names)
        assert all(math.isfinite(v) and v >= 0 for v in contributions.values())

    def test_a_carried_state_resumes_exactly_where_it_was_taken(
            self, detector_factory: Callable[[], DriftDetector], reference: WindowData,
            feature_names: Sequence[str], clean_window: WindowData,
            drifted_window: WindowData) -> None:
        """A carried state resumes exactly where it was taken (stateful detectors only)."""
        running = detector_factory()
        if not isinstance(running, StatefulDetector):
            pytest.skip("the detector carries no state between windows")
        running.fit(reference, feature_names)
        running.score(clean_window)
        state = running.snapshot()
        assert all(isinstance(v, int | float) for v in state.values())
        resumed = detector_factory()
        resumed.fit(reference, feature_names)
        assert isinstance(resumed, StatefulDetector)
        resumed.restore(state)
        assert _key(resumed.score(drifted_window)) == _key(running.score(drifted_window))
