"""Translation between domain objects and triples, shared by every RDF trace store.

Triples are written with store-neutral terms (:class:`Iri`, :class:`Lit`) so that Oxigraph and
rdflib hold the very same graph, and read back from a predicate -> values map per node.

What is written, and why it stays small:

* an item is one node with one ``rdf:type`` and its non-default fields;
* a link is first of all its direct triple ``source relation target``, so that property paths
  walk the graph without joins;
* only a link with state (suspect, or evidence) also gets a link node reifying that triple
  (``rdf:subject/predicate/object``), its flags, and one PROV node per evidence record;
* a ``verified_by`` link node carries the verdict and method of its latest test result or
  analysis (``trace:latestVerdict``/``trace:latestMethod``), and any link node with a passed
  review carries ``trace:reviewed`` (and ``trace:independentlyReviewed``). These are derived
  from the evidence when the link is written, with the domain's own latest-wins rule, so that
  coverage is a handful of aggregate queries instead of a per-link "latest record" search.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from adapters.rdf import vocabulary as v
from domain.requirements import (
    Artifact,
    ItemId,
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
Triple = tuple[str, str, Term]
Props = Mapping[str, Sequence[Term]]

_TRUE = Lit("true", v.XSD_BOOLEAN)
_VERIFYING = (EvidenceKind.TEST_RESULT, EvidenceKind.ANALYSIS)


class UnreadableGraph(ValueError):
    """Triples that do not describe a trace item or link as this vocabulary writes them."""


# --------------------------------------------------------------------------- writing


def item_triples(item: TraceItem) -> list[Triple]:
    """The triples describing one item (never its links)."""
    s = v.item_iri(item.id)
    out: list[Triple] = [(s, v.RDF_TYPE, Iri(v.ITEM_CLASSES[item_kind(item)]))]
    if item.title:
        out.append((s, v.TITLE, Lit(item.title)))
    if isinstance(item, Requirement):
        out.append((s, v.ASIL_P, Lit(item.asil.value)))
        if item.text:
            out.append((s, v.TEXT, Lit(item.text)))
        out.append((s, v.LEVEL, Lit(item.level.value)))
        out.append((s, v.STATUS, Lit(item.status)))
        out.append((s, v.VERSION, Lit(str(item.version), v.XSD_INTEGER)))
        if item.decomposition is not None:
            out.append((s, v.DECOMPOSITION, Lit(str(item.decomposition))))
        if item.parent is not None:
            out.append((s, v.DOC_PARENT, Iri(v.item_iri(item.parent))))
        if item.position:
            out.append((s, v.DOC_POSITION, Lit(str(item.position), v.XSD_INTEGER)))
    elif item.digest is not None:
        out.append((s, v.DIGEST, Lit(item.digest)))
    if item.attributes:
        out.append((s, v.ATTRIBUTES, Lit(json.dumps([list(pair) for pair in item.attributes],
                                                    ensure_ascii=False), v.RDF_JSON)))
    return out


def link_has_node(link: TraceLink) -> bool:
    """True when a link needs a node of its own (it is suspect or carries evidence)."""
    return link.suspect or bool(link.evidence)


def link_triples(link: TraceLink) -> list[Triple]:
    """The direct triple of a link, plus its node and evidence when it has any."""
    source = v.item_iri(link.source)
    target = v.item_iri(link.target)
    predicate = v.RELATION_PREDICATES[link.relation]
    out: list[Triple] = [(source, predicate, Iri(target))]
    if not link_has_node(link):
        return out
    node = v.link_iri(link.key)
    out += [(node, v.RDF_SUBJECT, Iri(source)), (node, v.RDF_PREDICATE, Iri(predicate)),
            (node, v.RDF_OBJECT, Iri(target))]
    if link.suspect:
        out.append((node, v.SUSPECT, _TRUE))
    for index, record in enumerate(link.evidence):
        ev = v.evidence_iri(node, index)
        out.append((node, v.HAS_EVIDENCE, Iri(ev)))
        out += _evidence_triples(ev, record)
    out += _derived_triples(node, link)
    return out


def _evidence_triples(ev: str, record: Evidence) -> list[Triple]:
    out: list[Triple] = [
        (ev, v.RDF_TYPE, Iri(v.EVIDENCE_CLASSES[record.kind])),
        (ev, v.VERDICT, Lit(record.verdict.value)),
        (ev, v.ATTRIBUTED_TO, Iri(v.agent_iri(record.agent))),
        (ev, v.GENERATED_AT, Lit(record.recorded_at.isoformat(), v.XSD_DATETIME)),
    ]
    if record.artifact_digest is not None:
        out.append((ev, v.EVIDENCE_DIGEST, Lit(record.artifact_digest)))
    if record.method is not None:
        out.append((ev, v.METHOD, Lit(record.method.value)))
    if record.independent:
        out.append((ev, v.INDEPENDENT, _TRUE))
    if record.note:
        out.append((ev, v.NOTE, Lit(record.note)))
    return out


def _derived_triples(node: str, link: TraceLink) -> list[Triple]:
    out: list[Triple] = []
    if link.relation is Relation.VERIFIED_BY:
        records = [e for e in link.evidence if e.kind in _VERIFYING]
        if records:
            # max() keeps the first of equal times, exactly as the domain's rule does.
            latest = max(records, key=lambda e: e.recorded_at)
            out.append((node, v.LATEST_VERDICT, Lit(latest.verdict.value)))
            if latest.method is not None:
                out.append((node, v.LATEST_METHOD, Lit(latest.method.value)))
    passed = [e for e in link.evidence
              if e.kind is EvidenceKind.REVIEW and e.verdict is Verdict.PASSED]
    if passed:
        out.append((node, v.REVIEWED, _TRUE))
        if any(e.independent for e in passed):
            out.append((node, v.INDEPENDENTLY_REVIEWED, _TRUE))
    return out


def nt_term(term: Term | str) -> str:
    """A term (or a subject/predicate IRI given as text) in N-Triples syntax."""
    if isinstance(term, str):
        return f"<{term}>"
    if isinstance(term, Iri):
        return f"<{term.value}>"
    text = _escape(term.value)
    if term.datatype == v.XSD_STRING:
        return f'"{text}"'
    return f'"{text}"^^<{term.datatype}>'


def nt_lines(triples: Iterable[Triple]) -> str:
    """Triples as an N-Triples document."""
    return "".join(f"<{s}> <{p}> {nt_term(o)} .\n" for s, p, o in triples)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
            "\f": "\\f"}


def _escape(text: str) -> str:
    if not any(ch in _ESCAPES or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return text
    parts = []
    for ch in text:
        if ch in _ESCAPES:
            parts.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            parts.append(f"\\u{ord(ch):04X}")
        else:
            parts.append(ch)
    return "".join(parts)


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


def sort_ids(ids: Iterable[ItemId]) -> tuple[ItemId, ...]:
    """Item ids in the order every answer uses."""
    return tuple(sorted(ids))
