"""Fixtures for the plugin tests: the small example trained once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugins.example_models import TrainedExample, outlier_example


@pytest.fixture(name="outlier_model", scope="session")
def fx_outlier_model(small_example: TrainedExample,
                     tmp_path_factory: pytest.TempPathFactory) -> Path:
    return outlier_example(small_example, tmp_path_factory.getbasetemp())
