"""The demo's roll-out step: a staged canary on local edge agents, then an automatic rollback.

Six edge agent processes on 127.0.0.1 serve the FP32 reference export of the example model
(what the ECUs ran before this release). The optimized ``aeb-perception@1.0.0`` is rolled out
5 → 25 → 50 → 100 % with the plan for the highest ASIL in the gate's scope; every tick the demo
sends batched inference requests built from the held-out frames to every agent, and the
controller judges the canary cohort against its matched baseline cohort from the agents' real
health windows. Then ``aeb-perception@1.0.1-degraded`` (same class ranking, collapsed
confidence on bright frames) is rolled out and must be rolled back by the controller alone.

Bake times are floors of real time (30 minutes per stage at ASIL D). The controller here runs
on a virtual clock that the demo advances by the stage's bake time on every tick; traffic,
inference, health windows and statistics are real. Approvals are recorded on behalf of a named
release manager.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import httpx
import msgspec
import numpy as np

from edgedeploy.application.errors import BackendUnavailable
from edgedeploy.application.optimization.release import VERIFICATION_REPORT
from edgedeploy.application.ports.inference import TensorSpec
from edgedeploy.application.ports.reporting import Chart, ReportSection, ReportTable, Series
from edgedeploy.application.ports.rollout import ApplyResult, RolloutTarget
from edgedeploy.application.rollout import (
    ApproveStage,
    RolloutEngine,
    StartRollout,
    StartRolloutCommand,
    TickRollout,
    release_asil,
)
from edgedeploy.application.rollout.views import TickResult
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.identity import Principal
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact, ItemKind, Requirement
from edgedeploy.domain.rollout import DesiredState, DeviceInfo, RolloutPhase, RolloutPlan
from edgedeploy.domain.traceability import DECOMPOSING, Relation
from edgedeploy.entrypoints.demo.flow import CI, MODEL, RELEASE_LEAD, RELEASE_MANAGERS, DemoRun

FLEET = "demo-loopback"
DEVICES = tuple(f"ecu-{i}" for i in range(10))
"""Ten agents: at ASIL D a canary of five devices beside a baseline cohort of five."""
BASELINE = ModelRef(MODEL.name, "1.0.0-fp32-reference")
DEGRADED = ModelRef(MODEL.name, "1.0.1-degraded")
BATCH_ROWS = 256
ROWS_PER_COHORT_TICK = 40 * BATCH_ROWS
MAX_TICKS = 40
AGENT_WINDOW_S = 5.0
"""Length of the agents' health windows (``RuntimeMonitor``'s default)."""
CONFIDENCE_FLOOR = 0.4
"""The agents' safety-proxy floor: a top-class probability under 0.4 of ten classes. At the
default 0.5, one held-out frame sits at 0.49999 on 1.0.0 and at 0.52 on the FP32 reference,
a threshold artefact that would dominate the rate test on a sample of this size."""


class VirtualClock:
    """The controller's clock: starts at real time and moves only when the demo advances it.

    It remembers the real time of each advance, so a virtual instant (a stage start) can be
    turned back into the real instant from which the agents' health windows are read.
    """

    def __init__(self) -> None:
        now = datetime.now(UTC)
        self._virtual = now
        self._start = now
        self._marks: list[tuple[datetime, float]] = [(now, time.time())]

    def now(self) -> datetime:
        """The virtual time."""
        return self._virtual

    def advance(self, seconds: float) -> None:
        """Move virtual time on by ``seconds``."""
        self._virtual += timedelta(seconds=seconds)
        self._marks.append((self._virtual, time.time()))

    def fresh_window(self, window_s: float = AGENT_WINDOW_S) -> None:
        """Wait for the agents' next health window and read the current stage from there.

        An agent counts the whole window that holds a stage's start, so traffic of the stage
        before would otherwise be counted for this one.
        """
        wall = time.time()
        boundary = wall - (wall % window_s) + window_s
        time.sleep(max(0.0, boundary - wall) + 0.01)
        self._marks.append((self._virtual, boundary))

    def minutes(self) -> float:
        """Virtual minutes since the clock was made."""
        return (self._virtual - self._start).total_seconds() / 60.0

    def real(self, virtual: datetime) -> float:
        """The Unix time at which the virtual clock reached ``virtual``."""
        real = self._marks[0][1]
        for mark, wall in self._marks:
            if mark <= virtual:
                real = wall
        return real


class AgentFleet(RolloutTarget, Protocol):
    """The local agents (``container.local_agent_fleet``): a target that also takes traffic."""

    def url(self, device_id: str) -> str:
        """Base URL of one agent."""
        ...

    @property
    def auth_headers(self) -> dict[str, str]:
        """Headers carrying the fleet secret the agents require."""
        ...

    def close(self) -> None:
        """Stop the agents."""
        ...


class RealWindowFleet:
    """The local fleet as the controller's target, with health read in real time.

    The controller asks for health "since the stage started" in virtual time; the agents'
    windows are real, so the instant is translated to when the stage really started.
    """

    def __init__(self, fleet: AgentFleet, clock: VirtualClock) -> None:
        self._fleet, self._clock = fleet, clock

    def devices(self) -> list[DeviceInfo]:
        """The agents."""
        return self._fleet.devices()

    def apply(self, states: Sequence[DesiredState]) -> ApplyResult:
        """Command the agents (they verify and swap before answering)."""
        return self._fleet.apply(states)

    def health(self, device_ids: Sequence[str], model: ModelRef,
               since: datetime) -> HealthWindow:
        """The agents' real health windows from the real start of the stage."""
        real = datetime.fromtimestamp(self._clock.real(since), UTC)
        return self._fleet.health(device_ids, model, real)

    def running(self, device_ids: Sequence[str]) -> dict[str, ModelRef | None]:
        """What each agent serves."""
        return self._fleet.running(device_ids)


