"""An in-memory trace store built on the domain's reference trace analysis."""

from __future__ import annotations

from collections.abc import Iterable

from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.coverage import CoverageFacts
from edgedeploy.domain.requirements import ItemId, ItemKind, TraceItem, item_kind
from edgedeploy.domain.trace_graph import ImpactReport, TraceGraph, TraceView
from edgedeploy.domain.traceability import (
    ItemNotFound,
    LinkKey,
    LinkNotFound,
    TraceLink,
    check_link_kinds,
)


class InMemoryTraceStore:
    """Stateful fake of ``TraceStore``; ``apply`` is all or nothing like the real ones."""

    def __init__(self) -> None:
        self._items: dict[ItemId, TraceItem] = {}
        self._links: dict[LinkKey, TraceLink] = {}
        self.fail_next_apply: Exception | None = None

    def _graph(self) -> TraceGraph:
        return TraceGraph(self._items.values(), self._links.values())

    def apply(self, change: TraceChange) -> int:
        """Refuse a change exactly where the RDF stores refuse it, else apply it whole.

        Raises:
            ItemNotFound: a link or suspect root names an item that exists nowhere.
            LinkNotFound: a link to remove does not exist (in the store or the change).
            InvalidLink: a link connects kinds its relation does not allow, including a stored
                link whose end the change gives another kind.
        """
        if self.fail_next_apply is not None:
            error, self.fail_next_apply = self.fail_next_apply, None
            raise error
        items = dict(self._items)
        links = dict(self._links)
        for item in change.items:
            items[item.id] = item
        for link in change.links:
            for end in (link.source, link.target):
                if end not in items:
                    raise ItemNotFound(f"link {link.source} {link.relation} {link.target} "
                                       f"names {end}, which is neither in the trace graph nor "
                                       "in the same change")
            check_link_kinds(link, item_kind(items[link.source]), item_kind(items[link.target]))
            links[link.key] = link
        for key in change.remove_links:
            if key not in links:
                raise LinkNotFound(f"cannot remove link {key[0]} {key[1]} {key[2]}: it does "
                                   "not exist")
            del links[key]
        rekinded = {item.id for item in change.items if item.id in self._items
                    and item_kind(self._items[item.id]) is not item_kind(item)}
        for link in links.values():
            if link.source in rekinded or link.target in rekinded:
                check_link_kinds(link, item_kind(items[link.source]),
                                 item_kind(items[link.target]))
        for root in change.suspect_from:
            if root not in items:
                raise ItemNotFound(f"cannot mark links downstream of {root} suspect: {root} "
                                   "is not in the trace graph")
        graph = TraceGraph(items.values(), links.values())
        marked = 0
        for root in change.suspect_from:
            for key in graph.forward(root).links:
                if not links[key].suspect:
                    links[key] = _suspect(links[key])
                    marked += 1
        self._items, self._links = items, links
        return marked

    def get_item(self, item_id: ItemId) -> TraceItem | None:
        return self._items.get(item_id)

    def items(self, kind: ItemKind | None = None) -> list[TraceItem]:
        return [self._items[i] for i in sorted(self._items)
                if kind is None or item_kind(self._items[i]) is kind]

    def get_link(self, key: LinkKey) -> TraceLink | None:
        return self._links.get(key)

    def links(self) -> list[TraceLink]:
        return [self._links[k] for k in sorted(self._links)]

    def forward(self, root: ItemId) -> TraceView:
        return self._graph().forward(root)

    def backward(self, root: ItemId) -> TraceView:
        return self._graph().backward(root)

    def impact(self, root: ItemId) -> ImpactReport:
        return self._graph().impact(root)

    def coverage_facts(self, scope: Iterable[ItemId] | None = None) -> list[CoverageFacts]:
        return self._graph().coverage_facts(scope)

    def counts(self) -> dict[str, int]:
        counts = {kind.value: 0 for kind in ItemKind}
        for item in self._items.values():
            counts[item_kind(item).value] += 1
        counts["links"] = len(self._links)
        return counts

    def export_rdf(self, fmt: str) -> bytes:
        raise NotImplementedError("the in-memory fake does not speak RDF")

    def close(self) -> None:
        pass


def _suspect(link: TraceLink) -> TraceLink:
    return TraceLink(link.source, link.relation, link.target, link.evidence, suspect=True)
