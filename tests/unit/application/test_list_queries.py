"""The read-only list queries the CLI and the HTTP API share: requirements, verdicts, roll-outs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.monitoring import ListVerdicts
from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.application.rollout import (
    AbortRollout,
    ListRollouts,
    RolloutEngine,
    StartRollout,
    StartRolloutCommand,
)
from edgedeploy.application.traceability import ListRequirements
from edgedeploy.domain.drift import DetectorScore, DriftSeverity, DriftVerdict
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import ArtifactKind, RequirementLevel
from edgedeploy.domain.rollout import RolloutPhase, RolloutPlan
from edgedeploy.domain.safety import ASIL
from tests.builders import STARTER, T0, art, req
from tests.fakes.clock import ManualClock
from tests.fakes.drift import InMemoryDriftRepository
from tests.fakes.persistence import InMemoryDatabase
from tests.fakes.rollout import (
    DIGEST_A,
    DIGEST_B,
    InMemoryFleet,
    InMemoryRolloutJournal,
    ScriptedHealth,
    ScriptedReadiness,
)
from tests.fakes.trace_store import InMemoryTraceStore


def test_requirements_are_listed_in_import_order_without_artifacts():
    store = InMemoryTraceStore()
    store.apply(TraceChange(items=(
        req("SYS-2", position=1), req("SYS-1", position=0),
        req("ML-1", asil=ASIL.B, level=RequirementLevel.ML, position=2),
        art("TEST-1", ArtifactKind.TEST))))
    listed = ListRequirements(store)()
    assert [r.id for r in listed] == ["SYS-1", "SYS-2", "ML-1"]


def test_requirements_can_be_narrowed_to_a_level_and_an_asil():
    store = InMemoryTraceStore()
    store.apply(TraceChange(items=(
        req("SYS-1"), req("ML-1", asil=ASIL.B, level=RequirementLevel.ML),
        req("ML-2", asil=ASIL.C, level=RequirementLevel.ML))))
    use_case = ListRequirements(store)
    assert [r.id for r in use_case(level=RequirementLevel.ML)] == ["ML-1", "ML-2"]
    assert [r.id for r in use_case(level=RequirementLevel.ML, asil=ASIL.C)] == ["ML-2"]
    assert use_case(asil=ASIL.D) == ()


def _verdict(deployment: str, index: int, severity: DriftSeverity) -> DriftVerdict:
    drifting = severity is not DriftSeverity.NORMAL
    return DriftVerdict(f"{deployment}-{index}", deployment, index,
                        T0 + timedelta(minutes=index), severity,
                        (DetectorScore("mmd", 2.0 if drifting else 0.5, 1.0, drifting),),
                        1.0 if drifting else 0.0, drifting, 1 if drifting else 0)


@pytest.fixture(name="verdicts")
def fx_verdicts() -> ListVerdicts:
    repository = InMemoryDriftRepository()
    for index, severity in enumerate([DriftSeverity.NORMAL, DriftSeverity.WATCH,
                                      DriftSeverity.WARNING, DriftSeverity.CRITICAL]):
        repository.add_verdict(_verdict("aeb@1", index, severity))
    repository.add_verdict(_verdict("lka@2", 10, DriftSeverity.NORMAL))
    return ListVerdicts(InMemoryDatabase(drift=repository).unit_of_work)


def test_verdicts_at_or_above_a_severity_are_listed_oldest_first(verdicts):
    found = verdicts(at_least=DriftSeverity.WARNING)
    assert [v.id for v in found] == ["aeb@1-2", "aeb@1-3"]


def test_verdicts_can_be_narrowed_to_a_deployment_and_bounded_to_the_newest(verdicts):
    assert [v.id for v in verdicts(deployment="lka@2")] == ["lka@2-10"]
    assert [v.id for v in verdicts(limit=2)] == ["aeb@1-3", "lka@2-10"]
    assert [v.id for v in verdicts(since=T0 + timedelta(minutes=3),
                                   until=T0 + timedelta(minutes=5))] == ["aeb@1-3"]


@pytest.mark.parametrize("kwargs", [{"limit": 0},
                                    {"since": T0 + timedelta(hours=1), "until": T0}])
def test_a_meaningless_verdict_query_is_refused(verdicts, kwargs):
    with pytest.raises(InvalidInput):
        verdicts(**kwargs)


def test_rollouts_are_listed_per_fleet_and_phase():
    old, new = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1")
    healthy = ScriptedHealth(inferences=20_000)
    journal = InMemoryRolloutJournal()
    started = []
    for fleet in ("fleet-1", "fleet-2"):
        engine = RolloutEngine(InMemoryDatabase(rollouts=journal).unit_of_work,
                               InMemoryFleet(10, old, {old: healthy, new: healthy}),
                               ManualClock())
        start = StartRollout(engine, ScriptedReadiness({new}))
        started.append(start(StartRolloutCommand(fleet, new, DIGEST_B,
                                                 RolloutPlan.for_asil(ASIL.QM), STARTER, old,
                                                 DIGEST_A)))
    AbortRollout(engine)(started[1].rollout_id, STARTER, "wrong fleet")
    listing = ListRollouts(engine)
    assert [v.rollout_id for v in listing()] == [v.rollout_id for v in started]
    assert [v.fleet for v in listing(fleet="fleet-2")] == ["fleet-2"]
    aborted = listing(phase=RolloutPhase.ABORTED)
    assert [v.rollout_id for v in aborted] == [started[1].rollout_id]
    assert aborted[0].decisions == 2
