"""The default trace store: an embedded Oxigraph database, persistent on disk.

Oxigraph evaluates SPARQL in Rust over RocksDB indexes, so walks are property paths and
coverage is one aggregate query (see :mod:`edgedeploy.adapters.rdf.queries`). The graph is held in
the
compact internal form of :mod:`edgedeploy.adapters.rdf.codec` (three or four triples per
requirement, one
per artifact and link, one literal per source of links with state) and expanded to
OSLC/PROV-O only by ``export_rdf``. Every change is planned in Python first
(:mod:`edgedeploy.adapters.rdf.planning`, :mod:`edgedeploy.adapters.rdf.writes`) and then written
as one SPARQL
update, which Oxigraph applies in a single transaction: a change is stored whole or not at all.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgedeploy.adapters.rdf import codec, expanded, queries
from edgedeploy.adapters.rdf import vocabulary as v
from edgedeploy.adapters.rdf.codec import Iri, Lit, Term
from edgedeploy.adapters.rdf.planning import plan_change
from edgedeploy.adapters.rdf.writes import bulk_text, write_set
from edgedeploy.application.errors import BackendUnavailable, InvalidInput
from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.coverage import CoverageFacts
from edgedeploy.domain.requirements import ItemId, ItemKind, TraceItem
from edgedeploy.domain.trace_graph import ImpactReport, TraceView
from edgedeploy.domain.traceability import LinkKey, TraceLink

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

    def read_subject(self, iri: str) -> dict[str, list[Term]]:
        """All triples of one subject, as predicate -> objects."""
        with _driver_errors("read the trace graph"):
            return self._props(iri)

    def kinds(self, ids: Iterable[ItemId]) -> dict[ItemId, ItemKind]:
        """The kinds of those of ``ids`` that exist."""
        wanted = set(ids)
        found: dict[ItemId, ItemKind] = {}
        with _driver_errors("read item kinds"):
            if len(wanted) > _SCAN_THRESHOLD:
                for predicate, of_kind in v.KIND_OF_RECORD.items():
                    for quad in self.store.quads_for_pattern(None, self._named(predicate), None,
                                                             self._default):
                        item = v.item_id_of(_text(quad.subject))
                        if item in wanted:
                            found[item] = of_kind
                return found
            for item in wanted:
                for quad in self._quads(v.item_iri(item)):
                    kind = v.KIND_OF_RECORD.get(quad.predicate.value)
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
        try:
            deletes, inserts = write_set(plan, self.read_subject)
        except codec.UnreadableGraph as exc:
            raise BackendUnavailable(f"trace store (Oxigraph) holds unreadable data: {exc}") \
                from exc
        parts = []
        if deletes:
            parts.append(f"DELETE DATA {{\n{codec.ntriples(deletes)}}}")
        if inserts:
            parts.append(f"INSERT DATA {{\n{codec.ntriples(inserts)}}}")
        if parts:
            with _driver_errors("write a change"):
                self.store.update(" ;\n".join(parts))
        return plan.newly_suspect

    def bulk_import(self, change: TraceChange) -> int:
        """Load a large change into an empty store fast, without the atomicity of :meth:`apply`.

        The change is validated exactly as :meth:`apply` validates it, then its N-Triples are
        streamed through Oxigraph's bulk loader, which writes index files directly and so is
        not transactional: a crash part-way leaves part of the change. Meant for the first
        import of a whole requirements base or a benchmark; a store that already holds data
        gets :meth:`apply`.
        """
        with _driver_errors("check whether the store is empty"):
            empty = next(iter(self.store.quads_for_pattern(None, None, None)), None) is None
        if not empty or change.remove_links:
            return self.apply(change)
        plan = plan_change(change, self)
        text = bulk_text(plan)
        # One call: each call of the bulk loader writes index files of its own, and several
        # calls leave a larger store (measured: 69 MB instead of 47 MB at full benchmark size).
        with _driver_errors("bulk-load a change"):
            self.store.bulk_load(text.encode(),
                                 format=self._ox.RdfFormat.N_TRIPLES, to_graph=self._default)
        return plan.newly_suspect

    # ------------------------------------------------------------------ TraceStore: reading

    def get_item(self, item_id: ItemId) -> TraceItem | None:
        """One item, or None."""
        iri = v.item_iri(item_id)
        props = self.read_subject(iri)
        if codec.kind_of(props) is None:
            return None
        return self._decode_item(iri, props)

    @staticmethod
    def _decode_item(iri: str, props: Mapping[str, Sequence[Term]]) -> TraceItem:
        try:
            return codec.decode_item(iri, props)
        except codec.UnreadableGraph as exc:
            raise BackendUnavailable(f"trace store (Oxigraph) holds unreadable data: {exc}") \
                from exc

    def _by_predicate(self, predicate: str) -> Iterator[tuple[str, Term]]:
        for quad in self.store.quads_for_pattern(None, self._named(predicate), None,
                                                 self._default):
            yield _text(quad.subject), _term(quad.object)

    def items(self, kind: ItemKind | None = None) -> list[TraceItem]:
        """All items (of one kind), sorted by id."""
        kinds = list(ItemKind) if kind is None else [kind]
        props: dict[str, dict[str, list[Term]]] = defaultdict(dict)
        with _driver_errors("read items"):
            for k in kinds:
                for s, o in self._by_predicate(v.RECORD[k]):
                    props[s][v.RECORD[k]] = [o]
            if ItemKind.REQUIREMENT in kinds:
                for predicate in (v.ASIL_P, v.DECOMPOSITION):
                    for s, o in self._by_predicate(predicate):
                        if s in props:
                            props[s][predicate] = [o]
        items = [self._decode_item(iri, p) for iri, p in props.items()]
        items.sort(key=lambda item: item.id)
        return items

    def get_link(self, key: LinkKey) -> TraceLink | None:
        """One link with its evidence, or None."""
        if not self.has_link(key):
            return None
        with _driver_errors("read a link"):
            states = self._quads(v.item_iri(key[0]), v.LINK_STATE)
        for quad in states:
            found = self._decode_state(key[0], _text(quad.object)).get(key)
            if found is not None:
                return found
        return TraceLink(*key)

    @staticmethod
    def _decode_state(source: ItemId, text: str) -> dict[LinkKey, TraceLink]:
        try:
            return codec.decode_link_state(source, text)
        except codec.UnreadableGraph as exc:
            raise BackendUnavailable(f"trace store (Oxigraph) holds unreadable data: {exc}") \
                from exc

    def links(self) -> list[TraceLink]:
        """All links with their evidence, sorted by key."""
        found: dict[LinkKey, TraceLink] = {}
        with _driver_errors("read links"):
            for predicate in v.RELATION_PREDICATES.values():
                for s, o in self._by_predicate(predicate):
                    key = codec.link_key(s, predicate, o.value)
                    if key is not None:
                        found[key] = TraceLink(*key)
            for s, o in self._by_predicate(v.LINK_STATE):
                source = v.item_id_of(s)
                if source is not None:
                    found.update((k, link) for k, link in self._decode_state(source, o.value)
                                 .items() if k in found)
        return [found[key] for key in sorted(found)]

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
        """Coverage facts per requirement in ``scope`` (all when None), sorted by id.

        One aggregate query (:func:`edgedeploy.adapters.rdf.queries.coverage_queries`) answering
        with one
        JSON string of the requirements' coverage literals; a small scope adds a second one
        for the parents' ASILs.
        """
        wanted = None if scope is None else set(scope)
        if wanted is not None and not wanted:
            return []
        inline = None
        if wanted is not None and len(wanted) <= queries.SCOPE_INLINE_LIMIT:
            inline = sorted(v.item_iri(item) for item in wanted)
        q = queries.coverage_queries(inline)
        parents = None if "parents" not in q else [
            (str(iri), str(asil)) for iri, asil in self._json_answer(q["parents"])]
        try:
            return queries.fold_coverage(self._json_answer(q["requirements"]), parents, wanted)
        except codec.UnreadableGraph as exc:
            raise BackendUnavailable(f"trace store (Oxigraph) holds unreadable data: {exc}") \
                from exc

    def _json_answer(self, query: str) -> list[Any]:
        """The JSON array the single value of a one-row aggregate query spells."""
        rows = self._select(query)
        text = rows[0][0] if rows else None
        try:
            return [] if not text else list(json.loads(text))
        except ValueError as exc:
            raise BackendUnavailable(f"trace store (Oxigraph) gave an unreadable aggregate: "
                                     f"{exc}") from exc

    def counts(self) -> dict[str, int]:
        """Number of items per kind and of links (key ``links``)."""
        counted = {kind.value: 0 for kind in ItemKind}
        q = queries.counts_queries()
        for record, n in self._select(q["items"]):
            kind = v.KIND_OF_RECORD.get(record or "")
            if kind is not None:
                counted[kind.value] = int(n or 0)
        counted["links"] = int(self._select(q["links"])[0][0] or 0)
        return counted

    def export_rdf(self, fmt: str) -> bytes:
        """The whole graph in the published vocabulary as ``turtle``, ``json-ld`` or ``n-triples``.

        The compact internal form is expanded first (:mod:`edgedeploy.adapters.rdf.expanded`): one
        ``rdf:type`` and one triple per field for every item, and a reified link node with PROV
        records for every link that is suspect or carries evidence.

        Raises:
            InvalidInput: the format is none of those.
        """
        name = _FORMATS.get(fmt.lower())
        if name is None:
            raise InvalidInput(f"cannot export the trace graph as '{fmt}'; choose turtle, "
                               "json-ld or n-triples")
        text = codec.ntriples(expanded.document(self.items(), self.links()))
        if name == "N_TRIPLES":
            return text.encode()
        with _driver_errors(f"export {fmt}"):
            triples = self._ox.parse(text, format=self._ox.RdfFormat.N_TRIPLES)
            data = self._ox.serialize(triples, format=getattr(self._ox.RdfFormat, name),
                                      prefixes=v.PREFIXES)
        return data or b""

    def import_rdf(self, data: bytes, fmt: str) -> int:
        """Apply the items and links of a document in the published vocabulary, as one change.

        Returns:
            The number of links newly marked suspect (always 0: suspect flags come as data).

        Raises:
            InvalidInput: the format is unknown or the document is not a trace graph.
        """
        name = _FORMATS.get(fmt.lower())
        if name is None:
            raise InvalidInput(f"cannot import '{fmt}'; choose turtle, json-ld or n-triples")
        try:
            parsed = self._ox.parse(data, format=getattr(self._ox.RdfFormat, name))
            items, links = expanded.read_document(
                (_text(q.subject), q.predicate.value, _term(q.object)) for q in parsed)
        except (SyntaxError, ValueError, TypeError, KeyError, codec.UnreadableGraph) as exc:
            raise InvalidInput(f"the {fmt} document is not a readable trace graph: {exc}") \
                from exc
        return self.apply(TraceChange(items=items, links=links))

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
