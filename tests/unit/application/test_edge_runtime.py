"""The edge runtime: verified hot swap, epochs, latest-wins, probation and last-known-good."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from edgedeploy.adapters.edge import NumpyTensorTools
from edgedeploy.application.edge import EdgeConfig, EdgeRuntime
from edgedeploy.application.errors import BackendUnavailable
from edgedeploy.domain.edge_policy import EpochOutOfRange
from edgedeploy.domain.models import ModelRef
from tests.fakes.edge import InMemoryAgentStateStore, InMemoryPackageSource, ScriptedBackend

V1, V2, V3 = ModelRef("aeb", "1.0"), ModelRef("aeb", "2.0"), ModelRef("aeb", "3.0")
X = {"x": np.ones((1, 4), dtype=np.float32)}


class Agent:
    def __init__(self, root: Path, **config: object) -> None:
        self.backend = ScriptedBackend()
        self.packages = InMemoryPackageSource(root)
        self.store = InMemoryAgentStateStore()
        defaults: dict[str, object] = {"probation_inferences": 5, "quarantine_base_s": 60.0}
        defaults.update(config)
        self.config = EdgeConfig(**defaults)  # type: ignore[arg-type]
        self.now = 1_000.0
        self.runtime = self.build()

    def build(self) -> EdgeRuntime:
        runtime = EdgeRuntime("dev-1", self.backend, self.packages, self.store,
                              NumpyTensorTools(), self.config, clock=lambda: self.now)
        runtime.start()
        return runtime

    def swap(self, model: ModelRef, epoch: int, digest: str | None = None):
        digest = digest or self.packages.get(model).digest
        outcome = self.runtime.request_swap(model, digest, epoch)
        if outcome.generation and not outcome.done:
            outcome = self.runtime.wait(outcome.generation, 10) or outcome
        return outcome

    def serve(self, n: int) -> list[str]:
        return [self.runtime.infer(X).model for _ in range(n)]


@pytest.fixture(name="agent")
def fx_agent(tmp_path: Path):
    a = Agent(tmp_path)
    a.packages.add(V1, 1.0)
    a.packages.add(V2, 2.0)
    yield a
    a.runtime.close()


def install_v1(agent: Agent) -> None:
    assert agent.swap(V1, 1).status == "applied"
    agent.serve(5)  # passes probation


def test_an_agent_without_a_model_refuses_inference_as_unavailable(agent):
    with pytest.raises(BackendUnavailable):
        agent.runtime.infer(X)


def test_a_verified_version_is_switched_in_and_names_itself_in_every_answer(agent):
    install_v1(agent)
    assert agent.swap(V2, 2).status == "applied"
    result = agent.runtime.infer(X)
    assert result.model == "aeb@2.0" and float(result.outputs["tag"][0, 0]) == 2.0


def test_a_wrong_registry_digest_never_serves(agent):
    install_v1(agent)
    outcome = agent.swap(V2, 2, digest="sha256:" + "e" * 64)
    assert outcome.status == "failed" and "registry digest" in outcome.reason
    assert set(agent.serve(10)) == {"aeb@1.0"}


def test_a_corrupted_model_file_never_serves(agent):
    install_v1(agent)
    Path(agent.packages.get(V2).path).write_text('{"tag": 666}')
    outcome = agent.swap(V2, 2)
    assert outcome.status == "failed" and "corrupt" in outcome.reason
    assert set(agent.serve(10)) == {"aeb@1.0"}


def test_a_version_failing_its_golden_case_is_refused_before_commit(agent):
    install_v1(agent)
    agent.packages.add(V3, 3.0, golden_tag=3.5)
    outcome = agent.swap(V3, 2)
    assert outcome.status == "failed" and "golden case" in outcome.reason
    assert agent.runtime.status().model == "aeb@1.0"


def test_a_version_breaking_its_input_contract_is_refused(agent):
    install_v1(agent)
    agent.packages.add(V3, 3.0, inputs=[{"name": "x", "shape": [None, 8], "dtype": "float32"}])
    outcome = agent.swap(V3, 2)
    assert outcome.status == "failed" and "contract" in outcome.reason


def test_a_swap_beyond_the_memory_budget_is_refused(tmp_path):
    a = Agent(tmp_path, memory_budget_bytes=1_000_000, memory_factor=2.0)
    a.packages.add(V1, 1.0, size_bytes=200_000)
    a.packages.add(V2, 2.0, size_bytes=400_000)
    assert a.swap(V1, 1).status == "applied"
    outcome = a.swap(V2, 2)
    assert outcome.status == "refused" and "budget" in outcome.reason
    a.runtime.close()


def test_commands_are_idempotent_by_epoch(agent):
    install_v1(agent)
    assert agent.swap(V2, 5).status == "applied"
    loads = agent.backend.loads
    assert agent.swap(V2, 5).status == "stale"
    with pytest.raises(EpochOutOfRange):
        agent.swap(V1, 4)
    assert agent.backend.loads == loads and agent.runtime.status().model == "aeb@2.0"


def test_an_epoch_far_ahead_is_refused_unpersisted_and_the_next_valid_one_still_applies(agent):
    install_v1(agent)
    with pytest.raises(EpochOutOfRange, match=r"accepts 2\.\.1001"):
        agent.swap(V2, 2**63 - 1)
    assert agent.runtime.status().epoch == 1 and agent.store.load().epoch == 1
    assert agent.swap(V2, 2).status == "applied"
    assert agent.runtime.status().epoch == 2


def test_the_latest_request_wins_over_a_slow_load(agent):
    install_v1(agent)
    agent.packages.add(V3, 3.0, load_delay_s=0.5)
    slow = agent.runtime.request_swap(V3, agent.packages.get(V3).digest, 2)
    time.sleep(0.1)
    fast = agent.swap(V2, 3)
    assert fast.status == "applied"
    late = agent.runtime.wait(slow.generation, 5)
    assert late is not None and late.status in ("superseded", "refused", "cancelled")
    time.sleep(0.6)
    assert agent.runtime.status().model == "aeb@2.0"


def test_a_load_past_its_timeout_is_abandoned(tmp_path):
    a = Agent(tmp_path, load_timeout_s=0.2)
    a.packages.add(V1, 1.0, load_delay_s=1.0)
    outcome = a.swap(V1, 1)
    assert outcome.status == "failed" and "exceeded" in outcome.reason
    assert a.runtime.status().model is None
    a.runtime.close()


def test_errors_in_probation_revert_to_last_known_good_and_quarantine_the_version(agent):
    install_v1(agent)
    agent.packages.add(V3, 3.0, fail_every=3)
    assert agent.swap(V3, 2).status == "applied"
    answers = [agent.runtime.infer(X) for _ in range(4)]
    assert any(a.fallback and a.model == "aeb@1.0" for a in answers)
    status = agent.runtime.status()
    assert status.model == "aeb@1.0" and "aeb@3.0" in status.quarantine
    refused = agent.swap(V3, 3)
    assert refused.status == "refused" and "quarantined" in refused.reason


def test_quarantine_backs_off_and_then_lets_the_version_try_again(agent):
    install_v1(agent)
    agent.packages.add(V3, 3.0, fail_every=2)  # the golden case passes, the next call fails
    agent.swap(V3, 2)
    assert agent.runtime.infer(X).fallback
    first_period = agent.runtime.status().quarantine["aeb@3.0"] - agent.now
    agent.now += first_period + 1
    assert agent.swap(V3, 3).status == "applied"
    agent.runtime.infer(X)
    second_period = agent.runtime.status().quarantine["aeb@3.0"] - agent.now
    assert second_period == pytest.approx(2 * first_period)


def test_a_p99_over_budget_in_probation_reverts(agent):
    install_v1(agent)
    agent.packages.add(V3, 3.0, delay_ms=5.0, p99_budget_ms=1.0)
    agent.swap(V3, 2)
    agent.serve(5)
    assert agent.runtime.status().model == "aeb@1.0"
    assert "p99" in (agent.runtime.status().last_swap.reason or "")


def test_passing_probation_makes_the_version_last_known_good_across_a_restart(agent):
    install_v1(agent)
    agent.swap(V2, 2)
    assert agent.store.state.last_known_good == V1
    agent.serve(5)
    assert agent.store.state.last_known_good == V2
    agent.runtime.close()
    agent.runtime = agent.build()
    assert agent.runtime.status().model == "aeb@2.0"
    assert agent.runtime.status().epoch == 2


def test_going_back_to_the_loaded_last_known_good_needs_no_load(agent):
    install_v1(agent)
    agent.swap(V2, 2)
    loads = agent.backend.loads
    outcome = agent.swap(V1, 3)
    assert outcome.status == "applied" and agent.backend.loads == loads
    assert agent.runtime.status().model == "aeb@1.0"


def test_a_retired_session_is_closed_only_after_its_last_inference(agent):
    install_v1(agent)
    agent.serve(1)
    v1_session = agent.backend.sessions[-1]
    agent.swap(V2, 2)
    agent.serve(5)
    assert v1_session.closed


def test_the_runtime_monitor_counts_per_version_and_speaks_prometheus(agent):
    install_v1(agent)
    agent.serve(20)
    window = agent.runtime.monitor.health("aeb@1.0")
    assert window.inferences == 25 and window.errors == 0 and window.latency_count == 25
    text = agent.runtime.monitor.prometheus("dev-1")
    assert 'edgedeploy_inferences_total{device="dev-1",model="aeb@1.0"} 25' in text
    assert "edgedeploy_inference_latency_ms_bucket" in text


def test_low_confidence_results_are_counted_as_the_safety_proxy(tmp_path):
    a = Agent(tmp_path)
    a.packages.add(V1, 1.0, confidence=0.4)
    a.swap(V1, 1)
    result = a.runtime.infer(X)
    assert result.low_confidence
    assert a.runtime.monitor.health("aeb@1.0").low_confidence == 1
    a.runtime.close()


def test_each_row_of_a_batched_request_counts_as_one_inference(agent):
    install_v1(agent)
    result = agent.runtime.infer({"x": np.ones((64, 4), dtype=np.float32)})
    assert result.rows == 64
    window = agent.runtime.monitor.health("aeb@1.0")
    assert window.inferences == 5 + 64 and window.latency_count == 5 + 64
    text = agent.runtime.monitor.prometheus("dev-1")
    assert 'edgedeploy_inferences_total{device="dev-1",model="aeb@1.0"} 69' in text


def test_a_failed_batched_request_counts_an_error_for_every_row(tmp_path):
    a = Agent(tmp_path)
    a.packages.add(V1, 1.0, fail_every=2)  # call 1 is the golden smoke test, call 2 fails
    a.swap(V1, 1)
    with pytest.raises(BackendUnavailable):
        a.runtime.infer({"x": np.ones((8, 4), dtype=np.float32)})
    window = a.runtime.monitor.health("aeb@1.0")
    assert window.inferences == 8 and window.errors == 8
    a.runtime.close()


def test_a_batch_consumes_probation_row_by_row(tmp_path):
    a = Agent(tmp_path, probation_inferences=10)
    a.packages.add(V1, 1.0)
    a.swap(V1, 1)
    assert a.runtime.status().probation_remaining == 10
    a.runtime.infer({"x": np.ones((4, 4), dtype=np.float32)})
    assert a.runtime.status().probation_remaining == 6
    a.runtime.infer({"x": np.ones((6, 4), dtype=np.float32)})
    assert a.runtime.status().probation_remaining == 0
    assert a.runtime.status().last_known_good == "aeb@1.0"
    a.runtime.close()


def test_low_confidence_is_judged_row_by_row_in_a_batch(tmp_path):
    a = Agent(tmp_path)
    a.packages.add(V1, 1.0, confidence=0.4)
    a.swap(V1, 1)
    result = a.runtime.infer({"x": np.ones((7, 4), dtype=np.float32)})
    assert result.low_confidence and result.low_confidence_rows == 7
    assert a.runtime.monitor.health("aeb@1.0").low_confidence == 7
    a.runtime.close()


def test_swaps_under_concurrent_inference_never_fail_a_request_or_mislabel_it(tmp_path):
    a = Agent(tmp_path, probation_inferences=1)
    versions = [ModelRef("aeb", f"{i}.0") for i in range(1, 5)]
    for i, v in enumerate(versions, start=1):
        a.packages.add(v, float(i))
    a.swap(versions[0], 1)
    failures, mislabelled, served = [], [], [0]
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                r = a.runtime.infer(X)
            except Exception as exc:  # counted, the assertion below names them
                failures.append(exc)
                continue
            served[0] += 1
            if float(r.outputs["tag"][0, 0]) != float(r.model.split("@")[1]):
                mislabelled.append(r)

    threads = [threading.Thread(target=client) for _ in range(3)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # hand the GIL over quickly between swapper and clients
    try:
        for t in threads:
            t.start()
        for epoch in range(2, 502):
            a.swap(versions[epoch % len(versions)], epoch)
    finally:
        stop.set()
        for t in threads:
            t.join()
        sys.setswitchinterval(interval)
    a.runtime.close()
    assert failures == [] and mislabelled == []
    assert served[0] > 0
