"""Fakes of the roll-out ports: journal, release readiness, a small scripted fleet.

The clock they run on is :class:`tests.fakes.clock.ManualClock`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from edgedeploy.application.ports.rollout import ApplyResult, Readiness
from edgedeploy.domain.audit import AuditEntry
from edgedeploy.domain.errors import Conflict, NotFound
from edgedeploy.domain.health import LATENCY_BUCKETS, HealthWindow, latency_bucket
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DesiredState, DeviceInfo, Rollout
from tests.fakes.clock import ManualClock

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
DIGEST_C = "sha256:" + "c" * 64


class InMemoryRolloutJournal:
    """The journal in dictionaries; ``record`` compares the epoch like the SQL one."""

    def __init__(self) -> None:
        self.rollouts: dict[str, Rollout] = {}
        self.order: list[str] = []
        self.entries: dict[str, list[AuditEntry]] = {}
        self.writes = 0

    def create(self, rollout: Rollout, entry: AuditEntry) -> None:
        if rollout.rollout_id in self.rollouts:
            raise Conflict(f"roll-out {rollout.rollout_id} exists")
        self.rollouts[rollout.rollout_id] = rollout
        self.order.append(rollout.rollout_id)
        self.entries[rollout.rollout_id] = [entry]
        self.writes += 1

    def record(self, rollout: Rollout, entry: AuditEntry, expected_epoch: int) -> None:
        if self.rollouts[rollout.rollout_id].epoch != expected_epoch:
            raise Conflict("epoch moved on")
        self.rollouts[rollout.rollout_id] = rollout
        self.entries[rollout.rollout_id].append(entry)
        self.writes += 1

    def get(self, rollout_id: str) -> Rollout:
        try:
            return self.rollouts[rollout_id]
        except KeyError:
            raise NotFound(f"no roll-out {rollout_id}") from None

    def active(self, fleet: str) -> Rollout | None:
        for rid in reversed(self.order):
            r = self.rollouts[rid]
            if r.fleet == fleet and not r.phase.is_final:
                return r
        return None

    def latest(self, fleet: str) -> Rollout | None:
        for rid in reversed(self.order):
            if self.rollouts[rid].fleet == fleet:
                return self.rollouts[rid]
        return None

    def max_epoch(self, fleet: str) -> int:
        return max((r.epoch for r in self.rollouts.values() if r.fleet == fleet), default=0)

    def decisions(self, rollout_id: str) -> list[AuditEntry]:
        return list(self.entries.get(rollout_id, []))

    def list_ids(self, fleet: str | None = None) -> list[str]:
        return [rid for rid in self.order if fleet is None or self.rollouts[rid].fleet == fleet]


@dataclass
class ScriptedReadiness:
    """Answers readiness from a set of ready versions; others get ``reasons``."""

    ready: set[ModelRef] = field(default_factory=set)
    reasons: tuple[str, ...] = ("trace gate: requirement SR-7 has no passing verification",)

    def check(self, model: ModelRef) -> Readiness:
        if model in self.ready:
            return Readiness(True, ("trace gate passed", "verification report passed"))
        return Readiness(False, self.reasons)


@dataclass(frozen=True)
class ScriptedHealth:
    """Per-device, per-window health of one model version (deterministic)."""

    inferences: int = 500
    errors: int = 0
    timeouts: int = 0
    fallbacks: int = 0
    low_confidence: int = 0
    latency_ms: float = 5.0

    def window(self) -> HealthWindow:
        hist = [0] * LATENCY_BUCKETS
        # Spread latency over three neighbouring buckets so the distribution has ties.
        b = latency_bucket(self.latency_ms)
        hist[b - 1] += self.inferences // 4
        hist[b] += self.inferences - 2 * (self.inferences // 4)
        hist[b + 1] += self.inferences // 4
        return HealthWindow(self.inferences, self.errors, self.timeouts, self.fallbacks,
                            self.low_confidence, tuple(hist), 1)


class InMemoryFleet:
    """A small fleet: each device reports ``ScriptedHealth`` of its model per elapsed window.

    With ``state_file`` the device state (epochs, models, accepted commands, off-line set)
    lives in a JSON file written atomically, so it outlives a controller process.
    """

    def __init__(self, size: int, baseline: ModelRef, health: Mapping[ModelRef, ScriptedHealth],
                 *, state_file: Path | None = None, labels: Sequence[str] = ("ecu-a", "ecu-b"),
                 window_s: float = 60.0) -> None:
        self.ids = [f"dev-{i:03d}" for i in range(size)]
        self.labels = {d: {"hardware": labels[i % len(labels)]} for i, d in enumerate(self.ids)}
        self.health_of = dict(health)
        self.window_s = window_s
        self.state_file = state_file
        self.models: dict[str, str] = {d: str(baseline) for d in self.ids}
        self.epochs: dict[str, int] = dict.fromkeys(self.ids, 0)
        self.accepted: list[tuple[str, int, str]] = []
        self.offline: set[str] = set()
        if state_file is not None and state_file.exists():
            self._load()

    def devices(self) -> list[DeviceInfo]:
        return [DeviceInfo(d, self.labels[d]) for d in self.ids]

    def apply(self, states: Sequence[DesiredState]) -> ApplyResult:
        if self.state_file is not None:
            self._load()
        acked, missed = [], []
        for s in states:
            if s.device_id in self.offline:
                missed.append(s.device_id)
                continue
            if s.epoch > self.epochs[s.device_id]:
                self.epochs[s.device_id] = s.epoch
                self.models[s.device_id] = str(s.model)
                self.accepted.append((s.device_id, s.epoch, str(s.model)))
            acked.append(s.device_id)
        self._save()
        return ApplyResult(tuple(acked), tuple(missed))

    def health(self, device_ids: Sequence[str], model: ModelRef,
               since: datetime) -> HealthWindow:
        total = HealthWindow()
        scripted = self.health_of.get(model)
        if scripted is None:
            return total
        for d in device_ids:
            if self.models[d] == str(model):  # windows reported before going off line
                total = total + scripted.window()
        return total

    def running(self, device_ids: Sequence[str]) -> dict[str, ModelRef | None]:
        return {d: None if d in self.offline else ModelRef.parse(self.models[d])
                for d in device_ids}

    def set_offline(self, device_ids: Sequence[str], offline: bool = True) -> None:
        if offline:
            self.offline |= set(device_ids)
        else:
            self.offline -= set(device_ids)
        self._save()

    def _save(self) -> None:
        if self.state_file is None:
            return
        data = {"models": self.models, "epochs": self.epochs,
                "accepted": self.accepted, "offline": sorted(self.offline)}
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(self.state_file)

    def _load(self) -> None:
        assert self.state_file is not None
        if not self.state_file.exists():
            return
        data = json.loads(self.state_file.read_text())
        self.models, self.epochs = data["models"], data["epochs"]
        self.accepted = [tuple(a) for a in data["accepted"]]  # type: ignore[misc]
        self.offline = set(data["offline"])


class InMemoryFleetDriver:
    """A :class:`FleetDriver` over an :class:`InMemoryFleet` that keeps its own clock.

    ``pace``/``elapse`` move the clock by one health window (the fleet's ``window_s``), as a
    simulated fleet does; ``closed`` records that whoever opened it released it.
    """

    def __init__(self, name: str, target: InMemoryFleet, clock: ManualClock | None = None
                 ) -> None:
        self.name, self.target = name, target
        self.clock = clock or ManualClock()
        self.paced: list[float] = []
        self.closed = False

    def pace(self, seconds: float) -> None:
        self.paced.append(seconds)
        self.clock.advance(self.target.window_s)

    def elapse(self, seconds: float) -> None:
        self.clock.advance(self.target.window_s)

    def close(self) -> None:
        self.closed = True
