"""The traceability gate: a model version may be deployed only when its trace is complete."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog

from edgedeploy.application.ports.persistence import UnitOfWork
from edgedeploy.application.ports.system import Clock
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.application.traceability.compliance import Compliance, assess_compliance
from edgedeploy.domain.audit import next_entry
from edgedeploy.domain.coverage import (
    DEFAULT_COVERAGE_RULES,
    CoverageRule,
    Gap,
    GapCode,
    SafetyTraceGapError,
)
from edgedeploy.domain.models import ModelRef, ModelVersionNotFound
from edgedeploy.domain.requirements import ItemId, Requirement
from edgedeploy.domain.safety import ASIL

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class GateReport:
    """The gate's answer for one model version, with everything it looked at."""

    model: str
    passed: bool
    score: float
    gaps: tuple[Gap, ...]
    scope: tuple[ItemId, ...]
    checks: int
    checks_met: int
    checked_at: datetime
    audit_sequence: int | None = None

    @property
    def compliance(self) -> Compliance:
        """The gate's figure as the matrix and the release report show it."""
        return Compliance(self.scope, self.gaps, self.checks, self.checks_met)

    def raise_for_gaps(self) -> None:
        """Raise when the gate is closed.

        Raises:
            SafetyTraceGapError: naming every gap.
        """
        if not self.passed:
            raise SafetyTraceGapError(self.model, self.gaps)


class EvaluateGate:
    """Decide whether a model version's trace lets it through, and log the decision.

    Scope: every requirement upstream of the model version, plus everything those requirements
    were derived into (so an unrealised sibling of an implemented ML requirement still counts).
    The registry digest must match the digest the trace graph holds for the model.

    Before anything else the evidence chains are verified (``integrity``): a gate decision on
    tampered evidence is refused, not recorded.
    """

    def __init__(self, store: TraceStore, uow: Callable[[], UnitOfWork], clock: Clock,
                 rules: Mapping[ASIL, CoverageRule] = DEFAULT_COVERAGE_RULES, *,
                 integrity: Callable[[], int] | None = None) -> None:
        self._store, self._uow, self._clock, self._rules = store, uow, clock, rules
        self._integrity = integrity

    def require_intact_evidence(self) -> int | None:
        """The number of chained entries verified (None: no check is wired).

        Raises:
            AuditChainBroken: an evidence chain was altered, cut or re-hashed.
        """
        return None if self._integrity is None else self._integrity()

    def __call__(self, model: ModelRef, actor: str = "edgedeploy", *,
                 record: bool = True) -> GateReport:
        """Evaluate the gate; with ``record`` the decision is appended to the audit log.

        Raises:
            AuditChainBroken: the evidence chains do not verify.
            ModelVersionNotFound: the version is not registered.
        """
        self.require_intact_evidence()
        with self._uow() as uow:
            registered = uow.models.get(model)
        if registered is None:
            raise ModelVersionNotFound(f"model version {model} is not registered")
        item = self._store.get_item(model.item_id)
        gaps: list[Gap] = []
        scope: set[ItemId] = set()
        if item is None or getattr(item, "digest", None) != registered.digest:
            gaps.append(Gap(model.item_id, GapCode.MODEL_NOT_TRACED, ASIL.QM,
                            "the trace graph holds no model with the registered digest "
                            f"{registered.digest}"))
        else:
            upstream = [i for i in self._store.backward(model.item_id).items
                        if isinstance(self._store.get_item(i), Requirement)]
            scope.update(upstream)
            for requirement in upstream:
                scope.update(self._store.impact(requirement).requirements)
            if not upstream:
                gaps.append(Gap(model.item_id, GapCode.MODEL_NOT_TRACED, ASIL.QM,
                                "no requirement is implemented or satisfied by this model "
                                "version"))
        compliance = assess_compliance(self._store, scope, self._rules, release_gaps=gaps,
                                       release_checks=1)
        report = GateReport(str(model), not compliance.gaps, compliance.score, compliance.gaps,
                            compliance.scope, compliance.checks, compliance.checks_met,
                            self._clock.now())
        if record:
            report = self._record(report, actor)
        log.info("trace.gate", model=str(model), passed=report.passed, gaps=len(report.gaps),
                 score=round(report.score, 4))
        return report

    def _record(self, report: GateReport, actor: str) -> GateReport:
        with self._uow() as uow:
            entry = next_entry(uow.audit.last(), report.checked_at, report.model,
                               "trace-gate", "passed" if report.passed else "blocked", actor,
                               {"score": round(report.score, 6), "scope": len(report.scope),
                                "gaps": [f"{g.item}:{g.code.value}" for g in report.gaps]})
            uow.audit.append(entry)
            uow.commit()
        return GateReport(report.model, report.passed, report.score, report.gaps,
                          report.scope, report.checks, report.checks_met, report.checked_at,
                          entry.sequence)

