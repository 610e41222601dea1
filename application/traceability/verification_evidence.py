"""Link a verification report's checks to the requirements they verify (ISO 26262-8 cl. 9).

A deployment specification declares, as data, the limits the verification applies (including
the latency budget of the target), the canary judge's thresholds for the roll-out, and which
check of the verification report decides each test of each requirement, by which method.
:class:`LinkVerificationEvidence` then records one test result per declared test, whose verdict
is exactly the check's verdict: a check that passed in the verification cannot appear as a
failed test in the trace, nor the other way round.

Above the tests, every safety-relevant system requirement gets a requirements-based analysis of
its derived requirements' results, and (ASIL D) a design inspection recorded by its inspector:
ISO 26262 asks ASIL D for more than one verification method.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.system import Clock
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.application.traceability.artifacts import RecordArtifact
from edgedeploy.application.traceability.linking import LinkItems
from edgedeploy.domain.canary_judge import HealthPolicy
from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.identity import Principal
from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    ItemKind,
    Requirement,
    RequirementLevel,
)
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    Relation,
    Verdict,
    VerificationMethod,
)
from edgedeploy.domain.verification import InvalidVerificationThresholds, VerificationThresholds

_THRESHOLD_KEYS = ("min_accuracy", "max_accuracy_drop", "min_top1_agreement",
                   "max_abs_logit_diff", "min_class_recall", "noise_sigma",
                   "max_noise_drop_points", "min_heldout_class_share", "min_calibration_samples")
DEFAULT_LATENCY_RUNS = 200


@dataclass(frozen=True, slots=True)
class VerificationTest:
    """One declared test: the requirement it verifies, its method, and the deciding check."""

    test_id: str
    requirement: str
    title: str
    method: VerificationMethod
    check: str


@dataclass(frozen=True, slots=True)
class DeploymentSpecification:
    """What a deployment demands of its model and how each requirement is verified.

    Attributes:
        name: the deployment's name.
        thresholds: the verification's limits, latency budget included.
        latency_runs: timed iterations of each model per batch size.
        tests: the declared tests, in order.
        target: free-form facts about the target (ECU, runtime, device) for reports.
        rollout: the canary judge's thresholds during the roll-out (its SLOs).
    """

    name: str
    thresholds: VerificationThresholds
    latency_runs: int
    tests: tuple[VerificationTest, ...]
    target: Mapping[str, str] = field(default_factory=dict)
    rollout: HealthPolicy = field(default_factory=HealthPolicy)

    @classmethod
    def from_dict(cls, data: Any, source: str = "deployment specification",
                  ) -> DeploymentSpecification:
        """Read a specification from plain data (a parsed YAML or JSON document).

        Raises:
            InvalidInput: a section or field is missing, of the wrong type, or out of range;
                the message names the file and the field.
        """
        def fail(problem: str) -> InvalidInput:
            return InvalidInput(f"{source}: {problem}", code="DEPLOYMENT_SPEC_INVALID")

        if not isinstance(data, Mapping):
            raise fail("expected a mapping at the top level")
        name = data.get("deployment")
        if not isinstance(name, str) or not name.strip():
            raise fail("'deployment' must name the deployment")
        verification = data.get("verification") or {}
        latency = data.get("latency") or {}
        if not isinstance(verification, Mapping) or not isinstance(latency, Mapping):
            raise fail("'verification' and 'latency' must be mappings")
        unknown = sorted(set(verification) - set(_THRESHOLD_KEYS))
        if unknown:
            raise fail(f"unknown verification field(s): {', '.join(unknown)}")
        limits: dict[str, Any] = {}
        for key, value in verification.items():
            limits[key] = _number(value, f"verification.{key}", fail,
                                  whole=key == "min_calibration_samples")
        if latency:
            batch = _number(latency.get("batch", 1), "latency.batch", fail, whole=True)
            if batch != 1:
                raise fail("latency.batch: the budget is declared per frame (batch 1)")
            for key, threshold in (("budget_ms", "latency_budget_ms"),
                                   ("max_ratio_to_reference", "max_latency_ratio"),
                                   ("confidence", "latency_confidence")):
                if key in latency:
                    limits[threshold] = _number(latency[key], f"latency.{key}", fail)
        runs = _number(latency.get("runs", DEFAULT_LATENCY_RUNS), "latency.runs", fail,
                       whole=True)
        if runs < 20:
            raise fail("latency.runs must be at least 20 for a confidence bound")
        try:
            thresholds = VerificationThresholds(**limits)
        except InvalidVerificationThresholds as exc:
            raise fail(str(exc)) from exc
        tests = tuple(_test(entry, i, fail) for i, entry in enumerate(data.get("tests") or []))
        if not tests:
            raise fail("'tests' must declare at least one test")
        seen: set[str] = set()
        for test in tests:
            if test.test_id in seen:
                raise fail(f"test id '{test.test_id}' is declared twice")
            seen.add(test.test_id)
        target = data.get("target") or {}
        if not isinstance(target, Mapping):
            raise fail("'target' must be a mapping")
        return cls(name.strip(), thresholds, int(runs), tests,
                   {str(k): str(v) for k, v in target.items()},
                   _rollout_policy(data.get("rollout") or {}, fail))


_ROLLOUT_KEYS = ("alpha", "detect_ratio", "latency_min_delta", "latency_min_shift_ms",
                 "p99_tolerance", "tail_margin")


def _rollout_policy(section: Any, fail: Any) -> HealthPolicy:
    if not isinstance(section, Mapping):
        raise fail("'rollout' must be a mapping")
    unknown = sorted(set(section) - set(_ROLLOUT_KEYS))
    if unknown:
        raise fail(f"unknown rollout field(s): {', '.join(unknown)}")
    values = {k: _number(v, f"rollout.{k}", fail) for k, v in section.items()}
    try:
        return HealthPolicy(**values)
    except InvariantViolation as exc:
        raise fail(str(exc)) from exc


def _number(value: Any, where: str, fail: Any, *, whole: bool = False) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"{where} must be a number, not {value!r}")
    if whole and not (isinstance(value, int) or float(value).is_integer()):
        raise fail(f"{where} must be a whole number")
    if not math.isfinite(value):
        raise fail(f"{where} must be finite")
    return int(value) if whole else float(value)


def _test(entry: Any, index: int, fail: Any) -> VerificationTest:
    where = f"tests[{index}]"
    if not isinstance(entry, Mapping):
        raise fail(f"{where} must be a mapping")
    missing = [k for k in ("id", "requirement", "method", "check", "title")
               if not isinstance(entry.get(k), str) or not entry[k].strip()]
    if missing:
        raise fail(f"{where} lacks {', '.join(missing)}")
    try:
        method = VerificationMethod(entry["method"])
    except ValueError:
        raise fail(f"{where}.method '{entry['method']}' is not one of "
                   f"{', '.join(m.value for m in VerificationMethod)}") from None
    return VerificationTest(entry["id"], entry["requirement"], entry["title"], method,
                            entry["check"])


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One verification result as recorded in the trace."""

    requirement: str
    test: str
    method: VerificationMethod
    passed: bool
    detail: str
    check: str | None = None


