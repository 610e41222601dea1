"""Who did what in a release: the people behind its evidence, reviews and roll-out decisions.

Each figure has one source, so the report never reconciles two records of the same fact:
evidence and reviews come from the trace store (the agent recorded with each evidence record),
roll-out starts and approvals from each roll-out's hash-chained decision log, principals from
the principal register, and changes to who may do what from the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from edgedeploy.application.ports.persistence import UnitOfWork
from edgedeploy.application.ports.reporting import ReportSection, ReportTable
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.traceability import EvidenceKind

ROLLOUT_ACTIONS = frozenset({"create", "approve", "abort", "manual_rollback", "rollback",
                             "supersede"})
"""Decision-log actions a person (or the service) is accountable for; ticks are left out."""

ACCESS_ACTIONS = frozenset({"principal-added", "principal-changed", "token-issued",
                           "token-revoked"})
"""Audit-log actions that change who may act."""


@dataclass(frozen=True, slots=True)
class EvidenceByWhom:
    """One evidence record on a trace link and the principal who recorded it."""

    source: str
    relation: str
    target: str
    kind: str
    verdict: str
    recorded_by: str
    recorded_at: datetime
    independent: bool


@dataclass(frozen=True, slots=True)
class RolloutDecisionByWhom:
    """A roll-out decision someone is accountable for: its start, an approval, a stop."""

    rollout_id: str
    model: str
    stage: str
    action: str
    actor: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class PrincipalEntry:
    """A registered principal with its roles and organisation unit."""

    name: str
    roles: tuple[str, ...]
    unit: str
    disabled: bool
    registered_by: str


@dataclass(frozen=True, slots=True)
class AccessChange:
    """An audited change to who may act: a principal added or changed, a token issued."""

    sequence: int
    subject: str
    action: str
    actor: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Accountability:
    """Everything the "who did what" section shows, for one model version or the whole store."""

    model: str | None
    evidence: tuple[EvidenceByWhom, ...]
    rollouts: tuple[RolloutDecisionByWhom, ...]
    principals: tuple[PrincipalEntry, ...]
    access_changes: tuple[AccessChange, ...]

    @property
    def reviews(self) -> tuple[EvidenceByWhom, ...]:
        """The review records among the evidence."""
        return tuple(e for e in self.evidence if e.kind == EvidenceKind.REVIEW.value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601)."""
        def rows(items: tuple[Any, ...]) -> list[dict[str, Any]]:
            out = []
            for item in items:
                row = asdict(item)
                out.append({k: v.isoformat() if isinstance(v, datetime) else
                            list(v) if isinstance(v, tuple) else v for k, v in row.items()})
            return out

        return {"model": self.model, "evidence": rows(self.evidence),
                "rollouts": rows(self.rollouts), "principals": rows(self.principals),
                "access_changes": rows(self.access_changes)}


class DescribeAccountability:
    """Collect who recorded, reviewed, started and approved what (any reader)."""

    def __init__(self, uow: Callable[[], UnitOfWork], store: TraceStore) -> None:
        self._uow, self._store = uow, store

    def __call__(self, model: ModelRef | None = None) -> Accountability:
        """The accountability of ``model``'s release (everything recorded when None).

        For a model version, the evidence is that of links leaving the requirements upstream
        of it and of links touching the version itself, and the roll-outs are those of it.
        """
        links = self._store.links()
        if model is not None:
            scope = {*self._store.backward(model.item_id).items, model.item_id}
            links = [link for link in links if link.source in scope or link.target in scope]
        evidence = tuple(
            EvidenceByWhom(str(link.source), link.relation.value, str(link.target),
                           record.kind.value, record.verdict.value, record.agent,
                           record.recorded_at, record.independent)
            for link in links for record in link.evidence)
        with self._uow() as uow:
            decisions: list[RolloutDecisionByWhom] = []
            for rollout_id in uow.rollouts.list_ids():
                rollout = uow.rollouts.get(rollout_id)
                if model is not None and rollout.model != model:
                    continue
                decisions.extend(
                    RolloutDecisionByWhom(rollout_id, str(rollout.model),
                                          str(entry.details.get("stage", "")), entry.action,
                                          entry.actor, entry.recorded_at)
                    for entry in uow.rollouts.decisions(rollout_id)
                    if entry.action in ROLLOUT_ACTIONS)
            principals = tuple(
                PrincipalEntry(p.name, tuple(sorted(r.value for r in p.roles)), p.unit,
                               p.disabled, p.created_by)
                for p in uow.principals.list())
            access = tuple(
                AccessChange(e.sequence, e.subject, e.action, e.actor, e.recorded_at)
                for e in uow.audit.entries() if e.action in ACCESS_ACTIONS)
        return Accountability(None if model is None else str(model), evidence,
                              tuple(sorted(decisions, key=lambda d: d.recorded_at)),
                              principals, access)


def accountability_section(accountability: Accountability) -> ReportSection:
    """The release report's "Who did what" section."""
    a = accountability
    reviews = a.reviews
    independent = sum(1 for r in reviews if r.independent)
    summary = (f"{len(a.evidence)} evidence record(s) on trace links, {len(reviews)} of them "
               f"reviews ({independent} independent); {len(a.rollouts)} roll-out decision(s) "
               f"taken by people or the service; {len(a.principals)} registered principal(s). "
               "Evidence and reviews come from the trace store, roll-out decisions from each "
               "roll-out's decision log, changes of access from the audit log.")
    tables = (
        ReportTable("Evidence by whom (trace store)",
                    ("Link", "Kind", "Verdict", "Recorded by", "Independent", "Recorded"),
                    tuple((f"{e.source} —{e.relation}→ {e.target}", e.kind, e.verdict,
                           e.recorded_by, _independence(e), _time(e.recorded_at))
                          for e in a.evidence)),
        ReportTable("Roll-out starts, approvals and stops (decision logs)",
                    ("Roll-out", "Model", "Stage", "Decision", "By", "When"),
                    tuple((d.rollout_id, d.model, d.stage, _DECISIONS.get(d.action, d.action),
                           d.actor, _time(d.recorded_at)) for d in a.rollouts)),
        ReportTable("Principals (principal register)",
                    ("Name", "Roles", "Unit", "Active", "Registered by"),
                    tuple((p.name, ", ".join(p.roles), p.unit or "-",
                           "no" if p.disabled else "yes", p.registered_by)
                          for p in a.principals)),
        ReportTable("Changes to who may act (audit log)",
                    ("Entry", "Subject", "Change", "By", "When"),
                    tuple((f"#{c.sequence}", c.subject, c.action, c.actor, _time(c.recorded_at))
                          for c in a.access_changes)),
    )
    return ReportSection("Who did what", "info", summary, tables=tables)


_DECISIONS = {"create": "started", "approve": "approved", "abort": "aborted",
              "manual_rollback": "rolled back by hand", "rollback": "rolled back",
              "supersede": "superseded"}


def _independence(evidence: EvidenceByWhom) -> str:
    if evidence.kind != EvidenceKind.REVIEW.value:
        return "-"
    return "yes" if evidence.independent else "no"


def _time(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


__all__ = ["AccessChange", "Accountability", "DescribeAccountability", "EvidenceByWhom",
           "PrincipalEntry", "RolloutDecisionByWhom", "accountability_section"]
