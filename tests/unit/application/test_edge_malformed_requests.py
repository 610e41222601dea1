"""A malformed inference request is the caller's error, never a fault of the model on probation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgedeploy.application.edge import MalformedRequest
from edgedeploy.application.errors import InvalidInput
from tests.unit.application.test_edge_runtime import V1, V2, Agent, install_v1


@pytest.fixture(name="agent")
def fx_agent(tmp_path: Path):
    a = Agent(tmp_path)
    a.packages.add(V1, 1.0)
    a.packages.add(V2, 2.0)
    yield a
    a.runtime.close()


@pytest.mark.parametrize("feeds", [
    {"x": np.asarray([1, 2, 3], dtype=np.float32)},      # rank 1 where the model takes 2
    {"x": np.ones((1, 5), dtype=np.float32)},            # a fixed dimension of another size
    {"y": np.ones((1, 4), dtype=np.float32)},            # an input the model does not have
    {"x": [[1.0, 2.0, 3.0, 4.0]]},                       # no tensor at all
])
def test_a_malformed_request_in_probation_is_refused_and_neither_reverts_nor_counts(
        agent, feeds):
    install_v1(agent)
    assert agent.swap(V2, 2).status == "applied"
    with pytest.raises(MalformedRequest) as refused:
        agent.runtime.infer(feeds)
    assert isinstance(refused.value, InvalidInput)
    status = agent.runtime.status()
    assert status.model == "aeb@2.0" and "aeb@2.0" not in status.quarantine
    health = agent.runtime.monitor.health("aeb@2.0")
    assert health.errors == 0 and health.inferences == 0
    assert agent.runtime.monitor.rejected("aeb@2.0") == 1
    assert 'edgedeploy_rejected_requests_total{device="dev-1",model="aeb@2.0"} 1' in \
        agent.runtime.monitor.prometheus("dev-1")
    assert agent.serve(5) == ["aeb@2.0"] * 5
    assert agent.runtime.status().last_known_good == "aeb@2.0"
