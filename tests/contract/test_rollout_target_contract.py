"""Our rollout targets and the in-memory fake fleet run the kit third-party fleets run."""

from __future__ import annotations

import pytest

from edgedeploy.adapters.fleet import SimulatedBehaviour, SimulatedFleet
from edgedeploy.application.ports.rollout import RolloutTarget
from edgedeploy.domain.models import ModelRef
from edgedeploy.plugins.testing import RolloutTargetContract
from tests.fakes.rollout import InMemoryFleet, ScriptedHealth

BASELINE = ModelRef("aeb", "1.0")


@pytest.fixture(name="model")
def fx_model() -> ModelRef:
    return ModelRef("aeb", "2.0")


class TestSimulatedFleet(RolloutTargetContract):
    @pytest.fixture(name="target")
    def fx_target(self, model: ModelRef) -> RolloutTarget:
        return SimulatedFleet(20, BASELINE, {BASELINE: SimulatedBehaviour(),
                                             model: SimulatedBehaviour()}, seed=3)


class TestInMemoryFleetFake(RolloutTargetContract):
    @pytest.fixture(name="target")
    def fx_target(self, model: ModelRef) -> RolloutTarget:
        return InMemoryFleet(4, BASELINE, {model: ScriptedHealth()})
