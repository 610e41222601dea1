"""Translation between domain objects and triples, shared by every RDF trace store.

Triples are written as Turtle statements (one per node, also valid in SPARQL ``INSERT DATA``)
so that Oxigraph and rdflib hold the very same graph, and read back from a predicate -> values
map per node in store-neutral terms (:class:`Iri`, :class:`Lit`).

What is written, and why it stays small:

* an item is one node with one ``rdf:type`` and its non-default fields;
* a link is first of all its direct triple ``source relation target``, so that property paths
  walk the graph without joins;
* only a link with state (suspect, or evidence) also gets a link node reifying that triple
  (``rdf:subject/predicate/object``), its flags, and one PROV node per evidence record;
* the link's source carries coverage facets: ``trace:passedBy<Method>`` (or
  ``trace:passedVerification``) / ``trace:failedVerification`` pointing at the test when the
  latest test result or analysis passed / failed, and ``trace:hasSuspectLink``,
  ``trace:hasReviewedLink``, ``trace:hasIndependentlyReviewedLink`` pointing at the link node.
  They are derived from the evidence when the link is written, with the domain's own
  latest-wins rule, so that coverage is a few grouped scans over the requirements' own triples
  instead of a join through link nodes or a per-link "latest record" search.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from adapters.rdf import vocabulary as v
from domain.requirements import (
    Artifact,
    ItemKind,
    Requirement,
    RequirementLevel,
    TraceItem,
    item_kind,
)
from domain.safety import ASIL, DecomposedAsil
from domain.traceability import (
    Evidence,
    EvidenceKind,
    LinkKey,
    Relation,
    TraceLink,
    Verdict,
    VerificationMethod,
)


@dataclass(frozen=True, slots=True)
class Iri:
    """An IRI in object position."""

    value: str


@dataclass(frozen=True, slots=True)
class Lit:
    """A literal: its lexical form and datatype IRI."""

    value: str
    datatype: str = v.XSD_STRING


Term = Iri | Lit
Props = Mapping[str, Sequence[Term]]
Statement = str
"""One node's triples as ``<s> <p> o ; <p> o .``: valid Turtle and SPARQL ``INSERT DATA``."""

_VERIFYING = (EvidenceKind.TEST_RESULT, EvidenceKind.ANALYSIS)


class UnreadableGraph(ValueError):
    """Triples that do not describe a trace item or link as this vocabulary writes them."""


# --------------------------------------------------------------------------- writing
#
# Writing goes straight to text: a bulk import writes millions of triples, and building term
# objects for each one costs more than the database's own work.


def _iri(iri: str) -> str:
    return f"<{iri}>"


@functools.lru_cache(maxsize=1 << 16)
def _item(item_id: str) -> str:
    return f"<{v.item_iri(item_id)}>"


_TYPE, _TITLE, _TEXT, _ASIL, _LEVEL, _STATUS, _VERSION = map(_iri, (
    v.RDF_TYPE, v.TITLE, v.TEXT, v.ASIL_P, v.LEVEL, v.STATUS, v.VERSION))
_DECOMP, _PARENT, _POSITION, _ATTRS, _DIGEST = map(_iri, (
    v.DECOMPOSITION, v.DOC_PARENT, v.DOC_POSITION, v.ATTRIBUTES, v.DIGEST))
_SUBJ, _PRED, _OBJ, _SUSPECT, _HAS_EV = map(_iri, (
    v.RDF_SUBJECT, v.RDF_PREDICATE, v.RDF_OBJECT, v.SUSPECT, v.HAS_EVIDENCE))
_PASSED, _FAILED, _SUSPECT_LINK, _REVIEWED_LINK, _INDEP_REVIEWED_LINK = map(_iri, (
    v.PASSED, v.FAILED, v.SUSPECT_LINK, v.REVIEWED_LINK, v.INDEPENDENTLY_REVIEWED_LINK))
_PASSED_BY = {method: _iri(iri) for method, iri in v.PASSED_BY.items()}
_VERDICT, _AGENT, _AT, _EV_DIGEST, _METHOD, _INDEP, _NOTE = map(_iri, (
    v.VERDICT, v.ATTRIBUTED_TO, v.GENERATED_AT, v.EVIDENCE_DIGEST, v.METHOD, v.INDEPENDENT,
    v.NOTE))
_ITEM_CLASS = {kind: _iri(iri) for kind, iri in v.ITEM_CLASSES.items()}
_EV_CLASS = {kind: _iri(iri) for kind, iri in v.EVIDENCE_CLASSES.items()}
_REL = {rel: _iri(iri) for rel, iri in v.RELATION_PREDICATES.items()}
_INT = f"^^<{v.XSD_INTEGER}>"
_DT = f"^^<{v.XSD_DATETIME}>"
_JSON = f"^^<{v.RDF_JSON}>"
_TRUE = "true"


def _lit(text: str) -> str:
    return f'"{_escape(text)}"'


def _statement(subject: str, pairs: list[tuple[str, str]]) -> Statement:
    return f"{subject} " + " ;\n    ".join(f"{p} {o}" for p, o in pairs) + " .\n"


