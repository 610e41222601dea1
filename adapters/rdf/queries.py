"""The SPARQL the SPARQL-backed trace store runs, and the folding of its answers into facts.

How these queries are written matters more than the engine: walks are property paths over the
direct relation triples (never a join through link nodes), and coverage is two queries over
the requirements' compact ASIL and coverage literals for the whole scope, without negation
(no ``MINUS``/``FILTER NOT EXISTS``) and never one query per requirement. A scope of a few
requirements is pushed into the queries as a ``VALUES`` block instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Final

from edgedeploy.adapters.rdf import codec
from edgedeploy.adapters.rdf import vocabulary as v
from edgedeploy.domain.coverage import CoverageFacts
from edgedeploy.domain.requirements import ItemId, ItemKind
from edgedeploy.domain.trace_graph import ImpactReport, TraceView
from edgedeploy.domain.traceability import LinkKey, Relation

_ALL_RELATIONS: Final = " ".join(f"<{p}>" for p in v.RELATION_PREDICATES.values())
_IN_RELATIONS: Final = ", ".join(f"<{p}>" for p in v.RELATION_PREDICATES.values())
_PATH: Final = "|".join(f"<{p}>" for p in v.RELATION_PREDICATES.values())
_DECOMPOSING: Final = " ".join(f"<{v.RELATION_PREDICATES[r]}>"
                               for r in (Relation.DERIVES, Relation.REFINES))

DECOMPOSING_PREDICATES: Final = tuple(v.RELATION_PREDICATES[r]
                                      for r in (Relation.DERIVES, Relation.REFINES))

# A scope larger than this is answered over the whole graph and filtered afterwards: a long
# VALUES block costs more than the rows it saves.
SCOPE_INLINE_LIMIT: Final = 256
_RECORDS: Final = ", ".join(f"<{p}>" for p in v.RECORD.values())


def forward_query(root: str, with_kinds: bool = False) -> str:
    """Every link leaving ``root`` or anything downstream of it (with the target's record).

    The closure is a sub-select on purpose: written as one flat pattern, Oxigraph starts from
    every relation triple and evaluates the path once per triple (53 s instead of 20 ms on
    10,000 links). ``with_kinds`` adds the predicate of the target's record triple, which
    names its kind.
    """
    kind = f" ?o ?k ?record . FILTER(?k IN ({_RECORDS}))" if with_kinds else ""
    select = "?s ?p ?o ?k" if with_kinds else "?s ?p ?o"
    return (f"SELECT {select} WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ <{root}> ({_PATH})* ?s }} }}"
            f" ?s ?p ?o . FILTER(?p IN ({_IN_RELATIONS})){kind} }}")


def backward_query(root: str) -> str:
    """Every link entering ``root`` or anything upstream of it."""
    return (f"SELECT ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?o WHERE {{ ?o ({_PATH})* <{root}> }} }}"
            f" ?s ?p ?o . FILTER(?p IN ({_IN_RELATIONS})) }}")


def _scope(var: str, scope: Iterable[str] | None) -> str:
    if scope is None:
        return ""
    return f"VALUES ?{var} {{ {' '.join(f'<{iri}>' for iri in scope)} }} "


def coverage_queries(scope: Iterable[str] | None = None) -> dict[str, str]:
    """The aggregate queries behind ``coverage_facts``, each answering with one JSON string.

    ``requirements`` concatenates the coverage literals of the requirements (id, ASIL,
    decomposition, targets of their derives/refines links and the facts their outgoing links
    give, kept current by every write) into one JSON array. Over every requirement that is all
    the gap report needs: a requirement's parent ASILs are those of the literals that list it
    as a target. A ``scope`` (requirement IRIs, pushed in as a ``VALUES`` block) leaves the
    parents out, so ``parents`` concatenates (requirement IRI, parent ASIL) pairs for it.
    No query joins through links or evidence, uses negation or runs per requirement, and Python
    decodes one or two strings instead of tens of thousands of rows (Oxigraph looks up every
    IRI and long literal of an answer separately).
    """
    r = _scope("r", None if scope is None else list(scope))
    out = {"requirements": ('SELECT (CONCAT("[", GROUP_CONCAT(?c; separator=","), "]") AS ?all) '
                            f"WHERE {{ {r}?r <{v.COVERAGE}> ?c }}")}
    if scope is not None:
        out["parents"] = (
            'SELECT (CONCAT("[", GROUP_CONCAT(CONCAT("[\\"", STR(?r), "\\",\\"", ?a, '
            '"\\"]"); separator=","), "]") AS ?all) '
            f"WHERE {{ {r}VALUES ?p {{ {_DECOMPOSING} }} ?q ?p ?r . ?q <{v.ASIL_P}> ?a }}")
    return out


def counts_queries() -> dict[str, str]:
    """Items per kind (by record predicate), and the number of links."""
    records = " ".join(f"<{p}>" for p in v.RECORD.values())
    return {
        "items": (f"SELECT ?k (COUNT(*) AS ?n) WHERE {{ VALUES ?k {{ {records} }} ?s ?k ?r }} "
                  "GROUP BY ?k"),
        "links": f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?p {{ {_ALL_RELATIONS} }} ?s ?p ?o }}",
    }


# --------------------------------------------------------------------------- folding answers


def trace_view(root: ItemId, rows: Iterable[tuple[str, str, str]], *, forward: bool) -> TraceView:
    """A trace view from the (source, predicate, target) IRIs a walk query returned."""
    items: set[ItemId] = set()
    links: set[LinkKey] = set()
    for s, p, o in rows:
        source, target = v.item_id_of(s), v.item_id_of(o)
        if source is None or target is None:
            continue
        links.add((source, v.RELATION_OF_PREDICATE[p], target))
        items.add(target if forward else source)
    items.discard(root)
    return TraceView(root, tuple(sorted(items)), tuple(sorted(links)))


def impact_report(root: ItemId, rows: Iterable[tuple[str, str, str, str]]) -> ImpactReport:
    """An impact report from the rows of a forward walk that also returned record predicates."""
    groups: dict[ItemKind, set[ItemId]] = defaultdict(set)
    links: set[LinkKey] = set()
    for s, p, o, k in rows:
        source, target = v.item_id_of(s), v.item_id_of(o)
        kind = v.KIND_OF_RECORD.get(k)
        if source is None or target is None or kind is None:
            continue
        links.add((source, v.RELATION_OF_PREDICATE[p], target))
        if target != root:
            groups[kind].add(target)
    return ImpactReport(
        root=root,
        requirements=tuple(sorted(groups[ItemKind.REQUIREMENT])),
        tests=tuple(sorted(groups[ItemKind.TEST])),
        datasets=tuple(sorted(groups[ItemKind.DATASET])),
        models=tuple(sorted(groups[ItemKind.MODEL])),
        deployments=tuple(sorted(groups[ItemKind.DEPLOYMENT])),
        links=len(links),
    )


def fold_coverage(requirements: Iterable[Sequence[Any]],
                  parents: Iterable[tuple[str, str]] | None,
                  wanted: set[ItemId] | None) -> list[CoverageFacts]:
    """Coverage facts from decoded coverage literals.

    ``parents`` holds (requirement IRI, parent ASIL) pairs when ``requirements`` is a scoped
    subset; None means ``requirements`` holds every requirement, and the parents' ASILs are
    read from the targets each literal lists. ``wanted`` keeps only those requirements (None
    keeps all).

    Raises:
        UnreadableGraph: a coverage literal is unreadable.
    """
    rows = list(requirements)
    parent_asils: dict[ItemId, list[str]] = defaultdict(list)
    try:
        if parents is None:
            for row in rows:
                for child in row[3]:
                    parent_asils[ItemId(str(child))].append(str(row[1]))
        else:
            for iri, asil in parents:
                rid = v.item_id_of(iri)
                if rid is not None:
                    parent_asils[rid].append(asil)
        out = [codec.coverage_facts(row, parent_asils.get(ItemId(str(row[0])), ()))
               for row in rows if wanted is None or ItemId(str(row[0])) in wanted]
    except (IndexError, TypeError) as exc:
        raise codec.UnreadableGraph(f"unreadable coverage literal: {exc}") from exc
    out.sort(key=lambda facts: facts.requirement)
    return out