def check_verdicts(report: Mapping[str, Any]) -> dict[str, tuple[bool, str]]:
    """Each check of a verification report: whether it counts as passed, and its message.

    A check that did not apply (``applicable`` false) is no evidence that a requirement is met,
    so as a test result it counts as failed.
    """
    checks = report.get("verdict", {}).get("checks", [])
    return {str(c["name"]): (bool(c["passed"]) and bool(c.get("applicable", True)),
                             str(c.get("message", ""))) for c in checks}


class LinkVerificationEvidence:
    """Record a verification report's checks as test results on the requirements they verify."""

    def __init__(self, store: TraceStore, link: LinkItems, record: RecordArtifact,
                 clock: Clock) -> None:
        self._store, self._link, self._record, self._clock = store, link, record, clock

    def __call__(self, tests: Sequence[VerificationTest], report: Mapping[str, Any],
                 report_digest: str, actor: Principal, *, analyst: Principal | None = None,
                 inspector: Principal | None = None) -> tuple[EvidenceRow, ...]:
        """Link every declared test, then the system-level analyses and inspections.

        Args:
            tests: the deployment specification's tests.
            report: the verification report (``verification_report.json``'s content).
            report_digest: the report's digest, recorded on every result.
            actor: who records the test results (the authenticated pipeline or engineer).
            analyst: who is accountable for the system-level analyses (``actor`` when None).
            inspector: who performed the design inspection of ASIL D system requirements;
                None records none (an inspection is a human act the inspector records).

        Raises:
            ItemNotFound: a declared test names a requirement that is not in the trace.
            Forbidden: a principal may not record test results or artifacts.
        """
        verdicts = check_verdicts(report)
        rows: list[EvidenceRow] = []
        outcome: dict[str, bool] = {}
        for test in tests:
            passed, detail = verdicts.get(
                test.check, (False, f"the verification report has no '{test.check}' check"))
            self._record(Artifact(ItemId(test.test_id), ArtifactKind.TEST, test.title,
                                  digest=report_digest), actor=actor)
            self._link(ItemId(test.requirement), Relation.VERIFIED_BY, ItemId(test.test_id),
                       self._evidence(EvidenceKind.TEST_RESULT, passed, actor, test.method,
                                      report_digest, detail), actor=actor)
            outcome[test.requirement] = outcome.get(test.requirement, True) and passed
            rows.append(EvidenceRow(test.requirement, test.test_id, test.method, passed,
                                    detail, test.check))
        rows += self._system_level(outcome, report_digest, analyst or actor, inspector)
        return tuple(rows)

    def _system_level(self, outcome: Mapping[str, bool], digest: str, analyst: Principal,
                      inspector: Principal | None) -> list[EvidenceRow]:
        rows: list[EvidenceRow] = []
        for req in self._store.items(ItemKind.REQUIREMENT):
            if (not isinstance(req, Requirement) or req.level is not RequirementLevel.SYSTEM
                    or not req.asil.is_safety_relevant):
                continue
            derived = [d for d in self._store.impact(req.id).requirements if d in outcome]
            passed = bool(derived) and all(outcome[d] for d in derived)
            analysis = ItemId(f"AN-{req.id}")
            detail = (f"requirements-based analysis of the results of {', '.join(derived)}"
                      if derived else "no derived requirement has a test result")
            self._record(Artifact(analysis, ArtifactKind.TEST,
                                  f"Analysis of the verification of {req.id}"), actor=analyst)
            self._link(req.id, Relation.VERIFIED_BY, analysis, self._evidence(
                EvidenceKind.ANALYSIS, passed, analyst, VerificationMethod.ANALYSIS, digest,
                detail), actor=analyst)
            rows.append(EvidenceRow(req.id, analysis, VerificationMethod.ANALYSIS, passed,
                                    detail))
            if req.asil is ASIL.D and inspector is not None:
                inspection = ItemId(f"IN-{req.id}")
                note = f"design inspection of the perception chain by {inspector.name}"
                self._record(Artifact(inspection, ArtifactKind.TEST,
                                      f"Design inspection of {req.id}"), actor=inspector)
                # The inspection examined the verified design; the report it rests on is its
                # evidence (a passed result without one is refused).
                self._link(req.id, Relation.VERIFIED_BY, inspection, self._evidence(
                    EvidenceKind.TEST_RESULT, True, inspector, VerificationMethod.INSPECTION,
                    digest, note), actor=inspector)
                rows.append(EvidenceRow(req.id, inspection, VerificationMethod.INSPECTION, True,
                                        note))
        return rows

    def _evidence(self, kind: EvidenceKind, passed: bool, agent: Principal,
                  method: VerificationMethod, digest: str | None, note: str) -> Evidence:
        return Evidence(kind, Verdict.PASSED if passed else Verdict.FAILED, agent.name,
                        self._now(), digest, method, note=note)

    def _now(self) -> datetime:
        return self._clock.now()