def item_statements(item: TraceItem) -> list[Statement]:
    """The triples describing one item (never its links)."""
    pairs = [(_TYPE, _ITEM_CLASS[item_kind(item)])]
    if item.title:
        pairs.append((_TITLE, _lit(item.title)))
    if isinstance(item, Requirement):
        pairs.append((_ASIL, _lit(item.asil.value)))
        if item.text:
            pairs.append((_TEXT, _lit(item.text)))
        pairs += [(_LEVEL, _lit(item.level.value)), (_STATUS, _lit(item.status)),
                  (_VERSION, f'"{item.version}"{_INT}')]
        if item.decomposition is not None:
            pairs.append((_DECOMP, _lit(str(item.decomposition))))
        if item.parent is not None:
            pairs.append((_PARENT, _item(item.parent)))
        if item.position:
            pairs.append((_POSITION, f'"{item.position}"{_INT}'))
    elif item.digest is not None:
        pairs.append((_DIGEST, _lit(item.digest)))
    if item.attributes:
        data = json.dumps([list(pair) for pair in item.attributes], ensure_ascii=False)
        pairs.append((_ATTRS, _lit(data) + _JSON))
    return [_statement(_item(item.id), pairs)]


def link_has_node(link: TraceLink) -> bool:
    """True when a link needs a node of its own (it is suspect or carries evidence)."""
    return link.suspect or bool(link.evidence)


def link_statements(link: TraceLink) -> list[Statement]:
    """The direct triple of a link, its coverage facets, and its node and evidence if any."""
    source, target, predicate = _item(link.source), _item(link.target), _REL[link.relation]
    out = [f"{source} {predicate} {target} .\n"]
    if not link_has_node(link):
        return out
    node = v.link_iri(link.key)
    pairs = [(_SUBJ, source), (_PRED, predicate), (_OBJ, target)]
    if link.suspect:
        pairs.append((_SUSPECT, _TRUE))
    for index, record in enumerate(link.evidence):
        ev = f"<{v.evidence_iri(node, index)}>"
        pairs.append((_HAS_EV, ev))
        out.append(_evidence_statement(ev, record))
    out.append(_statement(f"<{node}>", pairs))
    facets = _facets(link, target, f"<{node}>")
    if facets:
        out.append(_statement(source, facets))
    return out


def _evidence_statement(ev: str, record: Evidence) -> Statement:
    pairs = [(_TYPE, _EV_CLASS[record.kind]), (_VERDICT, _lit(record.verdict.value)),
             (_AGENT, _agent(record.agent)),
             (_AT, f'"{record.recorded_at.isoformat()}"{_DT}')]
    if record.artifact_digest is not None:
        pairs.append((_EV_DIGEST, _lit(record.artifact_digest)))
    if record.method is not None:
        pairs.append((_METHOD, _lit(record.method.value)))
    if record.independent:
        pairs.append((_INDEP, _TRUE))
    if record.note:
        pairs.append((_NOTE, _lit(record.note)))
    return _statement(ev, pairs)


@functools.lru_cache(maxsize=1024)
def _agent(agent: str) -> str:
    return f"<{v.agent_iri(agent)}>"


def _facets(link: TraceLink, target: str, node: str) -> list[tuple[str, str]]:
    """Coverage facets of a link, on its source: what the domain's rules conclude from it.

    The latest test result or analysis decides a verification (``max`` keeps the first of
    equal times, exactly as the domain's rule does); a passed review marks the link reviewed.
    """
    out: list[tuple[str, str]] = []
    if link.suspect:
        out.append((_SUSPECT_LINK, node))
    if link.relation is Relation.VERIFIED_BY:
        records = [e for e in link.evidence if e.kind in _VERIFYING]
        if records:
            latest = max(records, key=lambda e: e.recorded_at)
            if latest.verdict is Verdict.PASSED:
                out.append((_PASSED if latest.method is None else _PASSED_BY[latest.method],
                            target))
            elif latest.verdict is Verdict.FAILED:
                out.append((_FAILED, target))
    passed = [e for e in link.evidence
              if e.kind is EvidenceKind.REVIEW and e.verdict is Verdict.PASSED]
    if passed:
        out.append((_REVIEWED_LINK, node))
        if any(e.independent for e in passed):
            out.append((_INDEP_REVIEWED_LINK, node))
    return out


def schema_statements() -> list[Statement]:
    """The sub-property and sub-class declarations that tie our terms to OSLC and PROV-O.

    Stores hold them so that every export is self-describing for RDFS-aware tools.
    """
    return [f"<{s}> <{p}> <{o}> .\n" for s, p, o in v.SCHEMA]


def change_statements(items: Iterable[TraceItem], links: Iterable[TraceLink]) -> list[Statement]:
    """Everything a set of items and links writes."""
    out: list[Statement] = []
    for item in items:
        out += item_statements(item)
    for link in links:
        out += link_statements(link)
    return out


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
            "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]')


