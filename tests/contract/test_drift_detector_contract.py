"""Our drift detectors run the kit third-party detectors run."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from edgedeploy.adapters.drift import (
    adwin_factory,
    cusum_factory,
    mmd_factory,
    psi_factory,
    univariate_factory,
)
from edgedeploy.application.ports.drift import DriftDetector
from edgedeploy.plugins.testing import DriftDetectorContract


def _features(seed: int, rows: int, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(rows, 4)) + shift


def _outcomes(seed: int, rows: int, rate: float) -> np.ndarray:
    return (np.random.default_rng(seed).random((rows, 1)) < rate).astype(float)


class FeatureDetectorWindows:
    @pytest.fixture(name="reference")
    def fx_reference(self) -> np.ndarray:
        return _features(1, 1000)

    @pytest.fixture(name="clean_window")
    def fx_clean_window(self) -> np.ndarray:
        return _features(2, 400)

    @pytest.fixture(name="drifted_window")
    def fx_drifted_window(self) -> np.ndarray:
        return _features(3, 400, shift=1.0)


class StreamDetectorWindows:
    @pytest.fixture(name="reference")
    def fx_reference(self) -> np.ndarray:
        return _outcomes(1, 20_000, 0.05)

    @pytest.fixture(name="clean_window")
    def fx_clean_window(self) -> np.ndarray:
        return _outcomes(2, 2_000, 0.05)

    @pytest.fixture(name="drifted_window")
    def fx_drifted_window(self) -> np.ndarray:
        # Clean first, then the error rate rises: ADWIN cuts where the window's halves differ.
        return np.vstack([_outcomes(3, 2_000, 0.05), _outcomes(4, 2_000, 0.3)])


@pytest.mark.parametrize("factory", [psi_factory, mmd_factory, univariate_factory],
                         ids=["psi", "mmd", "univariate"])
class TestFeatureDetectors(FeatureDetectorWindows, DriftDetectorContract):
    @pytest.fixture(name="detector_factory")
    def fx_detector_factory(self, factory: Callable[[], DriftDetector],
                            ) -> Callable[[], DriftDetector]:
        return factory


@pytest.mark.parametrize("factory", [cusum_factory, adwin_factory], ids=["cusum", "adwin"])
class TestStreamDetectors(StreamDetectorWindows, DriftDetectorContract):
    @pytest.fixture(name="detector_factory")
    def fx_detector_factory(self, factory: Callable[[], DriftDetector],
                            ) -> Callable[[], DriftDetector]:
        return factory
