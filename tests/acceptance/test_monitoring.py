"""Steps for features/monitoring: escalation, attribution, feedback and bad windows."""

from __future__ import annotations

import numpy as np
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from edgedeploy.adapters.drift import NumpyWindowInspector, builtin_detectors
from edgedeploy.application.errors import ApplicationError
from edgedeploy.application.monitoring import (
    CheckWindow,
    DetectorPool,
    FitReference,
    RecordFeedback,
)
from edgedeploy.domain.drift import (
    DetectorCapability,
    DriftSeverity,
    DriftVerdict,
    Feedback,
    FeedbackRecord,
)
from edgedeploy.domain.drift_policy import SeverityPolicy, WeightPolicy
from edgedeploy.domain.errors import DomainError
from tests.fakes.clock import ManualClock
from tests.fakes.drift import InMemoryDriftRepository
from tests.fakes.persistence import InMemoryDatabase

scenarios("monitoring/escalation.feature")
scenarios("monitoring/attribution.feature")
scenarios("monitoring/feedback.feature")
scenarios("monitoring/bad_windows.feature")
scenarios("monitoring/real_fleet_data.feature")

SIGNALS = ["speed", "yaw_rate", "range", "road_type"]
ROAD_MIX = [0.4, 0.3, 0.2, 0.1]       # highway, rural, urban, parking
URBAN_MIX = [0.25, 0.25, 0.4, 0.1]
WINDOW = 400