@dataclass
class Traffic:
    """Batched inference requests from held-out frames, pre-encoded once."""

    fleet: AgentFleet
    bodies: list[bytes]
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60.0))
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="traffic"))
    rows_by_model: dict[str, int] = field(default_factory=dict)
    failures: int = 0
    requests: int = 0

    def send(self, cohorts: Sequence[Sequence[str]]) -> None:
        """Send ``ROWS_PER_COHORT_TICK`` rows to each cohort, round-robin over its devices.

        Each cohort gets one request in flight at a time, and the cohorts run side by side,
        so canary and baseline see the same load on the shared cores and their latencies
        stay comparable (ten agents all busy at once on two cores would measure contention).
        """
        batches = -(-ROWS_PER_COHORT_TICK // BATCH_ROWS)
        plans = [[(cohort[i % len(cohort)], self.bodies[(self.requests + i) % len(self.bodies)])
                  for i in range(batches)] for cohort in cohorts if cohort]
        for answers in self.pool.map(self._post_all, plans):
            for model, rows in answers:
                if model is None:
                    self.failures += 1
                else:
                    self.rows_by_model[model] = self.rows_by_model.get(model, 0) + rows
        self.requests += sum(len(p) for p in plans)

    def _post_all(self, plan: list[tuple[str, bytes]]) -> list[tuple[str | None, int]]:
        answers: list[tuple[str | None, int]] = []
        for device, body in plan:
            url = self.fleet.url(device) + "/v1/infer"
            try:
                response = self.client.post(url, content=body, headers={
                    "content-type": "application/json", **self.fleet.auth_headers})
            except httpx.HTTPError:
                answers.append((None, 0))
                continue
            if response.status_code != 200:
                answers.append((None, 0))
                continue
            data = msgspec.json.decode(response.content)
            answers.append((str(data["model"]), int(data.get("rows", 1))))
        return answers

    def close(self) -> None:
        """Release threads and connections."""
        self.pool.shutdown(wait=True)
        self.client.close()


@dataclass
class RolloutRun:
    """One roll-out's timeline and outcome, for the report."""

    rollout_id: str
    model: ModelRef
    minutes: list[float] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)
    phase: str = "pending"
    reason: str = ""
    approvals: int = 0
    ticks: int = 0


