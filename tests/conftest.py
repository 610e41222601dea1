"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest

from tests.plugins.example_models import TrainedExample, trained_small_example


@pytest.fixture(name="small_example", scope="session")
def fx_small_example(tmp_path_factory: pytest.TempPathFactory) -> TrainedExample:
    """The small example CNN, trained briefly once per test session."""
    return trained_small_example(tmp_path_factory.getbasetemp())
