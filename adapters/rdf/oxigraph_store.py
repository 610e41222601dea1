"""The default trace store: an embedded Oxigraph database, persistent on disk.

Oxigraph evaluates SPARQL in Rust over RocksDB indexes, so walks are property paths and
coverage is a few aggregate queries (see :mod:`adapters.rdf.queries`). Every change is planned
in Python first (:mod:`adapters.rdf.planning`) and then written as one SPARQL update, which
Oxigraph applies in a single transaction: a change is stored whole or not at all.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.rdf import codec, queries
from adapters.rdf import vocabulary as v
from adapters.rdf.codec import Iri, Lit, Term
from adapters.rdf.planning import WritePlan, plan_change
from application.errors import BackendUnavailable, InvalidInput
from application.ports.trace_store import TraceChange
from domain.coverage import CoverageFacts
from domain.requirements import ItemId, ItemKind, TraceItem
from domain.trace_graph import ImpactReport, TraceView
from domain.traceability import LinkKey, Relation, TraceLink

if TYPE_CHECKING:
    import pyoxigraph as ox

_FORMATS = {"turtle": "TURTLE", "json-ld": "JSON_LD", "n-triples": "N_TRIPLES",
            "ntriples": "N_TRIPLES", "nt": "N_TRIPLES"}
# Above this many ids, reading every item's type at once beats one lookup per id.
_SCAN_THRESHOLD = 2000


@contextlib.contextmanager
def _driver_errors(action: str) -> Iterator[None]:
    """Translate Oxigraph's exceptions into BackendUnavailable, naming what was being done."""
    try:
        yield
    except (OSError, RuntimeError, SyntaxError, ValueError, TypeError) as exc:
        raise BackendUnavailable(f"trace store (Oxigraph) failed to {action}: {exc}") from exc


def _term(node: Any) -> Term:
    import pyoxigraph as ox

    if isinstance(node, ox.Literal):
        return Lit(node.value, node.datatype.value)
    return Iri(node.value)


def _text(node: Any) -> str:
    return str(node.value)


def _value(node: Any) -> str | None:
    return None if node is None else str(node.value)