def _package(run: DemoRun, repository: Path, model: ModelRef, path: Path,
             frames: np.ndarray, digest: str | None = None) -> str:
    """Write ``path`` as an agent package with the verified input contract and golden cases.

    The golden outputs are this file's own answers on two held-out frames (ONNX Runtime), so
    an agent refuses a file that does not reproduce them.
    """
    contract = run.facts["verification"].report.get("input_contract") or {}
    session = run.container.runtime().load(str(path))
    try:
        first = session.inputs[0]
        shape = tuple(contract.get("shape") or first.shape)
        inputs = (TensorSpec(first.name, tuple(None if d is None else int(d) for d in shape),
                             str(contract.get("dtype") or first.dtype)),)
        outputs = tuple(session.outputs)
        golden_in = {first.name: frames[:2]}
        golden_out = {k: np.asarray(v) for k, v in session.run(golden_in).items()}
    finally:
        session.close()
    write_package = run.container.package_writer()
    package: str = write_package(repository, model, path, inputs, outputs,
                                 [(golden_in, golden_out)], tolerance=1e-3, digest=digest)
    return package


def _bodies(frames: np.ndarray, name: str, count: int = 8) -> list[bytes]:
    rng = np.random.default_rng(2027)
    return [msgspec.json.encode({"inputs": {name: frames[rng.choice(
        len(frames), size=BATCH_ROWS, replace=True)].tolist()}}) for _ in range(count)]


def _register_degraded(run: DemoRun, degraded_path: Path) -> str:
    """Register the degraded version and give it the same trace and verification as 1.0.0.

    It is registered with 1.0.0's FP32 reference, calibration data and export report, linked
    to the same leaf requirements, and verified against the reference on the deployed runtime
    like 1.0.0: its class ranking is unchanged, so the offline verification passes and the
    release gate lets it through. Only field health can catch the regression.
    """
    container, store = run.container, run.container.trace_store()
    source = store.get_item(MODEL.item_id)
    attributes = tuple((k, v) for k, v in (source.attributes if isinstance(source, Artifact)
                                           else ()) if k != VERIFICATION_REPORT)
    version = container.register_model()(DEGRADED, degraded_path.read_bytes(), CI,
                                         degraded_path.name, attributes)
    link = container.link_items()
    parents = {li.source for li in store.links() if li.relation in DECOMPOSING}
    for req in store.items(ItemKind.REQUIREMENT):
        if not isinstance(req, Requirement) or req.id in parents \
                or not req.asil.is_safety_relevant:
            continue
        if req.level.value != "dataset":  # data-set links name the data, not the model
            link(req.id, Relation.IMPLEMENTED_BY, DEGRADED.item_id, actor=run.people.pipeline)
    container.verify_registered()(DEGRADED, CI)
    return version.digest


def _drive(engine: RolloutEngine, clock: VirtualClock, traffic: Traffic, fleet: AgentFleet,
           record: RolloutRun, tick: TickRollout, approve: ApproveStage,
           approvers: tuple[Principal, ...]) -> TickResult:
    """Tick until the roll-out is final: traffic, virtual bake time, recorded approvals.

    Each release manager in ``approvers`` approves in turn until the stage proceeds: at
    ASIL C/D two distinct ones must, below that one does.
    """
    devices = [d.device_id for d in fleet.devices()]

    def mark() -> None:
        running = fleet.running(devices)
        record.minutes.append(clock.minutes())
        record.shares.append(sum(1 for m in running.values() if m == record.model)
                             / len(devices))

    mark()
    result = tick(record.rollout_id)
    clock.fresh_window()
    for _ in range(MAX_TICKS):
        record.ticks += 1
        mark()
        phase = result.view.phase
        if phase.is_final:
            break
        if phase is RolloutPhase.AWAITING_APPROVAL:
            for approver in approvers:
                view = approve(record.rollout_id, approver,
                               f"stage {result.view.current_stage} reviewed: health within "
                               f"thresholds (recorded by the demo acting as {approver.name})")
                if view.phase is not RolloutPhase.AWAITING_APPROVAL:
                    break
            record.approvals += 1
            mark()
            clock.fresh_window()
        rollout = engine.journal.get(record.rollout_id)
        canary, baseline = rollout.cohorts()
        traffic.send([canary, baseline])
        clock.advance(rollout.spec.bake_seconds)
        result = tick(record.rollout_id)
    record.phase, record.reason = result.view.phase, result.view.reason
    mark()
    return result


