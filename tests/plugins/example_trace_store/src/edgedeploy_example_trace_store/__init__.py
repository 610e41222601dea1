"""A third-party edgedeploy trace store, shipped as its own distribution.

It keeps items and links in memory and answers every question with the domain's reference
analysis (``TraceGraph``), so it agrees with the built-in stores by construction; the work is
in ``apply``, which must refuse exactly what they refuse, all or nothing. Its RDF export is a
plain PROV-flavoured description, enough for a reader to see every item and link.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from edgedeploy.application.errors import BackendUnavailable, InvalidInput
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

BASE = "urn:example-trace-store:"
FORMATS = {"turtle": "turtle", "json-ld": "json-ld", "n-triples": "nt"}


class MemoryTraceStore:
    """Items and links in dictionaries; answers from ``TraceGraph``."""

    api_version = 1

    def __init__(self) -> None:
        self._items: dict[ItemId, TraceItem] = {}
        self._links: dict[LinkKey, TraceLink] = {}
        self._closed = False

    def _open(self) -> None:
        if self._closed:
            raise BackendUnavailable("the example trace store is closed")

    def _graph(self) -> TraceGraph:
        self._open()
        return TraceGraph(self._items.values(), self._links.values())

    def apply(self, change: TraceChange) -> int:
        """Apply ``change`` all or nothing; return the number of links newly marked suspect.

        Raises:
            ItemNotFound: a link or suspect root names an item that exists nowhere.
            LinkNotFound: a link to remove does not exist.
            InvalidLink: a link connects kinds its relation does not allow.
        """
        self._open()
        items, links = dict(self._items), dict(self._links)
        items.update((item.id, item) for item in change.items)
        for link in change.links:
            for end in (link.source, link.target):
                if end not in items:
                    raise ItemNotFound(f"link {link.key} names {end}, which does not exist")
            check_link_kinds(link, item_kind(items[link.source]), item_kind(items[link.target]))
            links[link.key] = link
        for key in change.remove_links:
            if key not in links:
                raise LinkNotFound(f"cannot remove link {key}: it does not exist")
            del links[key]
        for link in links.values():  # an item given another kind must still fit its links
            check_link_kinds(link, item_kind(items[link.source]), item_kind(items[link.target]))
        for root in change.suspect_from:
            if root not in items:
                raise ItemNotFound(f"cannot mark links downstream of {root}: no such item")
        graph = TraceGraph(items.values(), links.values())
        marked = 0
        for root in change.suspect_from:
            for key in graph.forward(root).links:
                if not links[key].suspect:
                    old = links[key]
                    links[key] = TraceLink(old.source, old.relation, old.target, old.evidence,
                                           suspect=True)
                    marked += 1
        self._items, self._links = items, links
        return marked

    def get_item(self, item_id: ItemId) -> TraceItem | None:
        """One item, or None."""
        self._open()
        return self._items.get(item_id)

    def items(self, kind: ItemKind | None = None) -> list[TraceItem]:
        """All items (of one kind), sorted by id."""
        self._open()
        return [self._items[i] for i in sorted(self._items)
                if kind is None or item_kind(self._items[i]) is kind]

    def get_link(self, key: LinkKey) -> TraceLink | None:
        """One link with its evidence, or None."""
        self._open()
        return self._links.get(key)

    def links(self) -> list[TraceLink]:
        """All links, sorted by key."""
        self._open()
        return [self._links[k] for k in sorted(self._links)]

    def forward(self, root: ItemId) -> TraceView:
        """Everything downstream of ``root``."""
        return self._graph().forward(root)

    def backward(self, root: ItemId) -> TraceView:
        """Everything upstream of ``root``."""
        return self._graph().backward(root)

    def impact(self, root: ItemId) -> ImpactReport:
        """Downstream items of ``root`` grouped by kind."""
        return self._graph().impact(root)

    def coverage_facts(self, scope: Iterable[ItemId] | None = None) -> list[CoverageFacts]:
        """Coverage facts per requirement in ``scope``."""
        return self._graph().coverage_facts(scope)

    def counts(self) -> dict[str, int]:
        """Items per kind and links."""
        self._open()
        counts = {kind.value: 0 for kind in ItemKind}
        for item in self._items.values():
            counts[item_kind(item).value] += 1
        return {**counts, "links": len(self._links)}

    def export_rdf(self, fmt: str) -> bytes:
        """Every item (type, title) and link (relation, evidence count) as RDF.

        Raises:
            InvalidInput: ``fmt`` is none of turtle, json-ld, n-triples.
        """
        from rdflib import RDF, RDFS, Graph, Literal, URIRef

        if fmt.lower() not in FORMATS:
            raise InvalidInput(f"cannot export '{fmt}': turtle, json-ld or n-triples")
        self._open()
        graph = Graph()
        for item in self._items.values():
            subject = URIRef(BASE + "item/" + _safe(item.id))
            graph.add((subject, RDF.type, URIRef(BASE + item_kind(item).value)))
            graph.add((subject, RDFS.label, Literal(getattr(item, "title", "") or item.id)))
        for link in self._links.values():
            source, target = (URIRef(BASE + "item/" + _safe(i)) for i in (link.source,
                                                                         link.target))
            graph.add((source, URIRef(BASE + link.relation.value), target))
            node = URIRef(BASE + "link/" + _safe(f"{link.source}/{link.relation}/{link.target}"))
            graph.add((node, URIRef(BASE + "evidenceCount"), Literal(len(link.evidence))))
        data: Any = graph.serialize(format=FORMATS[fmt.lower()], encoding="utf-8")
        return bytes(data)

    def close(self) -> None:
        """Refuse every later call."""
        self._closed = True


def _safe(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def factory() -> MemoryTraceStore:
    """Entry point ``example-memory``: an empty store."""
    return MemoryTraceStore()
