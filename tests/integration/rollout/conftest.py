"""Local edge agents (real processes, ONNX Runtime) and a repository of tiny models."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from edgedeploy.adapters.fleet import LocalAgentFleet
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState
from tests.fakes.onnx_models import publish

V1, V2, V3 = ModelRef("aeb", "1.0"), ModelRef("aeb", "2.0"), ModelRef("aeb", "3.0")
TAGS = {"aeb@1.0": 1.0, "aeb@2.0": 2.0, "aeb@3.0": 3.0}


@dataclass
class Models:
    repository: Path
    digests: dict[ModelRef, str]


@pytest.fixture(name="models", scope="module")
def fx_models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    base = tmp_path_factory.mktemp("models")
    repo = base / "repository"
    digests = {V1: publish(repo, base / "build", V1, 1.0),
               V2: publish(repo, base / "build", V2, 2.0),
               # 3.0 answers with near-uniform probabilities: a low-confidence regression.
               V3: publish(repo, base / "build", V3, 3.0, confident=False)}
    return Models(repo, digests)


@pytest.fixture(name="agents", scope="module")
def fx_agents(tmp_path_factory: pytest.TempPathFactory,
              models: Models) -> Iterator[LocalAgentFleet]:
    base = tmp_path_factory.mktemp("agents")
    fleet = LocalAgentFleet(base, models.repository, ["ecu-0", "ecu-1", "ecu-2", "ecu-3"],
                            labels={f"ecu-{i}": {"hardware": "a" if i % 2 else "b"}
                                    for i in range(4)},
                            env={"EDGEDEPLOY_AGENT_PROBATION_INFERENCES": "20"})
    result = fleet.apply([DesiredState(d.device_id, V1, models.digests[V1], 1)
                          for d in fleet.devices()])
    assert not result.unreachable
    yield fleet
    fleet.close()
