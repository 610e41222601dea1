"""The second trace store: an rdflib ``Graph`` held in memory.

It holds exactly the triples the Oxigraph store holds (the same compact internal form, written
by the same code in :mod:`edgedeploy.adapters.rdf.codec` and
:mod:`edgedeploy.adapters.rdf.writes`), but answers
through rdflib's triple-pattern API rather than its SPARQL engine, which is far too slow for
aggregate queries over a large graph. Useful for tests, tools that already speak rdflib, and as
a cross-check of the Oxigraph store.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from edgedeploy.adapters.rdf import codec, expanded, queries
from edgedeploy.adapters.rdf import vocabulary as v
from edgedeploy.adapters.rdf.codec import Iri, Lit, Term
from edgedeploy.adapters.rdf.planning import plan_change
from edgedeploy.adapters.rdf.writes import write_set
from edgedeploy.application.errors import BackendUnavailable, InvalidInput
from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.coverage import CoverageFacts
from edgedeploy.domain.requirements import ItemId, ItemKind, TraceItem
from edgedeploy.domain.trace_graph import ImpactReport, TraceView, impact_from
from edgedeploy.domain.traceability import LinkKey, TraceLink

_FORMATS = {"turtle": "turtle", "json-ld": "json-ld", "n-triples": "nt", "ntriples": "nt",
            "nt": "nt"}


class RdflibTraceStore:
    """Trace store on an in-memory rdflib graph."""

    def __init__(self) -> None:
        from rdflib import Graph

        self._graph: Any = Graph()
        for name, iri in v.PREFIXES.items():
            self._graph.bind(name, iri)
        self._closed = False

    # ------------------------------------------------------------------ plumbing

    @property
    def graph(self) -> Any:
        """The rdflib graph.

        Raises:
            BackendUnavailable: the store was closed.
        """
        if self._closed:
            raise BackendUnavailable("the trace store is closed")
        return self._graph

    @staticmethod
    def _native(term: Term | str) -> Any:
        from rdflib import Literal, URIRef

        if isinstance(term, str):
            return URIRef(term)
        if isinstance(term, Iri):
            return URIRef(term.value)
        if term.datatype == v.XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype))

    @staticmethod
    def _neutral(node: Any) -> Term:
        from rdflib import Literal

        if isinstance(node, Literal):
            return Lit(str(node), str(node.datatype) if node.datatype else v.XSD_STRING)
        return Iri(str(node))

    def _props(self, subject: str) -> dict[str, list[Term]]:
        props: dict[str, list[Term]] = defaultdict(list)
        for p, o in self.graph.predicate_objects(self._native(subject)):
            props[str(p)].append(self._neutral(o))
        return props

    def _out_keys(self, node: ItemId) -> Iterator[LinkKey]:
        source = v.item_iri(node)
        for p, o in self.graph.predicate_objects(self._native(source)):
            key = codec.link_key(source, str(p), str(o))
            if key is not None:
                yield key

    def _in_keys(self, node: ItemId) -> Iterator[LinkKey]:
        target = v.item_iri(node)
        for s, p in self.graph.subject_predicates(self._native(target)):
            key = codec.link_key(str(s), str(p), target)
            if key is not None:
                yield key

    # ------------------------------------------------------------------ StoreState for planning

    def kinds(self, ids: Iterable[ItemId]) -> dict[ItemId, ItemKind]:
        """The kinds of those of ``ids`` that exist."""
        found: dict[ItemId, ItemKind] = {}
        for item in set(ids):
            for p in self.graph.predicates(self._native(v.item_iri(item)), None, unique=True):
                kind = v.KIND_OF_RECORD.get(str(p))
                if kind is not None:
                    found[item] = kind
        return found

    def stored_out_links(self, item: ItemId) -> list[LinkKey]:
        """Keys of the stored links from ``item``."""
        return list(self._out_keys(item))

    def stored_links_of(self, item: ItemId) -> list[LinkKey]:
        """Keys of the stored links from or to ``item``."""
        return [*self._out_keys(item), *self._in_keys(item)]

    def has_link(self, key: LinkKey) -> bool:
        """True when the link is stored."""
        s, p, o = codec.key_iris(key)
        return (self._native(s), self._native(p), self._native(o)) in self.graph

    def read_subject(self, iri: str) -> dict[str, list[Term]]:
        """All triples of one subject, as predicate -> objects."""
        return self._props(iri)

    # ------------------------------------------------------------------ TraceStore: writing

    def apply(self, change: TraceChange) -> int:
        """Apply ``change`` all or nothing; return the number of links newly marked suspect.

        Everything is validated and computed before the graph is touched; the in-memory writes
        that follow cannot fail half-way.

        Raises:
            ItemNotFound, LinkNotFound, InvalidLink: the change is refused; nothing changed.
        """
        plan = plan_change(change, self)
        try:
            deletes, inserts = write_set(plan, self.read_subject)
        except codec.UnreadableGraph as exc:
            raise BackendUnavailable(f"trace store (rdflib) holds unreadable data: {exc}") \
                from exc
        graph = self.graph
        native = self._native
        stale = [(native(s), native(p), native(o)) for s, p, o in deletes]
        fresh = [(native(s), native(p), native(o), graph) for s, p, o in inserts]
        for triple in stale:
            graph.remove(triple)
        graph.addN(fresh)
        return plan.newly_suspect

    # ------------------------------------------------------------------ TraceStore: reading

    def get_item(self, item_id: ItemId) -> TraceItem | None:
        """One item, or None."""
        iri = v.item_iri(item_id)
        props = self._props(iri)
        if codec.kind_of(props) is None:
            return None
        return codec.decode_item(iri, props)

    def items(self, kind: ItemKind | None = None) -> list[TraceItem]:
        """All items (of one kind), sorted by id."""
        kinds = list(ItemKind) if kind is None else [kind]
        found = []
        for k in kinds:
            for subject in self.graph.subjects(self._native(v.RECORD[k]), None, unique=True):
                iri = str(subject)
                found.append(codec.decode_item(iri, self._props(iri)))
        found.sort(key=lambda item: item.id)
        return found

    def get_link(self, key: LinkKey) -> TraceLink | None:
        """One link with its evidence, or None."""
        if not self.has_link(key):
            return None
        source = self._native(v.item_iri(key[0]))
        for state in self.graph.objects(source, self._native(v.LINK_STATE)):
            found = codec.decode_link_state(key[0], str(state)).get(key)
            if found is not None:
                return found
        return TraceLink(*key)

    def _all_keys(self) -> Iterator[LinkKey]:
        for predicate in v.RELATION_PREDICATES.values():
            for s, o in self.graph.subject_objects(self._native(predicate)):
                key = codec.link_key(str(s), predicate, str(o))
                if key is not None:
                    yield key

    def links(self) -> list[TraceLink]:
        """All links with their evidence, sorted by key."""
        found = {key: TraceLink(*key) for key in self._all_keys()}
        for s, o in self.graph.subject_objects(self._native(v.LINK_STATE)):
            source = v.item_id_of(str(s))
            if source is not None:
                found.update((k, link) for k, link in codec.decode_link_state(source, str(o))
                             .items() if k in found)
        return [found[key] for key in sorted(found)]

    def _walk(self, root: ItemId, edges: Callable[[ItemId], Iterator[LinkKey]],
              forward: bool) -> TraceView:
        seen = {root}
        links: set[LinkKey] = set()
        queue = deque([root])
        while queue:
            node = queue.popleft()
            for key in edges(node):
                links.add(key)
                nxt = key[2] if forward else key[0]
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        seen.discard(root)
        return TraceView(root, tuple(sorted(seen)), tuple(sorted(links)))

    def forward(self, root: ItemId) -> TraceView:
        """Everything downstream of ``root``."""
        return self._walk(root, self._out_keys, forward=True)

    def backward(self, root: ItemId) -> TraceView:
        """Everything upstream of ``root``."""
        return self._walk(root, self._in_keys, forward=False)

    def impact(self, root: ItemId) -> ImpactReport:
        """Downstream items of ``root`` grouped by kind."""
        view = self.forward(root)
        return impact_from(root, self.kinds(view.items), view)

    def coverage_facts(self, scope: Iterable[ItemId] | None = None) -> list[CoverageFacts]:
        """Coverage facts per requirement in ``scope`` (all when None), sorted by id.

        The same coverage literals the Oxigraph store's query concatenates, read with one pass
        over the coverage predicate and folded by
        :func:`edgedeploy.adapters.rdf.queries.fold_coverage`.
        """
        wanted = None if scope is None else set(scope)
        g = self.graph
        n = self._native
        rows = [json.loads(str(o)) for o in g.objects(None, n(v.COVERAGE))]
        return queries.fold_coverage(rows, None, wanted)

    def counts(self) -> dict[str, int]:
        """Number of items per kind and of links (key ``links``)."""
        counted = {kind.value: sum(1 for _ in self.graph.subjects(self._native(p), None))
                   for kind, p in v.RECORD.items()}
        counted["links"] = sum(1 for _ in self._all_keys())
        return counted

    def export_rdf(self, fmt: str) -> bytes:
        """The whole graph in the published vocabulary as ``turtle``, ``json-ld`` or ``n-triples``.

        The compact internal form is expanded first (:mod:`edgedeploy.adapters.rdf.expanded`),
        exactly
        as the Oxigraph store expands it.

        Raises:
            InvalidInput: the format is none of those.
        """
        name = _FORMATS.get(fmt.lower())
        if name is None:
            raise InvalidInput(f"cannot export the trace graph as '{fmt}'; choose turtle, "
                               "json-ld or n-triples")
        text = codec.ntriples(expanded.document(self.items(), self.links()))
        if name == "nt":
            return text.encode()
        from rdflib import Graph

        out = Graph()
        for prefix, iri in v.PREFIXES.items():
            out.bind(prefix, iri)
        try:
            out.parse(data=text, format="nt")
            data: bytes = out.serialize(format=name, encoding="utf-8")
        except Exception as exc:  # rdflib plugins raise many unrelated types
            raise BackendUnavailable(f"trace store (rdflib) failed to export {fmt}: {exc}") \
                from exc
        return data

    def import_rdf(self, data: bytes, fmt: str) -> int:
        """Apply the items and links of a document in the published vocabulary, as one change.

        Raises:
            InvalidInput: the format is unknown or the document is not a trace graph.
        """
        name = _FORMATS.get(fmt.lower())
        if name is None:
            raise InvalidInput(f"cannot import '{fmt}'; choose turtle, json-ld or n-triples")
        from rdflib import Graph

        try:
            parsed = Graph()
            parsed.parse(data=data, format=name)
            items, links = expanded.read_document(
                (str(s), str(p), self._neutral(o)) for s, p, o in parsed)
        except Exception as exc:  # rdflib parsers raise many unrelated types
            raise InvalidInput(f"the {fmt} document is not a readable trace graph: {exc}") \
                from exc
        return self.apply(TraceChange(items=items, links=links))

    def close(self) -> None:
        """Drop the graph; later calls raise BackendUnavailable."""
        self._closed = True
