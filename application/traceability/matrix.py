"""The traceability matrix over every requirement (or a release's scope), gaps and compliance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from edgedeploy.application.ports.reporting import MatrixRow, TraceMatrix
from edgedeploy.application.ports.system import Clock
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.application.traceability.compliance import assess_compliance
from edgedeploy.application.traceability.gate import GateReport
from edgedeploy.domain.coverage import DEFAULT_COVERAGE_RULES, CoverageRule, Gap
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

    def __call__(self, title: str = "Traceability matrix",
                 release: GateReport | None = None) -> TraceMatrix:
        """The matrix as of now.

        Args:
            title: the page's title.
            release: a gate report; the matrix then covers exactly the gate's scope and shows
                the gate's own compliance figure and gaps, so the release report and the
                matrix cannot disagree. Without it, every requirement is covered.
        """
        compliance = (release.compliance if release is not None
                      else assess_compliance(self._store, None, self._rules))
        in_scope = set(compliance.scope)
        requirements = [r for r in self._store.items(ItemKind.REQUIREMENT)
                        if isinstance(r, Requirement) and r.id in in_scope]
        outgoing: dict[ItemId, list[TraceLink]] = defaultdict(list)
        parents: dict[ItemId, list[ItemId]] = defaultdict(list)
        for link in self._store.links():
            outgoing[link.source].append(link)
            if link.relation in DECOMPOSING:
                parents[link.target].append(link.source)
        gaps: dict[ItemId, list[Gap]] = defaultdict(list)
        for gap in compliance.gaps:
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
        return TraceMatrix(title, self._clock.now(), rows, compliance.score,
                           len(compliance.gaps))
