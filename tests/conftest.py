"""Fixtures shared by every test folder.

Tests take their objects from the same composition root as the product
(:func:`edgedeploy.entrypoints.bootstrap.bootstrap`): ``settings`` put every file under the
test's own folder, ``container`` is the root built from them, and a test replaces what it
must with ``container.<provider>.override(...)`` or ``bootstrap(settings, name=fake)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from edgedeploy.entrypoints.settings import Settings
from tests.fakes.clock import ManualClock
from tests.plugins.example_models import TrainedExample, trained_small_example

if TYPE_CHECKING:
    from edgedeploy.entrypoints.container import Container


@pytest.fixture(name="small_example", scope="session")
def fx_small_example(tmp_path_factory: pytest.TempPathFactory) -> TrainedExample:
    """The small example CNN, trained briefly once per test session."""
    return trained_small_example(tmp_path_factory.getbasetemp())


@pytest.fixture(name="settings")
def fx_settings(tmp_path: Path) -> Settings:
    """Settings with the home folder (database, trace store, evidence) inside ``tmp_path``."""
    return Settings(home=str(tmp_path / "home"), actor="test.actor", log_level="error")


@pytest.fixture(name="container")
def fx_container(settings: Settings) -> Iterator[Container]:
    """The composition root for ``settings``; what it opened is released after the test."""
    # Imported here, so that tests which never build the root do not load every adapter.
    from edgedeploy.entrypoints.bootstrap import bootstrap, close_container

    container = bootstrap(settings)
    yield container
    close_container(container)


@pytest.fixture(name="manual_clock")
def fx_manual_clock() -> ManualClock:
    """A clock that moves only when the test says so."""
    return ManualClock()
