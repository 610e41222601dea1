"""The second trace store: an rdflib ``Graph`` held in memory.

It holds exactly the triples the Oxigraph store holds (same vocabulary, same codec), but answers
through rdflib's triple-pattern API rather than its SPARQL engine, which is far too slow for
aggregate queries over a large graph. Useful for tests, tools that already speak rdflib, and as
a cross-check of the Oxigraph store.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from adapters.rdf import codec, queries
from adapters.rdf import vocabulary as v
from adapters.rdf.codec import Iri, Lit, Term
from adapters.rdf.planning import WritePlan, plan_change
from application.errors import BackendUnavailable, InvalidInput
from application.ports.trace_store import TraceChange
from domain.coverage import CoverageFacts
from domain.requirements import ItemId, ItemKind, TraceItem
from domain.trace_graph import ImpactReport, TraceView, impact_from
from domain.traceability import LinkKey, Relation, TraceLink

_FORMATS = {"turtle": "turtle", "json-ld": "json-ld", "n-triples": "nt", "ntriples": "nt",
            "nt": "nt"}


class RdflibTraceStore:
    """Trace store on an in-memory rdflib graph."""

    def __init__(self) -> None:
        from rdflib import Graph

        self._graph: Any = Graph()
        for name, iri in v.PREFIXES.items():
            self._graph.bind(name, iri)
        self._graph.parse(data="".join(codec.schema_statements()), format="nt")
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
        rdf_type = self._native(v.RDF_TYPE)
        for item in set(ids):
            for cls in self.graph.objects(self._native(v.item_iri(item)), rdf_type):
                kind = v.KIND_OF_CLASS.get(str(cls))
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

    # ------------------------------------------------------------------ TraceStore: writing

    def apply(self, change: TraceChange) -> int:
        """Apply ``change`` all or nothing; return the number of links newly marked suspect.

        Everything is validated and computed before the graph is touched; the in-memory writes
        that follow cannot fail half-way.

        Raises:
            ItemNotFound, LinkNotFound, InvalidLink: the change is refused; nothing changed.
        """
        plan = plan_change(change, self)
        stale = list(self._stale(plan))
        from rdflib import Graph

        staged = Graph()
        staged.parse(data="".join(codec.change_statements(plan.items.values(),
                                                          plan.links.values())),
                     format="turtle")
        graph = self.graph
        for triple in stale:
            graph.remove(triple)
        graph.addN((s, p, o, graph) for s, p, o in staged)
        return plan.newly_suspect

    def _stale(self, plan: WritePlan) -> Iterator[tuple[Any, Any, Any]]:
        item_props = {self._native(p) for p in v.ITEM_PROPERTIES}
        has_evidence = self._native(v.HAS_EVIDENCE)
        for item_id in plan.items:
            subject = self._native(v.item_iri(item_id))
            for p, o in self.graph.predicate_objects(subject):
                if p in item_props:
                    yield subject, p, o
        for key in (*plan.links, *plan.removed):
            node = self._native(v.link_iri(key))
            for p, o in list(self.graph.predicate_objects(node)):
                yield node, p, o
                if p == has_evidence:
                    for ep, eo in list(self.graph.predicate_objects(o)):
                        yield o, ep, eo
            source_iri, _, target_iri = codec.key_iris(key)
            source = self._native(source_iri)
            for p in list(self.graph.predicates(source, node)):
                yield source, p, node
            if key[1] is Relation.VERIFIED_BY:
                target = self._native(target_iri)
                for p in list(self.graph.predicates(source, target)):
                    if str(p) in v.VERIFICATION_FACETS:
                        yield source, p, target
        for key in plan.removed:
            s, p, o = codec.key_iris(key)
            yield self._native(s), self._native(p), self._native(o)

    # ------------------------------------------------------------------ TraceStore: reading

    def get_item(self, item_id: ItemId) -> TraceItem | None:
        """One item, or None."""
        iri = v.item_iri(item_id)
        props = self._props(iri)
        if v.RDF_TYPE not in props:
            return None
        item_props = set(v.ITEM_PROPERTIES)
        return codec.decode_item(iri, {p: vals for p, vals in props.items() if p in item_props})

    def items(self, kind: ItemKind | None = None) -> list[TraceItem]:
        """All items (of one kind), sorted by id."""
        classes = v.ITEM_CLASSES.values() if kind is None else [v.ITEM_CLASSES[kind]]
        rdf_type = self._native(v.RDF_TYPE)
        found = []
        for cls in classes:
            for subject in self.graph.subjects(rdf_type, self._native(cls)):
                item = self.get_item(ItemId(v.item_id_of(str(subject)) or ""))
                if item is not None:
                    found.append(item)
        found.sort(key=lambda item: item.id)
        return found

    def get_link(self, key: LinkKey) -> TraceLink | None:
        """One link with its evidence, or None."""
        if not self.has_link(key):
            return None
        props = self._props(v.link_iri(key))
        if not props:
            return codec.decode_link(key, None, {})
        evidence = {term.value: self._props(term.value) for term in props.get(v.HAS_EVIDENCE, ())}
        return codec.decode_link(key, props, evidence)

    def _all_keys(self) -> Iterator[LinkKey]:
        for predicate in v.RELATION_PREDICATES.values():
            for s, o in self.graph.subject_objects(self._native(predicate)):
                key = codec.link_key(str(s), predicate, str(o))
                if key is not None:
                    yield key

    def links(self) -> list[TraceLink]:
        """All links with their evidence, sorted by key."""
        found = []
        for key in sorted(self._all_keys()):
            link = self.get_link(key)
            if link is not None:
                found.append(link)
        return found

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

        Each facet is one pass over the triples of one predicate, the same aggregation the
        SPARQL store runs (:func:`adapters.rdf.queries.fold_coverage` folds both).
        """
        wanted = None if scope is None else set(scope)
        g = self.graph
        n = self._native

        def pairs(predicate: str) -> Iterator[tuple[str, str]]:
            for s, o in g.subject_objects(n(predicate)):
                yield str(s), str(o)

        answers: dict[str, Iterable[tuple[str | None, ...]]] = {
            "asil": list(pairs(v.ASIL_P)),
            "decomposition": list(pairs(v.DECOMPOSITION)),
            "failing": list(pairs(v.FAILED)),
        }
        for predicate in queries.FACET_PREDICATES:
            per_source: dict[str, int] = defaultdict(int)
            for source, _ in pairs(predicate):
                per_source[source] += 1
            answers[f"facet {predicate}"] = [(s, str(c)) for s, c in per_source.items()]
        parents = []
        for p in queries.DECOMPOSING_PREDICATES:
            for q, r in pairs(p):
                asil = g.value(n(q), n(v.ASIL_P))
                if asil is not None:
                    parents.append((r, str(asil)))
        answers["parents"] = parents
        return queries.fold_coverage(answers, wanted)

    def counts(self) -> dict[str, int]:
        """Number of items per kind and of links (key ``links``)."""
        rdf_type = self._native(v.RDF_TYPE)
        counted = {kind.value: sum(1 for _ in self.graph.subjects(rdf_type, self._native(cls)))
                   for kind, cls in v.ITEM_CLASSES.items()}
        counted["links"] = sum(1 for _ in self._all_keys())
        return counted

    def export_rdf(self, fmt: str) -> bytes:
        """The whole graph as ``turtle``, ``json-ld`` or ``n-triples``.

        Raises:
            InvalidInput: the format is none of those.
        """
        name = _FORMATS.get(fmt.lower())
        if name is None:
            raise InvalidInput(f"cannot export the trace graph as '{fmt}'; choose turtle, "
                               "json-ld or n-triples")
        try:
            data: bytes = self.graph.serialize(format=name, encoding="utf-8")
        except Exception as exc:  # rdflib plugins raise many unrelated types
            raise BackendUnavailable(f"trace store (rdflib) failed to export {fmt}: {exc}") \
                from exc
        return data

    def import_rdf(self, data: bytes, fmt: str) -> int:
        """Apply the items and links of an RDF document this vocabulary wrote, as one change.

        Raises:
            InvalidInput: the format is unknown or the document is not a trace graph.
        """
        name = _FORMATS.get(fmt.lower())
        if name is None:
            raise InvalidInput(f"cannot import '{fmt}'; choose turtle, json-ld or n-triples")
        staging = RdflibTraceStore()
        try:
            staging.graph.parse(data=data, format=name)
            change = TraceChange(items=staging.items(), links=staging.links())
        except Exception as exc:  # rdflib parsers raise many unrelated types
            raise InvalidInput(f"the {fmt} document is not a readable trace graph: {exc}") \
                from exc
        return self.apply(change)

    def close(self) -> None:
        """Drop the graph; later calls raise BackendUnavailable."""
        self._closed = True