def _escape_one(match: re.Match[str]) -> str:
    ch = match.group()
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04X}"


def _escape(text: str) -> str:
    """``text`` as the inside of a Turtle/SPARQL string literal."""
    return _NEEDS_ESCAPE.sub(_escape_one, text)


# --------------------------------------------------------------------------- reading


def _one(props: Props, predicate: str, subject: str) -> Term:
    values = props.get(predicate, ())
    if len(values) != 1:
        raise UnreadableGraph(f"{subject} has {len(values)} values for {predicate}, expected 1")
    return values[0]


def _opt(props: Props, predicate: str) -> Term | None:
    values = props.get(predicate, ())
    return values[0] if values else None


def _text(term: Term | None, default: str = "") -> str:
    return default if term is None else term.value


def _attributes(term: Term | None) -> tuple[tuple[str, str], ...]:
    if term is None:
        return ()
    return tuple((str(key), str(value)) for key, value in json.loads(term.value))


def decode_item(iri: str, props: Props) -> TraceItem:
    """The item a node describes.

    Raises:
        UnreadableGraph: the node is not an item as :func:`item_triples` writes one.
    """
    item_id = v.item_id_of(iri)
    if item_id is None:
        raise UnreadableGraph(f"{iri} does not name a trace item")
    cls = _one(props, v.RDF_TYPE, iri).value
    title = _text(_opt(props, v.TITLE))
    attributes = _attributes(_opt(props, v.ATTRIBUTES))
    if cls == v.ITEM_CLASSES[ItemKind.REQUIREMENT]:
        decomposition = _opt(props, v.DECOMPOSITION)
        parent = _opt(props, v.DOC_PARENT)
        position = _opt(props, v.DOC_POSITION)
        return Requirement(
            id=item_id,
            title=title,
            asil=ASIL(_one(props, v.ASIL_P, iri).value),
            text=_text(_opt(props, v.TEXT)),
            level=RequirementLevel(_one(props, v.LEVEL, iri).value),
            status=_one(props, v.STATUS, iri).value,
            version=int(_one(props, v.VERSION, iri).value),
            decomposition=None if decomposition is None else DecomposedAsil.parse(
                decomposition.value),
            parent=None if parent is None else v.item_id_of(parent.value),
            position=0 if position is None else int(position.value),
            attributes=attributes,
        )
    kind = v.ARTIFACT_KIND_OF_CLASS.get(cls)
    if kind is None:
        raise UnreadableGraph(f"{iri} has type {cls}, which is no trace item class")
    digest = _opt(props, v.DIGEST)
    return Artifact(id=item_id, kind=kind, title=title,
                    digest=None if digest is None else digest.value, attributes=attributes)


def decode_evidence(iri: str, props: Props) -> Evidence:
    """The evidence record an evidence node describes."""
    cls = _one(props, v.RDF_TYPE, iri).value
    kind = v.EVIDENCE_KIND_OF_CLASS.get(cls)
    if kind is None:
        raise UnreadableGraph(f"{iri} has type {cls}, which is no evidence class")
    digest = _opt(props, v.EVIDENCE_DIGEST)
    method = _opt(props, v.METHOD)
    independent = _opt(props, v.INDEPENDENT)
    return Evidence(
        kind=kind,
        verdict=Verdict(_one(props, v.VERDICT, iri).value),
        agent=v.agent_of(_one(props, v.ATTRIBUTED_TO, iri).value),
        recorded_at=datetime.fromisoformat(_one(props, v.GENERATED_AT, iri).value),
        artifact_digest=None if digest is None else digest.value,
        method=None if method is None else VerificationMethod(method.value),
        independent=independent is not None and independent.value in ("true", "1"),
        note=_text(_opt(props, v.NOTE)),
    )


def decode_link(key: LinkKey, node: Props | None,
                evidence: Mapping[str, Props]) -> TraceLink:
    """A link from its key, its node's properties (None when it has no node) and its records.

    ``evidence`` maps each evidence IRI of the node to that record's properties.
    """
    if node is None:
        return TraceLink(*key)
    suspect = _opt(node, v.SUSPECT)
    ordered = sorted(evidence.items(), key=lambda pair: v.evidence_index(pair[0]))
    return TraceLink(*key, evidence=tuple(decode_evidence(iri, props) for iri, props in ordered),
                     suspect=suspect is not None and suspect.value in ("true", "1"))


def link_key(source_iri: str, predicate: str, target_iri: str) -> LinkKey | None:
    """The key of the link a direct triple states, or None when it states no link."""
    relation = v.RELATION_OF_PREDICATE.get(predicate)
    if relation is None:
        return None
    source, target = v.item_id_of(source_iri), v.item_id_of(target_iri)
    if source is None or target is None:
        return None
    return (source, relation, target)


def key_iris(key: LinkKey) -> tuple[str, str, str]:
    """Source IRI, predicate IRI and target IRI of a link's direct triple."""
    return v.item_iri(key[0]), v.RELATION_PREDICATES[key[1]], v.item_iri(key[2])