class OxigraphTraceStore:
    """Trace store on an embedded Oxigraph database (``path``), or in memory when None.

    Raises:
        BackendUnavailable: the directory cannot be opened, e.g. another process holds it.
    """

    def __init__(self, path: Path | None = None) -> None:
        import pyoxigraph as ox

        self._ox = ox
        self.path = path
        try:
            if path is None:
                self._store: ox.Store | None = ox.Store()
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            text = str(exc)
            if "lock" in text.lower():
                raise BackendUnavailable(
                    f"the trace store at {path} is already open in another process or store "
                    "object (its LOCK file is held); close that one first or point "
                    f"EDGEDEPLOY_TRACE_STORE_PATH elsewhere ({text})") from exc
            raise BackendUnavailable(f"cannot open the trace store at {path}: {text}") from exc
        self._default = ox.DefaultGraph()
        with _driver_errors("write the vocabulary declarations"):
            self.store.update(f"INSERT DATA {{\n{''.join(codec.schema_statements())}}}")

    # ------------------------------------------------------------------ plumbing

    @property
    def store(self) -> ox.Store:
        """The open Oxigraph store.

        Raises:
            BackendUnavailable: the store was closed.
        """
        if self._store is None:
            raise BackendUnavailable("the trace store is closed")
        return self._store

    def _named(self, iri: str) -> ox.NamedNode:
        return self._ox.NamedNode(iri)

    def _quads(self, subject: str, predicate: str | None = None,
               obj: ox.NamedNode | None = None) -> list[ox.Quad]:
        return list(self.store.quads_for_pattern(
            self._named(subject), None if predicate is None else self._named(predicate), obj,
            self._default))

    def _props(self, subject: str) -> dict[str, list[Term]]:
        props: dict[str, list[Term]] = defaultdict(list)
        for quad in self._quads(subject):
            props[quad.predicate.value].append(_term(quad.object))
        return props

    def _select(self, query: str) -> list[tuple[str | None, ...]]:
        with _driver_errors("answer a query"):
            solutions = self.store.query(query)
            width = len(solutions.variables)  # type: ignore[union-attr]
            return [tuple(_value(row[i]) for i in range(width))
                    for row in solutions]  # type: ignore[union-attr]

    # ------------------------------------------------------------------ StoreState for planning

    def kinds(self, ids: Iterable[ItemId]) -> dict[ItemId, ItemKind]:
        """The kinds of those of ``ids`` that exist."""
        wanted = set(ids)
        found: dict[ItemId, ItemKind] = {}
        with _driver_errors("read item kinds"):
            if len(wanted) > _SCAN_THRESHOLD:
                for quad in self.store.quads_for_pattern(None, self._named(v.RDF_TYPE), None,
                                                         self._default):
                    item = v.item_id_of(_text(quad.subject))
                    kind = v.KIND_OF_CLASS.get(_text(quad.object))
                    if item in wanted and kind is not None:
                        found[item] = kind
                return found
            for item in wanted:
                for quad in self._quads(v.item_iri(item), v.RDF_TYPE):
                    kind = v.KIND_OF_CLASS.get(_text(quad.object))
                    if kind is not None:
                        found[item] = kind
        return found

    def stored_out_links(self, item: ItemId) -> list[LinkKey]:
        """Keys of the stored links from ``item``."""
        with _driver_errors("read links"):
            keys = []
            source = v.item_iri(item)
            for quad in self._quads(source):
                key = codec.link_key(source, quad.predicate.value, _text(quad.object))
                if key is not None:
                    keys.append(key)
            return keys

    def stored_links_of(self, item: ItemId) -> list[LinkKey]:
        """Keys of the stored links from or to ``item``."""
        keys = self.stored_out_links(item)
        with _driver_errors("read links"):
            target = self._named(v.item_iri(item))
            for quad in self.store.quads_for_pattern(None, None, target, self._default):
                key = codec.link_key(_text(quad.subject), quad.predicate.value, target.value)
                if key is not None:
                    keys.append(key)
        return keys

    def has_link(self, key: LinkKey) -> bool:
        """True when the link is stored."""
        s, p, o = codec.key_iris(key)
        with _driver_errors("read a link"):
            return bool(self._quads(s, p, self._named(o)))

    # ------------------------------------------------------------------ TraceStore: writing

    def apply(self, change: TraceChange) -> int:
        """Apply ``change`` all or nothing; return the number of links newly marked suspect.

        Raises:
            ItemNotFound, LinkNotFound, InvalidLink: the change is refused; nothing was written.
            BackendUnavailable: the database failed; nothing was written.
        """
        plan = plan_change(change, self)
        with _driver_errors("read the state a change replaces"):
            deletes = self._stale_quads(plan)
        inserts = codec.change_statements(plan.items.values(), plan.links.values())
        parts = []
        if deletes:
            body = "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in deletes)
            parts.append(f"DELETE DATA {{\n{body}}}")
        if inserts:
            parts.append(f"INSERT DATA {{\n{''.join(inserts)}}}")
        if parts:
            with _driver_errors("write a change"):
                self.store.update(" ;\n".join(parts))
        return plan.newly_suspect

    def _stale_quads(self, plan: WritePlan) -> list[ox.Quad]:
        """Everything the plan's items and links replace, and the links it removes."""
        stale: list[ox.Quad] = []
        item_props = set(v.ITEM_PROPERTIES)
        for item_id in plan.items:
            stale += [q for q in self._quads(v.item_iri(item_id))
                      if q.predicate.value in item_props]
        for key in (*plan.links, *plan.removed):
            node = v.link_iri(key)
            node_quads = self._quads(node)
            stale += node_quads
            for quad in node_quads:
                if quad.predicate.value == v.HAS_EVIDENCE:
                    stale += self._quads(_text(quad.object))
            source, _, target = codec.key_iris(key)
            stale += self._quads(source, None, self._named(node))
            if key[1] is Relation.VERIFIED_BY:
                stale += [q for q in self._quads(source, None, self._named(target))
                          if q.predicate.value in v.VERIFICATION_FACETS]
        for key in plan.removed:
            s, p, o = codec.key_iris(key)
            stale += self._quads(s, p, self._named(o))
        return stale

    def bulk_import(self, change: TraceChange) -> int:
        """Load a large change into an empty store fast, without the atomicity of :meth:`apply`.

        The change is validated exactly as :meth:`apply` validates it, then streamed through
        Oxigraph's bulk loader, which writes index files directly and so is not transactional:
        a crash part-way leaves part of the change. Meant for the first import of a whole
        requirements base or a benchmark; a store that already holds data gets :meth:`apply`.
        """
        with _driver_errors("check whether the store is empty"):
            typed = self.store.quads_for_pattern(None, self._named(v.RDF_TYPE), None)
            empty = next(iter(typed), None) is None
        if not empty or change.remove_links:
            return self.apply(change)
        plan = plan_change(change, self)
        text = "".join(codec.change_statements(plan.items.values(), plan.links.values()))
        with _driver_errors("bulk-load a change"):
            self.store.bulk_load(text.encode(), format=self._ox.RdfFormat.TURTLE,
                                 to_graph=self._default)
        return plan.newly_suspect

    # ------------------------------------------------------------------ TraceStore: reading

    def get_item(self, item_id: ItemId) -> TraceItem | None:
        """One item, or None."""
        iri = v.item_iri(item_id)
        with _driver_errors("read an item"):
            props = self._props(iri)
        if v.RDF_TYPE not in props:
            return None
        return codec.decode_item(iri, props)

    def items(self, kind: ItemKind | None = None) -> list[TraceItem]:
        """All items (of one kind), sorted by id."""
        props: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        with _driver_errors("read items"):
            for row in self.store.query(queries.item_rows_query(kind)):  # type: ignore[union-attr]
                props[row[0].value][row[1].value].append(_term(row[2]))
        items = [codec.decode_item(iri, p) for iri, p in props.items()]
        items.sort(key=lambda item: item.id)
        return items

    def get_link(self, key: LinkKey) -> TraceLink | None:
        """One link with its evidence, or None."""
        if not self.has_link(key):
            return None
        node = v.link_iri(key)
        with _driver_errors("read a link"):
            props = self._props(node)
            if not props:
                return codec.decode_link(key, None, {})
            evidence = {term.value: self._props(term.value)
                        for term in props.get(v.HAS_EVIDENCE, ())}
        return codec.decode_link(key, props, evidence)

    def links(self) -> list[TraceLink]:
        """All links with their evidence, sorted by key."""
        nodes: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        records: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        keys: list[LinkKey] = []
        with _driver_errors("read links"):
            for s, p, o in self._select(queries.all_links_query()):
                key = codec.link_key(s or "", p or "", o or "")
                if key is not None:
                    keys.append(key)
            for row in self.store.query(queries.link_node_rows_query()):  # type: ignore[union-attr]
                nodes[row[0].value][row[1].value].append(_term(row[2]))
            for row in self.store.query(queries.evidence_rows_query()):  # type: ignore[union-attr]
                records[row[0].value][row[1].value].append(_term(row[2]))
        links = []
        for key in sorted(keys):
            node = nodes.get(v.link_iri(key))
            evidence = {} if node is None else {
                term.value: records[term.value] for term in node.get(v.HAS_EVIDENCE, ())}
            links.append(codec.decode_link(key, node, evidence))
        return links

    def forward(self, root: ItemId) -> TraceView:
        """Everything downstream of ``root``."""
        rows = self._select(queries.forward_query(v.item_iri(root)))
        return queries.trace_view(root, _triples(rows), forward=True)

    def backward(self, root: ItemId) -> TraceView:
        """Everything upstream of ``root``."""
        rows = self._select(queries.backward_query(v.item_iri(root)))
        return queries.trace_view(root, _triples(rows), forward=False)

    def impact(self, root: ItemId) -> ImpactReport:
        """Downstream items of ``root`` grouped by kind."""
        rows = self._select(queries.forward_query(v.item_iri(root), with_kinds=True))
        return queries.impact_report(root, ((s or "", p or "", o or "", k or "")
                                            for s, p, o, k in rows))

    def coverage_facts(self, scope: Iterable[ItemId] | None = None) -> list[CoverageFacts]:
        """Coverage facts per requirement in ``scope`` (all when None), sorted by id."""
        wanted = None if scope is None else set(scope)
        inline = None
        if wanted is not None and len(wanted) <= queries.SCOPE_INLINE_LIMIT:
            inline = sorted(v.item_iri(item) for item in wanted)
        if wanted is not None and not wanted:
            return []
        answers = {facet: self._select(query)
                   for facet, query in queries.coverage_queries(inline).items()}
        return queries.fold_coverage(answers, wanted)

    def counts(self) -> dict[str, int]:
        """Number of items per kind and of links (key ``links``)."""
        counted = {kind.value: 0 for kind in ItemKind}
        q = queries.counts_queries()
        for cls, n in self._select(q["items"]):
            kind = v.KIND_OF_CLASS.get(cls or "")
            if kind is not None:
                counted[kind.value] = int(n or 0)
        counted["links"] = int(self._select(q["links"])[0][0] or 0)
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
        rdf_format = getattr(self._ox.RdfFormat, name)
        with _driver_errors(f"export {fmt}"):
            data = self.store.dump(format=rdf_format, from_graph=self._default,
                                   prefixes=v.PREFIXES if name == "TURTLE" else None)
        return data or b""

    def import_rdf(self, data: bytes, fmt: str) -> int:
        """Apply the items and links of an RDF document this vocabulary wrote, as one change.

        Returns:
            The number of links newly marked suspect (always 0: suspect flags come as data).

        Raises:
            InvalidInput: the format is unknown or the document is not a trace graph.
        """
        name = _FORMATS.get(fmt.lower())
        if name is None:
            raise InvalidInput(f"cannot import '{fmt}'; choose turtle, json-ld or n-triples")
        staging = OxigraphTraceStore(None)
        try:
            staging.store.load(data, format=getattr(self._ox.RdfFormat, name),
                               to_graph=self._default)
            change = TraceChange(items=staging.items(), links=staging.links())
        except (SyntaxError, ValueError, codec.UnreadableGraph) as exc:
            raise InvalidInput(f"the {fmt} document is not a readable trace graph: {exc}") \
                from exc
        finally:
            staging.close()
        return self.apply(change)

    def flush(self) -> None:
        """Write buffered data to disk and compact it (before measuring size or copying)."""
        with _driver_errors("flush to disk"):
            self.store.flush()
            self.store.optimize()

    def close(self) -> None:
        """Release files and locks; later calls raise BackendUnavailable."""
        if self._store is not None and self.path is not None:
            with _driver_errors("flush to disk"), contextlib.suppress(OSError):
                self._store.flush()
        self._store = None


def _triples(rows: Sequence[tuple[str | None, ...]]) -> Iterator[tuple[str, str, str]]:
    for s, p, o in rows:
        yield s or "", p or "", o or ""
