"""A canary roll-out across real edge agent processes on loopback, journal in SQLite."""

from __future__ import annotations

import time

import httpx
import pytest
from dependency_injector import providers

from edgedeploy.adapters.fleet import LocalAgentFleet
from edgedeploy.application.messagebus import MessageBus
from edgedeploy.application.rollout import (
    RollbackRollout,
    RolloutEngine,
    RunOptions,
    RunRollout,
    StartRollout,
    StartRolloutCommand,
    TickRollout,
)
from edgedeploy.domain.audit import verify_chain
from edgedeploy.domain.rollout import RolloutPlan
from edgedeploy.domain.safety import ASIL
from edgedeploy.entrypoints.container import Container
from tests.builders import OPERATOR, STARTER
from tests.fakes.rollout import ScriptedReadiness
from tests.fakes.traffic import Traffic
from tests.integration.rollout.conftest import TAGS, V1, V2, V3, Models


@pytest.fixture(name="engine")
def fx_engine(container: Container, agents: LocalAgentFleet) -> RolloutEngine:
    """The root's engine over the loopback agents: SQLite journal, system clock."""
    # The tiny models have no trace items, so no deployment evidence can be linked: a bus
    # without handlers.
    container.message_bus.override(providers.Object(MessageBus()))
    return container.rollout_fleets().engine(agents)


def run_to_end(engine: RolloutEngine, rollout_id: str) -> str:
    result = RunRollout(TickRollout(engine))(
        rollout_id, RunOptions(interval_s=0.4, max_ticks=150, sleep=time.sleep))
    return result.view.phase


def test_a_good_version_reaches_every_agent_and_a_degraded_one_is_rolled_back(
        agents: LocalAgentFleet, models: Models, engine: RolloutEngine,
        container: Container) -> None:
    journal = engine.journal
    start = StartRollout(engine, ScriptedReadiness({V2, V3}))
    plan = RolloutPlan.for_asil(ASIL.QM)
    urls = [agents.url(d.device_id) for d in agents.devices()]
    with Traffic(urls, tags=TAGS, headers=agents.auth_headers) as traffic:
        good = start(StartRolloutCommand("loopback", V2, models.digests[V2], plan, STARTER,
                                         V1, models.digests[V1], rollout_id="good"))
        assert run_to_end(engine, good.rollout_id) == "completed"
        assert set(agents.running([d.device_id for d in agents.devices()]).values()) == {V2}
        bad = start(StartRolloutCommand("loopback", V3, models.digests[V3], plan, STARTER,
                                        rollout_id="bad"))
        assert bad.baseline == str(V2)
        assert run_to_end(engine, bad.rollout_id) == "rolled_back"
        time.sleep(0.5)
    assert set(agents.running([d.device_id for d in agents.devices()]).values()) == {V2}
    assert traffic.log.failures == [] and traffic.log.mislabelled == []
    assert traffic.log.by_model.get("aeb@3.0", 0) > 0
    decisions = journal.decisions("bad")
    assert verify_chain(decisions) == len(decisions)
    failed = [m["metric"] for m in decisions[-1].details["health"]["metrics"] if m["failed"]]
    assert failed == ["safety_proxy_rate"]
    stages = [e.details["stage"] for e in journal.decisions("good") if e.action == "promote"]
    assert stages == ["5%", "25%", "50%", "100%"]
    export = container.export_decision_log()("good")
    assert export.digest.startswith("sha256:")


def test_agents_expose_prometheus_metrics_per_model_version(agents: LocalAgentFleet) -> None:
    device = agents.devices()[0].device_id
    agents.infer(device, {"x": [[0.0, 0.0, 0.0, 1.0]]})
    text = httpx.get(agents.url(device) + "/metrics", headers=agents.auth_headers).text
    assert f'edgedeploy_inferences_total{{device="{device}"' in text
    assert "edgedeploy_inference_latency_p99_ms" in text


def test_an_agent_off_line_during_a_rollback_converges_when_it_comes_back(
        agents: LocalAgentFleet, models: Models, engine: RolloutEngine) -> None:
    journal = engine.journal
    start = StartRollout(engine, ScriptedReadiness({V1, V2}))
    devices = [d.device_id for d in agents.devices()]
    baseline = agents.running(devices)[devices[0]]
    assert baseline is not None
    target = V1 if baseline != V1 else V2
    # A journal that has never seen these agents (a new controller database): the roll-out
    # starts above the epochs they report, or every agent would refuse its commands.
    already = max(e or 0 for e in agents.reported_epochs(devices).values())
    view = start(StartRolloutCommand("offline", target, models.digests[target],
                                     RolloutPlan.for_asil(ASIL.QM), STARTER, baseline,
                                     models.digests[baseline]))
    assert journal.get(view.rollout_id).epoch > already
    tick = TickRollout(engine)
    tick(view.rollout_id)  # 5 %: one device gets the new version
    rollout = journal.get(view.rollout_id)
    canary = rollout.cohorts()[0][0]
    agents.stop(canary)
    RollbackRollout(engine)(view.rollout_id, OPERATOR, "field report")
    assert canary in tick(view.rollout_id).unreachable
    agents.start(canary)
    settled = tick(view.rollout_id)
    assert settled.converged
    assert agents.running([canary])[canary] == baseline
