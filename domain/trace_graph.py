"""Trace analysis over an in-memory graph: the reference semantics every trace store matches.

A persistent store answers the same questions with its own queries; the contract tests compare
its answers with the ones computed here on the same items and links.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from edgedeploy.domain.coverage import CoverageFacts
from edgedeploy.domain.requirements import ItemId, ItemKind, Requirement, TraceItem, item_kind
from edgedeploy.domain.traceability import (
    DECOMPOSING,
    REALIZING,
    EvidenceKind,
    LinkKey,
    Relation,
    TraceLink,
    Verdict,
    failing_verification,
    passing_verification,
)


@dataclass(frozen=True, slots=True)
class TraceView:
    """The items and links reached from ``root`` in one direction, sorted for comparison."""

    root: ItemId
    items: tuple[ItemId, ...]
    links: tuple[LinkKey, ...]


@dataclass(frozen=True, slots=True)
class ImpactReport:
    """Everything downstream of a changed item, grouped as an engineer reviews it."""

    root: ItemId
    requirements: tuple[ItemId, ...]
    tests: tuple[ItemId, ...]
    datasets: tuple[ItemId, ...]
    models: tuple[ItemId, ...]
    deployments: tuple[ItemId, ...]
    links: int

    @property
    def total(self) -> int:
        """Number of affected items."""
        return sum(len(group) for group in (self.requirements, self.tests, self.datasets,
                                             self.models, self.deployments))


def impact_from(root: ItemId, kinds: Mapping[ItemId, ItemKind], view: TraceView) -> ImpactReport:
    """Group a forward trace by item kind."""
    groups: dict[ItemKind, list[ItemId]] = defaultdict(list)
    for item in view.items:
        groups[kinds[item]].append(item)
    return ImpactReport(
        root=root,
        requirements=tuple(sorted(groups[ItemKind.REQUIREMENT])),
        tests=tuple(sorted(groups[ItemKind.TEST])),
        datasets=tuple(sorted(groups[ItemKind.DATASET])),
        models=tuple(sorted(groups[ItemKind.MODEL])),
        deployments=tuple(sorted(groups[ItemKind.DEPLOYMENT])),
        links=len(view.links),
    )


class TraceGraph:
    """Items and links held in memory, with forward/backward trace, impact and facts."""

    def __init__(self, items: Iterable[TraceItem], links: Iterable[TraceLink]) -> None:
        self.items: dict[ItemId, TraceItem] = {item.id: item for item in items}
        self.links: dict[LinkKey, TraceLink] = {link.key: link for link in links}
        self._out: dict[ItemId, list[TraceLink]] = defaultdict(list)
        self._in: dict[ItemId, list[TraceLink]] = defaultdict(list)
        for link in self.links.values():
            self._out[link.source].append(link)
            self._in[link.target].append(link)

    def kinds(self) -> dict[ItemId, ItemKind]:
        """The kind of every item."""
        return {item_id: item_kind(item) for item_id, item in self.items.items()}

    def forward(self, root: ItemId) -> TraceView:
        """Everything downstream of ``root`` (excluding it)."""
        return self._walk(root, self._out, lambda link: link.target)

    def backward(self, root: ItemId) -> TraceView:
        """Everything upstream of ``root`` (excluding it)."""
        return self._walk(root, self._in, lambda link: link.source)

    def impact(self, root: ItemId) -> ImpactReport:
        """Downstream items of a changed item, grouped by kind."""
        return impact_from(root, self.kinds(), self.forward(root))

    def _walk(self, root: ItemId, edges: Mapping[ItemId, list[TraceLink]],
              step: Callable[[TraceLink], ItemId]) -> TraceView:
        seen: set[ItemId] = {root}
        links: set[LinkKey] = set()
        queue = deque([root])
        while queue:
            node = queue.popleft()
            for link in edges.get(node, ()):
                links.add(link.key)
                nxt = step(link)
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        seen.discard(root)
        return TraceView(root, tuple(sorted(seen)), tuple(sorted(links)))

    def coverage_facts(self, scope: Iterable[ItemId] | None = None) -> list[CoverageFacts]:
        """Facts for each requirement in ``scope`` (all requirements when None), by id."""
        ids = sorted(self.items) if scope is None else sorted(set(scope))
        facts = []
        for rid in ids:
            item = self.items.get(rid)
            if isinstance(item, Requirement):
                facts.append(self._facts(item))
        return facts

    def _facts(self, req: Requirement) -> CoverageFacts:
        out = self._out.get(req.id, [])
        verifications = [link for link in out if link.relation is Relation.VERIFIED_BY]
        passing = [link for link in verifications if passing_verification(link)]
        methods = set()
        for link in passing:
            latest = max((e for e in link.evidence
                          if e.kind in (EvidenceKind.TEST_RESULT, EvidenceKind.ANALYSIS)),
                         key=lambda e: e.recorded_at)
            if latest.method is not None:
                methods.add(latest.method)
        reviewed = [link for link in out if any(
            e.kind is EvidenceKind.REVIEW and e.verdict is Verdict.PASSED for e in link.evidence)]
        independent = [link for link in reviewed if any(
            e.kind is EvidenceKind.REVIEW and e.verdict is Verdict.PASSED and e.independent
            for e in link.evidence)]
        parents = [self.items[link.source] for link in self._in.get(req.id, [])
                   if link.relation in DECOMPOSING and link.source in self.items]
        return CoverageFacts(
            requirement=req.id,
            asil=req.asil,
            decomposition=req.decomposition,
            children=sum(1 for link in out if link.relation in DECOMPOSING),
            realizations=sum(1 for link in out if link.relation in REALIZING),
            passing_verifications=len(passing),
            methods=tuple(sorted(methods)),
            failing_tests=tuple(sorted(link.target for link in verifications
                                       if failing_verification(link))),
            reviews=len(reviewed),
            independent_reviews=len(independent),
            suspect_links=sum(1 for link in out if link.suspect),
            parent_asils=tuple(sorted(p.asil for p in parents if isinstance(p, Requirement))),
        )
