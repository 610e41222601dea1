"""The traceability matrix over every requirement, with gaps and the compliance score."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from edgedeploy.application.ports.reporting import MatrixRow, TraceMatrix
from edgedeploy.application.ports.system import Clock
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.domain.coverage import DEFAULT_COVERAGE_RULES, CoverageRule, Gap, assess_coverage
from edgedeploy.domain.requirements import ItemId, ItemKind, Requirement
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import (
    DECOMPOSING,
    REALIZING,
    EvidenceKind,
    Relation,
    TraceLink,
    Verdict,
)


def _latest_verdict(link: TraceLink) -> str:
    records = [e for e in link.evidence
               if e.kind in (EvidenceKind.TEST_RESULT, EvidenceKind.ANALYSIS)]
    if not records:
        return "no result"
    return max(records, key=lambda e: e.recorded_at).verdict.value


def _reviews(link: TraceLink) -> list[str]:
    return [f"{e.agent} (independent)" if e.independent else e.agent for e in link.evidence
            if e.kind is EvidenceKind.REVIEW and e.verdict is Verdict.PASSED]


class BuildTraceMatrix:
    """Requirement by requirement: parents, children, realisations, tests, reviews, gaps."""

    def __init__(self, store: TraceStore, clock: Clock,
                 rules: Mapping[ASIL, CoverageRule] = DEFAULT_COVERAGE_RULES) -> None:
        self._store, self._clock, self._rules = store, clock, rules

    def __call__(self, title: str = "Traceability matrix") -> TraceMatrix:
        """The matrix as of now."""
        requirements = [r for r in self._store.items(ItemKind.REQUIREMENT)
                        if isinstance(r, Requirement)]
        outgoing: dict[ItemId, list[TraceLink]] = defaultdict(list)
        parents: dict[ItemId, list[ItemId]] = defaultdict(list)
        for link in self._store.links():
            outgoing[link.source].append(link)
            if link.relation in DECOMPOSING:
                parents[link.target].append(link.source)
        assessment = assess_coverage(self._store.coverage_facts(None), self._rules)
        gaps: dict[ItemId, list[Gap]] = defaultdict(list)
        for gap in assessment.gaps:
            gaps[gap.item].append(gap)
        rows = []
        for req in requirements:
            out = outgoing.get(req.id, [])
            rows.append(MatrixRow(
                requirement=req,
                parents=tuple(sorted(parents.get(req.id, []))),
                children=tuple(sorted(li.target for li in out if li.relation in DECOMPOSING)),
                realized_by=tuple(sorted(li.target for li in out if li.relation in REALIZING)),
                verified_by=tuple(sorted((li.target, _latest_verdict(li)) for li in out
                                         if li.relation is Relation.VERIFIED_BY)),
                reviews=tuple(sorted({name for li in out for name in _reviews(li)})),
                suspect_links=sum(1 for li in out if li.suspect),
                gaps=tuple(gaps.get(req.id, [])),
            ))
        return TraceMatrix(title, self._clock.now(), rows, assessment.score,
                           len(assessment.gaps))
