"""The SPARQL the SPARQL-backed trace store runs, and the folding of its answers into facts.

How these queries are written matters more than the engine: walks are property paths over the
direct relation triples (never a join through link nodes), and coverage is a handful of
aggregate queries over the whole scope, without negation (no ``MINUS``/``FILTER NOT EXISTS``)
and never one query per requirement. A scope of a few requirements is pushed into the queries
as a ``VALUES`` block instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from adapters.rdf import vocabulary as v
from domain.coverage import CoverageFacts
from domain.requirements import ItemId, ItemKind
from domain.safety import ASIL, DecomposedAsil
from domain.trace_graph import ImpactReport, TraceView
from domain.traceability import LinkKey, Relation, VerificationMethod

_ALL_RELATIONS: Final = " ".join(f"<{p}>" for p in v.RELATION_PREDICATES.values())
_IN_RELATIONS: Final = ", ".join(f"<{p}>" for p in v.RELATION_PREDICATES.values())
_PATH: Final = "|".join(f"<{p}>" for p in v.RELATION_PREDICATES.values())
_DECOMPOSING: Final = " ".join(f"<{v.RELATION_PREDICATES[r]}>"
                               for r in (Relation.DERIVES, Relation.REFINES))

DECOMPOSING_PREDICATES: Final = tuple(v.RELATION_PREDICATES[r]
                                      for r in (Relation.DERIVES, Relation.REFINES))
OUTGOING_PREDICATES: Final = (*DECOMPOSING_PREDICATES,
                              *(v.RELATION_PREDICATES[r]
                                for r in (Relation.SATISFIED_BY, Relation.IMPLEMENTED_BY)))

# A scope larger than this is answered over the whole graph and filtered afterwards: a long
# VALUES block costs more than the rows it saves.
SCOPE_INLINE_LIMIT: Final = 256


def forward_query(root: str, with_kinds: bool = False) -> str:
    """Every link leaving ``root`` or anything downstream of it (with the target's class).

    The closure is a sub-select on purpose: written as one flat pattern, Oxigraph starts from
    every relation triple and evaluates the path once per triple (53 s instead of 20 ms on
    10,000 links).
    """
    kind = " ?o a ?k ." if with_kinds else ""
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


FACET_PREDICATES: Final = (*OUTGOING_PREDICATES, v.PASSED, *v.PASSED_BY.values(), v.FAILED,
                           v.SUSPECT_LINK, v.REVIEWED_LINK, v.INDEPENDENTLY_REVIEWED_LINK)


def coverage_queries(scope: Iterable[str] | None = None) -> dict[str, str]:
    """The aggregate queries behind ``coverage_facts``, keyed by what they answer.

    Each facet query is one grouped scan of a single predicate of the requirements' own
    outgoing triples (relations, plus the coverage facets written with each link): no join,
    and one row per requirement that has the facet. Measured on 10,000 requirements, fifteen
    such queries together take about half as long as one query grouping by requirement *and*
    predicate over a ``VALUES`` list of the predicates (Oxigraph joins the ``VALUES`` block
    row by row, and every extra answer row costs Python-side decoding). ``scope``
    (requirement IRIs) restricts every query with a ``VALUES`` block; None asks about every
    requirement.
    """
    iris = None if scope is None else list(scope)
    r = _scope("r", iris)
    out = {
        "asil": f"SELECT ?r ?a WHERE {{ {r}?r <{v.ASIL_P}> ?a }}",
        "decomposition": f"SELECT ?r ?d WHERE {{ {r}?r <{v.DECOMPOSITION}> ?d }}",
        "failing": f"SELECT ?r ?t WHERE {{ {r}?r <{v.FAILED}> ?t }}",
        "parents": (
            f"SELECT ?r ?a WHERE {{ {r}VALUES ?p {{ {_DECOMPOSING} }} ?q ?p ?r . "
            f"?q <{v.ASIL_P}> ?a }}"),
    }
    for predicate in FACET_PREDICATES:
        out[f"facet {predicate}"] = (
            f"SELECT ?r (COUNT(*) AS ?n) WHERE {{ {r}?r <{predicate}> ?o }} GROUP BY ?r")
    return out


def counts_queries() -> dict[str, str]:
    """Items per class, and the number of links."""
    classes = " ".join(f"<{c}>" for c in v.ITEM_CLASSES.values())
    return {
        "items": (f"SELECT ?c (COUNT(?s) AS ?n) WHERE {{ VALUES ?c {{ {classes} }} ?s a ?c }} "
                  "GROUP BY ?c"),
        "links": f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?p {{ {_ALL_RELATIONS} }} ?s ?p ?o }}",
    }


def all_links_query() -> str:
    """Every direct relation triple."""
    return f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {_ALL_RELATIONS} }} ?s ?p ?o }}"


def item_rows_query(kind: ItemKind | None) -> str:
    """Every property of every item (of one kind)."""
    classes = v.ITEM_CLASSES.values() if kind is None else [v.ITEM_CLASSES[kind]]
    props = " ".join(f"<{p}>" for p in v.ITEM_PROPERTIES)
    return (f"SELECT ?s ?p ?o WHERE {{ VALUES ?c {{ {' '.join(f'<{c}>' for c in classes)} }} "
            f"?s a ?c . VALUES ?p {{ {props} }} ?s ?p ?o }}")


def link_node_rows_query() -> str:
    """Every property of every link node."""
    return f"SELECT ?l ?p ?o WHERE {{ ?l <{v.RDF_SUBJECT}> ?x . ?l ?p ?o }}"


def evidence_rows_query() -> str:
    """Every property of every evidence node."""
    return f"SELECT ?e ?p ?o WHERE {{ ?l <{v.HAS_EVIDENCE}> ?e . ?e ?p ?o }}"


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
    """An impact report from the rows of a forward walk that also returned target classes."""
    groups: dict[ItemKind, set[ItemId]] = defaultdict(set)
    links: set[LinkKey] = set()
    for s, p, o, k in rows:
        source, target = v.item_id_of(s), v.item_id_of(o)
        kind = v.KIND_OF_CLASS.get(k)
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


@dataclass(slots=True)
class _Facts:
    asil: ASIL
    decomposition: DecomposedAsil | None
    children: int = 0
    realizations: int = 0
    passing: int = 0
    methods: set[VerificationMethod] = field(default_factory=set)
    failing: list[ItemId] = field(default_factory=list)
    reviews: int = 0
    independent: int = 0
    suspect: int = 0
    parents: list[ASIL] = field(default_factory=list)


_DECOMPOSING_P: Final = frozenset(DECOMPOSING_PREDICATES)
_REALIZING_P: Final = frozenset(OUTGOING_PREDICATES) - _DECOMPOSING_P
_PASSED_P: Final = frozenset({v.PASSED, *v.PASSED_BY.values()})


def _count(facts: _Facts, predicate: str, count: int) -> None:
    if predicate in _DECOMPOSING_P:
        facts.children += count
    elif predicate in _REALIZING_P:
        facts.realizations += count
    elif predicate in _PASSED_P:
        facts.passing += count
        method = v.METHOD_OF_PASSED.get(predicate)
        if method is not None:
            facts.methods.add(method)
    elif predicate == v.SUSPECT_LINK:
        facts.suspect += count
    elif predicate == v.REVIEWED_LINK:
        facts.reviews += count
    elif predicate == v.INDEPENDENTLY_REVIEWED_LINK:
        facts.independent += count


def fold_coverage(answers: Mapping[str, Iterable[tuple[str | None, ...]]],
                  wanted: set[ItemId] | None) -> list[CoverageFacts]:
    """Coverage facts from the answers to :func:`coverage_queries` (values as plain text).

    Only items with an ASIL are requirements; ``wanted`` keeps only those requirements (None
    keeps all).
    """
    by_iri: dict[str, _Facts] = {}
    ids: dict[str, ItemId] = {}
    for r, asil in answers["asil"]:
        rid = None if r is None or asil is None else v.item_id_of(r)
        if r is None or asil is None or rid is None or (wanted is not None and rid not in wanted):
            continue
        ids[r] = rid
        by_iri[r] = _Facts(ASIL(asil), None)
    for r, dec in answers["decomposition"]:
        facts = by_iri.get(r or "")
        if facts is not None and dec is not None:
            facts.decomposition = DecomposedAsil.parse(dec)
    for predicate in FACET_PREDICATES:
        for r, n in answers[f"facet {predicate}"]:
            facts = by_iri.get(r or "")
            if facts is not None and n is not None:
                _count(facts, predicate, int(n))
    for r, t in answers["failing"]:
        facts = by_iri.get(r or "")
        target = v.item_id_of(t or "")
        if facts is not None and target is not None:
            facts.failing.append(target)
    for r, a in answers["parents"]:
        facts = by_iri.get(r or "")
        if facts is not None and a is not None:
            facts.parents.append(ASIL(a))
    out = [
        CoverageFacts(
            requirement=ids[iri], asil=f.asil, decomposition=f.decomposition,
            children=f.children, realizations=f.realizations,
            passing_verifications=f.passing, methods=tuple(sorted(f.methods)),
            failing_tests=tuple(sorted(f.failing)), reviews=f.reviews,
            independent_reviews=f.independent, suspect_links=f.suspect,
            parent_asils=tuple(sorted(f.parents)))
        for iri, f in by_iri.items()]
    out.sort(key=lambda facts: facts.requirement)
    return out
