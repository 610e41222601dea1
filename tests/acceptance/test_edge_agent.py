"""Steps for features/edge_agent: verification before commit, probation, last-known-good."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from edgedeploy.adapters.edge import NumpyTensorTools
from edgedeploy.application.edge import EdgeConfig, EdgeRuntime, SwapOutcome
from edgedeploy.domain.models import ModelRef
from tests.fakes.edge import InMemoryAgentStateStore, InMemoryPackageSource, ScriptedBackend

scenarios("edge_agent/last_known_good.feature")

X = {"x": np.ones((1, 4), dtype=np.float32)}


@dataclass
class AgentWorld:
    packages: InMemoryPackageSource
    backend: ScriptedBackend = field(default_factory=ScriptedBackend)
    store: InMemoryAgentStateStore = field(default_factory=InMemoryAgentStateStore)
    runtime: EdgeRuntime | None = None
    outcome: SwapOutcome | None = None
    epoch: int = 0
    answers: list[str] = field(default_factory=list)

    def boot(self) -> EdgeRuntime:
        self.runtime = EdgeRuntime("ecu-front", self.backend, self.packages, self.store,
                                   NumpyTensorTools(), EdgeConfig(probation_inferences=5))
        self.runtime.start()
        return self.runtime

    def swap(self, model: ModelRef) -> SwapOutcome:
        assert self.runtime is not None
        self.epoch += 1
        outcome = self.runtime.request_swap(model, self.packages.get(model).digest, self.epoch)
        if outcome.generation and not outcome.done:
            outcome = self.runtime.wait(outcome.generation, 10) or outcome
        self.outcome = outcome
        return outcome

    def serve(self, n: int) -> None:
        assert self.runtime is not None
        self.answers += [self.runtime.infer(X).model for _ in range(n)]


@pytest.fixture(name="agent_world")
def fx_agent_world(tmp_path: Path) -> Iterator[AgentWorld]:
    world = AgentWorld(InMemoryPackageSource(tmp_path))
    yield world
    if world.runtime is not None:
        world.runtime.close()


@given(parsers.parse('an edge agent serving "{model}" as its last-known-good version'))
def agent_serving(agent_world: AgentWorld, model: str) -> None:
    ref = ModelRef.parse(model)
    agent_world.packages.add(ref, 1.0)
    agent_world.boot()
    assert agent_world.swap(ref).status == "applied"
    agent_world.serve(5)
    assert agent_world.store.state.last_known_good == ref


@when(parsers.parse('the agent is told to run "{model}" whose file was altered after '
                    "registration"))
def altered_file(agent_world: AgentWorld, model: str) -> None:
    ref = ModelRef.parse(model)
    agent_world.packages.add(ref, 2.0)
    Path(agent_world.packages.get(ref).path).write_text('{"tag": 2.0, "backdoor": true}')
    agent_world.swap(ref)
    agent_world.serve(10)


@when(parsers.parse('the agent is told to run "{model}" whose golden output differs beyond '
                    "tolerance"))
def golden_differs(agent_world: AgentWorld, model: str) -> None:
    ref = ModelRef.parse(model)
    agent_world.packages.add(ref, 2.0, skew=0.01)
    agent_world.swap(ref)
    agent_world.serve(10)


@when(parsers.parse('the agent is told to run "{model}" which fails every third inference'))
def fails_on_probation(agent_world: AgentWorld, model: str) -> None:
    ref = ModelRef.parse(model)
    agent_world.packages.add(ref, 2.0, fail_every=3)
    assert agent_world.swap(ref).status == "applied"


@when(parsers.parse('the agent is told to run "{model}" which is healthy'))
def healthy_swap(agent_world: AgentWorld, model: str) -> None:
    ref = ModelRef.parse(model)
    agent_world.packages.add(ref, 2.0)
    assert agent_world.swap(ref).status == "applied"


@when(parsers.parse("the agent serves {n:d} inferences"))
def serves(agent_world: AgentWorld, n: int) -> None:
    agent_world.serve(n)


@when("the agent restarts")
def restarts(agent_world: AgentWorld) -> None:
    assert agent_world.runtime is not None
    agent_world.runtime.close()
    agent_world.boot()


@then(parsers.parse('the swap is reported "{status}" because the digest "{why}"'))
@then(parsers.parse('the swap is reported "{status}" because of the "{why}"'))
def swap_reported(agent_world: AgentWorld, status: str, why: str) -> None:
    assert agent_world.outcome is not None
    assert agent_world.outcome.status == status and why in agent_world.outcome.reason


@then(parsers.parse('every answer is produced by "{model}"'))
def every_answer(agent_world: AgentWorld, model: str) -> None:
    assert agent_world.answers and set(agent_world.answers) == {model}


@then(parsers.parse('the agent serves "{model}" again'))
def serves_again(agent_world: AgentWorld, model: str) -> None:
    assert agent_world.runtime is not None
    assert agent_world.runtime.status().model == model
    assert agent_world.runtime.infer(X).model == model


@then(parsers.parse('"{model}" is quarantined'))
def quarantined(agent_world: AgentWorld, model: str) -> None:
    assert agent_world.runtime is not None
    assert model in agent_world.runtime.status().quarantine