class MonitoringWorld:
    """The monitor under audit and what the scenario has seen so far."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(8800)
        self.repository = InMemoryDriftRepository()
        self.uow = InMemoryDatabase(drift=self.repository).unit_of_work
        self.clock = ManualClock.stepping()
        self.inspector = NumpyWindowInspector()
        self.pool = DetectorPool(builtin_detectors)
        self.fit = FitReference(self.uow, self.inspector, self.pool, self.clock)
        self.check = CheckWindow(self.uow, self.inspector, self.pool, self.clock)
        self.feedback = RecordFeedback(self.uow, self.clock)
        self.deployment = ""
        self.verdicts: list[DriftVerdict] = []
        self.records: list[FeedbackRecord] = []
        self.error: DomainError | ApplicationError | None = None
        self.snapshot: object = None

    def field_data(self, n: int = WINDOW) -> np.ndarray:
        x = self.rng.normal(size=(n, 4))
        x[:, 3] = self.rng.choice(4, size=n, p=ROAD_MIX)
        return x

    def judge(self, window: np.ndarray) -> DriftVerdict:
        verdict = self.check(self.deployment, window)
        self.verdicts.append(verdict)
        return verdict

    def last_alarm(self) -> DriftVerdict:
        return next(v for v in reversed(self.verdicts) if v.fired)


@pytest.fixture(name="world")
def fx_world() -> MonitoringWorld:
    return MonitoringWorld()


# ------------------------------------------------------------------ given
@given(parsers.parse('the deployment "{deployment}" is monitored against its reference '
                     'field data'))
def monitored(world: MonitoringWorld, deployment: str) -> None:
    world.deployment = deployment
    world.fit(deployment, world.field_data(800), SIGNALS, categorical={"road_type"})


@given(parsers.parse("escalation past watch needs {count:d} drifting windows in a row"))
def persistence_needed(world: MonitoringWorld, count: int) -> None:
    world.check = CheckWindow(world.uow, world.inspector, world.pool, world.clock,
                              severity_policy=SeverityPolicy(persistence=count,
                                                             critical_persistence=2 * count))


# ------------------------------------------------------------------ windows
@given(parsers.re(r"(?P<count>\d+) windows? of field data like the reference (is|are) checked"))
@when(parsers.re(r"(?P<count>\d+) windows? of field data like the reference (is|are) checked"))
def clean_windows(world: MonitoringWorld, count: str) -> None:
    for _ in range(int(count)):
        world.judge(world.field_data())


@given(parsers.re(r'(?P<count>\d+) windows? of field data with the "(?P<signal>[^"]+)" '
                  r"signal shifted (is|are) checked"))
@when(parsers.re(r'(?P<count>\d+) windows? of field data with the "(?P<signal>[^"]+)" '
                 r"signal shifted (is|are) checked"))
def shifted_windows(world: MonitoringWorld, count: str, signal: str) -> None:
    for _ in range(int(count)):
        window = world.field_data()
        window[:, SIGNALS.index(signal)] += 0.8
        world.judge(window)


@when(parsers.re(r'(?P<count>\d+) windows? of field data with the "(?P<signal>[^"]+)" '
                 r"signal spread out (is|are) checked"))
def spread_windows(world: MonitoringWorld, count: str, signal: str) -> None:
    for _ in range(int(count)):
        window = world.field_data()
        window[:, SIGNALS.index(signal)] *= 1.6
        world.judge(window)


@when(parsers.re(r"(?P<count>\d+) windows? of field data with more urban road type samples "
                 r"(is|are) checked"))
def urban_windows(world: MonitoringWorld, count: str) -> None:
    for _ in range(int(count)):
        window = world.field_data()
        window[:, 3] = world.rng.choice(4, size=WINDOW, p=URBAN_MIX)
        world.judge(window)


BAD_WINDOWS = {
    "with 3 signals instead of 4": lambda w: w.field_data()[:, :3],
    "with only 10 samples": lambda w: w.field_data(10),
    "with an infinite value in the speed signal": lambda w: _poke(w.field_data(), 0, np.inf, 1),
    "with a few missing values in range": lambda w: _poke(w.field_data(), 2, np.nan, 5),
}


def _poke(window: np.ndarray, column: int, value: float, count: int) -> np.ndarray:
    window[:count, column] = value
    return window


@when(parsers.parse("a window {problem} is checked"))
def bad_window(world: MonitoringWorld, problem: str) -> None:
    world.snapshot = world.repository.snapshot()
    if problem == "with half of its values missing":
        window = world.field_data()
        window[:, :2] = np.nan
        world.judge(window)
        return
    try:
        world.judge(BAD_WINDOWS[problem](world))
    except (DomainError, ApplicationError) as exc:
        world.error = exc


# ------------------------------------------------------------------ feedback
@given("a reviewer confirms the drift")
@when("a reviewer confirms the drift")
def confirm(world: MonitoringWorld) -> None:
    world.records.append(world.feedback(world.last_alarm().id, Feedback.CONFIRMED, "reviewer"))


@when("a reviewer marks the alarm as false")
def false_alarm(world: MonitoringWorld) -> None:
    try:
        world.records.append(world.feedback(world.last_alarm().id, Feedback.FALSE_ALARM,
                                            "reviewer"))
    except DomainError as exc:
        world.error = exc


@when(parsers.parse("a reviewer marks {count:d} alarms from the same tests as false"))
def many_false_alarms(world: MonitoringWorld, count: int) -> None:
    for _ in range(count):
        window = world.field_data()
        window[:, 0] += 0.8
        verdict = world.judge(window)
        if verdict.fired:
            world.records.append(world.feedback(verdict.id, Feedback.FALSE_ALARM, "reviewer"))


# ------------------------------------------------------------------ then
@then(parsers.parse('every verdict has severity "{severity}"'))
def every_severity(world: MonitoringWorld, severity: str) -> None:
    assert [v.severity for v in world.verdicts] == [DriftSeverity(severity)] * len(
        world.verdicts)


@then(parsers.parse('the severities in order are "{severities}"'))
def severities_in_order(world: MonitoringWorld, severities: str) -> None:
    expected = [DriftSeverity(s.strip()) for s in severities.split(",")]
    assert [v.severity for v in world.verdicts] == expected


@then("each verdict states how many drifting windows in a row it has seen")
def persistence_stated(world: MonitoringWorld) -> None:
    assert [v.persistence for v in world.verdicts] == list(range(1, len(world.verdicts) + 1))


@then(parsers.parse('no verdict is above "{severity}"'))
def none_above(world: MonitoringWorld, severity: str) -> None:
    assert max(v.severity for v in world.verdicts) <= DriftSeverity(severity)


@then(parsers.parse("the last verdict has seen {count:d} drifting windows in a row"))
def last_persistence(world: MonitoringWorld, count: int) -> None:
    assert world.verdicts[-1].persistence == count


@then(parsers.parse('the verdict names "{signal}" as the most moved signal'))
def most_moved(world: MonitoringWorld, signal: str) -> None:
    assert world.verdicts[-1].top_features(1) == (signal,)


@then("the verdict lists every monitored signal with its score")
def every_signal(world: MonitoringWorld) -> None:
    attributions = world.verdicts[-1].attributions
    assert sorted(a.feature for a in attributions) == sorted(SIGNALS)
    assert all(a.score >= 0 for a in attributions)


@then("the verdict records a score, a firing threshold and a weight for each test")
def scores_recorded(world: MonitoringWorld) -> None:
    scores = world.verdicts[-1].scores
    assert {s.name for s in scores} == {"mmd", "univariate", "psi"}
    assert all(s.threshold > 0 and s.weight > 0 for s in scores)


def _before_after(world: MonitoringWorld) -> tuple[dict[str, float], dict[str, float]]:
    record = world.records[-1]
    return dict(record.weights_before), dict(record.weights_after)


@then("every test that raised the alarm counts more than before")
def counts_more(world: MonitoringWorld) -> None:
    before, after = _before_after(world)
    assert all(after[name] > before[name] for name in world.last_alarm().fired)


@then("every test that raised the alarm counts less than before")
def counts_less(world: MonitoringWorld) -> None:
    before, after = _before_after(world)
    assert all(after[name] < before[name] for name in world.last_alarm().fired)


@then("the tests that stayed silent count as before")
def silent_unchanged(world: MonitoringWorld) -> None:
    before, after = _before_after(world)
    fired = set(world.last_alarm().fired)
    assert all(after[name] == before[name] for name in before if name not in fired)


@then("the finding is kept with the weights before and after")
def finding_kept(world: MonitoringWorld) -> None:
    record = world.records[-1]
    assert world.repository.feedback(record.verdict_id) == record
    assert record.weights_before != record.weights_after


@then("the next verdict uses the weakened weights")
def next_uses_weights(world: MonitoringWorld) -> None:
    _, after = _before_after(world)
    verdict = world.judge(world.field_data())
    assert {s.name: s.weight for s in verdict.scores} == pytest.approx(after)


@then("the finding is refused as a duplicate")
def refused_duplicate(world: MonitoringWorld) -> None:
    assert world.error is not None and world.error.code == "DRIFT_FEEDBACK_DUPLICATE"


@then("the weights are as after the first finding")
def weights_unchanged(world: MonitoringWorld) -> None:
    stored = world.repository.weights(world.deployment)
    assert sorted(stored.values.items()) == list(world.records[0].weights_after)


@then("every test still counts at least its floor weight")
def floor_kept(world: MonitoringWorld) -> None:
    weights = world.repository.weights(world.deployment)
    assert len(world.records) >= 10
    assert all(w >= WeightPolicy().min_weight for w in weights.values.values())


@then(parsers.parse('the window is refused with a message naming "{reason}"'))
def refused(world: MonitoringWorld, reason: str) -> None:
    assert world.error is not None and world.error.code.startswith("DRIFT_WINDOW")
    assert reason in world.error.message


@then("nothing stored has changed")
def nothing_changed(world: MonitoringWorld) -> None:
    assert world.repository.snapshot() == world.snapshot


@then("the verdict is a data-quality alarm")
def data_quality_alarm(world: MonitoringWorld) -> None:
    assert world.verdicts[-1].is_data_quality_alarm


@then("the verdict does not count as a drifting window")
def not_drifting(world: MonitoringWorld) -> None:
    verdict = world.verdicts[-1]
    assert not verdict.drifting and verdict.scores == ()


# ------------------------------------------------------------------ data real fleets send
COUNT_SIGNALS = ["wheel_ticks", "radar_targets", "lane_changes", "brake_events"]
CLASSES = ["car", "truck", "cyclist", "pedestrian", "sign"]
CLASS_MIX = np.array([0.3, 0.25, 0.1, 0.2, 0.15])


def count_data(world: MonitoringWorld, n: int = WINDOW) -> np.ndarray:
    rates = np.array([40.0, 4.0, 0.3, 1.5])
    return world.rng.poisson(rates, size=(n, 4)).astype(float)


def softmax_outputs(world: MonitoringWorld, mix: np.ndarray, n: int = WINDOW) -> np.ndarray:
    y = world.rng.choice(len(mix), size=n, p=mix)
    logits = 3.0 * np.eye(len(mix))[y] + world.rng.normal(size=(n, len(mix)))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@given(parsers.parse('the deployment "{deployment}" is monitored against count data'))
def monitored_counts(world: MonitoringWorld, deployment: str) -> None:
    world.deployment = deployment
    world.fit(deployment, count_data(world, 1000), COUNT_SIGNALS)


@given(parsers.parse('the deployment "{deployment}" is monitored against its softmax outputs'))
def monitored_outputs(world: MonitoringWorld, deployment: str) -> None:
    world.deployment = deployment
    world.fit(deployment, softmax_outputs(world, CLASS_MIX, 1000), CLASSES,
              capability=DetectorCapability.PREDICTIONS)


@when(parsers.parse("{count:d} windows of count data like the reference are checked"))
def clean_count_windows(world: MonitoringWorld, count: int) -> None:
    for _ in range(count):
        world.judge(count_data(world))


@when(parsers.parse('the "{signal}" sensor sticks at one value for a whole window'))
def stuck_window(world: MonitoringWorld, signal: str) -> None:
    window = count_data(world)
    window[:, COUNT_SIGNALS.index(signal)] = 37.0
    world.judge(window)


@when(parsers.parse('the share of the "{name}" class doubles in a window of outputs'))
def doubled_class(world: MonitoringWorld, name: str) -> None:
    index = CLASSES.index(name)
    mix = CLASS_MIX.copy()
    rest = [i for i in range(len(mix)) if i != index]
    mix[index] *= 2.0
    mix[rest] *= (1.0 - mix[index]) / mix[rest].sum()
    world.judge(softmax_outputs(world, mix))


@then(parsers.parse("at most {count:d} windows count as drifting"))
def few_drifting(world: MonitoringWorld, count: int) -> None:
    assert sum(v.drifting for v in world.verdicts) <= count


@then(parsers.parse('the verdict reports "{signal}" as "{flag}"'))
def reports_finding(world: MonitoringWorld, signal: str, flag: str) -> None:
    findings = world.verdicts[-1].findings
    assert [(f.feature, f.flag.value) for f in findings] == [(signal, flag)]


@then(parsers.parse('the finding carries its own severity "{severity}"'))
def finding_severity(world: MonitoringWorld, severity: str) -> None:
    assert world.verdicts[-1].findings[0].severity is DriftSeverity(severity)


@then("the window counts as drifting")
def counts_as_drifting(world: MonitoringWorld) -> None:
    assert world.verdicts[-1].drifting