def _decision_rows(engine: RolloutEngine, record: RolloutRun) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for entry in engine.journal.decisions(record.rollout_id):
        details = entry.details
        health = details.get("health") or {}
        metrics = {m["metric"]: m for m in health.get("metrics", [])}
        stats = "—"
        sizes = "—"
        if metrics:
            proxy, p99 = metrics.get("safety_proxy_rate"), metrics.get("latency_p99")
            parts = []
            if proxy is not None:
                parts.append(f"safety proxy {_pct(proxy['canary'])} vs {_pct(proxy['baseline'])}"
                             f" (p={proxy['p_value']:.1e})")
            if p99 is not None and p99.get("canary") is not None:
                parts.append(f"p99 {p99['canary']:.2f} vs {p99['baseline'] or 0:.2f} ms")
            failed = [m for m, r in metrics.items() if r["failed"]]
            if failed:
                parts.append("failed: " + ", ".join(failed))
            stats = "; ".join(parts)
            canary, base = health.get("canary", {}), health.get("baseline", {})
            sizes = (f"canary {canary.get('inferences', 0):,} on {canary.get('devices', 0)} "
                     f"device(s); baseline {base.get('inferences', 0):,} "
                     f"({details.get('baseline_source', '—')})")
        rows.append((str(record.model), str(details.get("stage", "—")), entry.action,
                     f"{entry.outcome} by {entry.actor}", stats, sizes))
    return rows


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def step_rollout(run: DemoRun) -> None:
    """Roll 1.0.0 out to ten local edge agents, then roll a degraded 1.0.1 out and back."""
    run.step("8. Roll out: staged canary on local edge agents, automatic rollback")
    gate = run.facts.get("gate")
    if gate is None or not gate.passed:
        run.add(ReportSection("Roll-out", "blocked",
                              "Not started: the release gate has not passed for "
                              f"{MODEL}."))
        run.facts["rollout"] = {"good": "not_started", "degraded": "not_started"}
        return
    began = time.perf_counter()
    container, release = run.container, run.facts["release"]
    with np.load(Path(run.facts["example"].data)) as data:
        frames = np.asarray(data["heldout_inputs"], dtype=np.float32)
    base = run.output / "edge"
    repository = base / "repository"
    model_path = Path(release.result.model_path)
    brightness = frames.reshape(len(frames), -1).mean(axis=1)
    threshold = float(np.quantile(brightness, 0.7))
    degraded_path = container.degraded_model_builder()(
        model_path, base / "build" / "degraded.onnx", brightness_threshold=threshold)
    baseline_digest = _package(run, repository, BASELINE, Path(release.result.reference_path),
                               frames)
    good_digest = _package(run, repository, MODEL, model_path, frames,
                           digest=release.model.digest)
    degraded_digest = _register_degraded(run, degraded_path)
    _package(run, repository, DEGRADED, degraded_path, frames, digest=degraded_digest)

    clock = VirtualClock()
    store = container.trace_store()
    plan = RolloutPlan.for_asil(release_asil(container.evaluate_gate(), store, MODEL))
    fleet: AgentFleet = container.local_agent_fleet(
        base / "agents", repository, list(DEVICES),
        labels={d: {"hardware": "ecu-gen2" if i % 2 else "ecu-gen1"}
                for i, d in enumerate(DEVICES)},
        env={"EDGEDEPLOY_AGENT_CONFIDENCE_FLOOR": str(CONFIDENCE_FLOOR)})
    traffic: Traffic | None = None
    good = RolloutRun("rollout-1.0.0", MODEL)
    bad = RolloutRun("rollout-1.0.1-degraded", DEGRADED)
    try:
        pinned = fleet.apply([DesiredState(d, BASELINE, baseline_digest, 1) for d in DEVICES])
        if pinned.unreachable:
            raise BackendUnavailable(f"agents {', '.join(pinned.unreachable)} did not install "
                                     f"{BASELINE}; see their agent.log under {base / 'agents'}")
        traffic = Traffic(fleet, _bodies(frames, _input_name(run, model_path) or "input"))
        target = RealWindowFleet(fleet, clock)
        engine = container.rollout_fleets().engine(target, clock)
        start = StartRollout(engine, container.release_readiness())
        tick = TickRollout(engine, run.facts["deployment"].rollout)
        approve = ApproveStage(engine)
        people = run.people
        start(StartRolloutCommand(FLEET, MODEL, good_digest, plan, people.release_lead,
                                  BASELINE, baseline_digest, rollout_id=good.rollout_id))
        _drive(engine, clock, traffic, fleet, good, tick, approve, people.approvers)
        start(StartRolloutCommand(FLEET, DEGRADED, degraded_digest, plan, people.release_lead,
                                  rollout_id=bad.rollout_id))
        _drive(engine, clock, traffic, fleet, bad, tick, approve, people.approvers)
        time.sleep(0.2)
        running = fleet.running(list(DEVICES))
        left_on_degraded = sum(1 for m in running.values() if m == DEGRADED)
        rows = _decision_rows(engine, good) + _decision_rows(engine, bad)
    finally:
        if traffic is not None:
            traffic.close()
        fleet.close()
    wall = time.perf_counter() - began
    run.facts["rollout"] = {"good": good.phase, "degraded": bad.phase,
                            "left_on_degraded": left_on_degraded, "wall_s": wall,
                            "rows_by_model": dict(traffic.rows_by_model),
                            "failed_requests": traffic.failures,
                            "approvals": good.approvals + bad.approvals}
    ok = (good.phase is RolloutPhase.COMPLETED and bad.phase is RolloutPhase.ROLLED_BACK
          and left_on_degraded == 0
          and traffic.failures == 0)
    stage = plan.stages[0]
    served = ", ".join(f"{m}: {n:,}" for m, n in sorted(traffic.rows_by_model.items()))
    run.add(ReportSection(
        "Roll-out", "passed" if ok else "failed",
        f"{MODEL} went {' → '.join(s.name for s in plan.stages)} on {len(DEVICES)} local edge "
        f"agents with the ASIL {plan.asil} plan (per stage: {stage.min_inferences:,} "
        f"inferences on both cohorts, canary cohorts of at least {stage.min_devices} "
        f"devices, {stage.bake_seconds / 60:.0f} min bake, a recorded approval) and ended "
        f"'{good.phase}'{'' if good.phase == 'completed' else f' ({good.reason})'}; "
        f"{DEGRADED} ended '{bad.phase}' ({bad.reason}) with "
        f"{left_on_degraded} device(s) left on it. Bake times are real-time floors: the "
        f"controller ran on a virtual clock that the demo advanced by each stage's bake "
        f"time per tick, while the traffic "
        f"({traffic.requests:,} batched requests of {BATCH_ROWS} held-out frames; one row "
        f"counts as one inference, latency is per request), the agents' health windows and "
        f"the statistics were real. '{RELEASE_LEAD}' started both roll-outs; the "
        f"{good.approvals + bad.approvals} stage approvals were each given by "
        f"{' and '.join(repr(n) for n in RELEASE_MANAGERS)}, recorded by the demo acting as "
        f"each. Rows served per version: "
        f"{served}; failed requests: {traffic.failures}. {DEGRADED} keeps 1.0.0's class "
        f"ranking (it passed verification and the gate) but flattens confidence on the "
        f"brightest 30% of frames. "
        f"Wall time {wall:.1f} s.",
        tables=(ReportTable("Decisions", ("Version", "Stage", "Decision", "Outcome",
                                          "Statistics", "Sample sizes"), tuple(rows)),),
        charts=(Chart("Roll-out timeline", "virtual time (minutes)",
                      "share of the fleet on the new version",
                      (Series(str(MODEL), tuple(good.minutes), tuple(good.shares),
                              style="steps"),
                       Series(str(DEGRADED), tuple(bad.minutes), tuple(bad.shares),
                              style="steps", highlight=True))),)))


def _input_name(run: DemoRun, path: Path) -> str | None:
    session = run.container.runtime().load(str(path))
    try:
        return session.inputs[0].name if session.inputs else None
    finally:
        session.close()

