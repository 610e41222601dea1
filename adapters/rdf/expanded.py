"""The published form of the trace graph: OSLC RM/QM and PROV-O, one triple per fact.

The stores hold a compact internal form (:mod:`edgedeploy.adapters.rdf.codec`); ``export_rdf``
writes this
form instead, so that any RDF tool reads requirements as ``oslc_rm:Requirement``, tests as
``oslc_qm:TestCase``, and every evidence record as a PROV entity on a reified link
(``docs/vocabulary.md``). ``import_rdf`` reads it back with :func:`read_document`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from edgedeploy.adapters.rdf import vocabulary as v
from edgedeploy.adapters.rdf.codec import Iri, Lit, Props, Term, Triple, UnreadableGraph, link_key
from edgedeploy.domain.requirements import (
    Artifact,
    ItemKind,
    Requirement,
    RequirementLevel,
    TraceItem,
    item_kind,
)
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.traceability import Evidence, LinkKey, TraceLink, Verdict, VerificationMethod

_TRUE = Lit("true", v.XSD_BOOLEAN)

SIGNATURE = f"{v.TRACE}signature"
"""The recording server's signature over an evidence record (base64 Ed25519)."""
SIGNING_KEY = f"{v.TRACE}signingKey"
"""The id (``sha256:`` of the public key) of the key that signed an evidence record."""


def schema_triples() -> list[Triple]:
    """The sub-property and sub-class declarations that tie our terms to OSLC and PROV-O."""
    return [(s, p, Iri(o)) for s, p, o in v.SCHEMA]


def item_triples(item: TraceItem) -> list[Triple]:
    """One item as ``rdf:type`` plus one triple per non-default field."""
    s = v.item_iri(item.id)
    out: list[Triple] = [(s, v.RDF_TYPE, Iri(v.ITEM_CLASSES[item_kind(item)]))]
    if item.title:
        out.append((s, v.TITLE, Lit(item.title)))
    if isinstance(item, Requirement):
        out += [(s, v.ASIL_P, Lit(item.asil.value)), (s, v.LEVEL, Lit(item.level.value)),
                (s, v.STATUS, Lit(item.status)),
                (s, v.VERSION, Lit(str(item.version), v.XSD_INTEGER))]
        if item.text:
            out.append((s, v.TEXT, Lit(item.text)))
        if item.decomposition is not None:
            out.append((s, v.DECOMPOSITION, Lit(str(item.decomposition))))
        if item.parent is not None:
            out.append((s, v.DOC_PARENT, Iri(v.item_iri(item.parent))))
        if item.position:
            out.append((s, v.DOC_POSITION, Lit(str(item.position), v.XSD_INTEGER)))
    else:
        if item.digest is not None:
            out.append((s, v.DIGEST, Lit(item.digest)))
        if item.recorded_by is not None:
            out.append((s, v.ATTRIBUTED_TO, Iri(v.agent_iri(item.recorded_by))))
    if item.attributes:
        data = json.dumps([list(pair) for pair in item.attributes], ensure_ascii=False)
        out.append((s, v.ATTRIBUTES, Lit(data, v.RDF_JSON)))
    return out


def link_triples(link: TraceLink) -> list[Triple]:
    """The direct triple of a link, and its reifying node and PROV records when it has state."""
    source, predicate, target = (v.item_iri(link.source), v.RELATION_PREDICATES[link.relation],
                                 v.item_iri(link.target))
    out: list[Triple] = [(source, predicate, Iri(target))]
    if not (link.suspect or link.evidence):
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
    return out


def _evidence_triples(ev: str, record: Evidence) -> list[Triple]:
    out: list[Triple] = [
        (ev, v.RDF_TYPE, Iri(v.EVIDENCE_CLASSES[record.kind])),
        (ev, v.VERDICT, Lit(record.verdict.value)),
        (ev, v.ATTRIBUTED_TO, Iri(v.agent_iri(record.agent))),
        (ev, v.GENERATED_AT, Lit(record.recorded_at.isoformat(), v.XSD_DATETIME))]
    if record.artifact_digest is not None:
        out.append((ev, v.EVIDENCE_DIGEST, Lit(record.artifact_digest)))
    if record.method is not None:
        out.append((ev, v.METHOD, Lit(record.method.value)))
    if record.independent:
        out.append((ev, v.INDEPENDENT, _TRUE))
    if record.note:
        out.append((ev, v.NOTE, Lit(record.note)))
    if record.signature is not None:
        out.append((ev, SIGNATURE, Lit(record.signature)))
    if record.key_id is not None:
        out.append((ev, SIGNING_KEY, Lit(record.key_id)))
    return out


def document(items: Iterable[TraceItem], links: Iterable[TraceLink]) -> list[Triple]:
    """The whole published graph of these items and links, schema declarations first."""
    out = schema_triples()
    for item in items:
        out += item_triples(item)
    for link in links:
        out += link_triples(link)
    return out


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


def _flag(term: Term | None) -> bool:
    return term is not None and term.value in ("true", "1")


def decode_item(iri: str, props: Props) -> TraceItem:
    """The item a node of the published form describes.

    Raises:
        UnreadableGraph: the node is no item as :func:`item_triples` writes one.
    """
    item_id = v.item_id_of(iri)
    if item_id is None:
        raise UnreadableGraph(f"{iri} does not name a trace item")
    cls = _one(props, v.RDF_TYPE, iri).value
    title = _text(_opt(props, v.TITLE))
    attrs = _opt(props, v.ATTRIBUTES)
    attributes = () if attrs is None else tuple(
        (str(k), str(val)) for k, val in json.loads(attrs.value))
    if cls == v.ITEM_CLASSES[ItemKind.REQUIREMENT]:
        decomposition = _opt(props, v.DECOMPOSITION)
        parent = _opt(props, v.DOC_PARENT)
        position = _opt(props, v.DOC_POSITION)
        return Requirement(
            id=item_id, title=title, asil=ASIL(_one(props, v.ASIL_P, iri).value),
            text=_text(_opt(props, v.TEXT)),
            level=RequirementLevel(_one(props, v.LEVEL, iri).value),
            status=_one(props, v.STATUS, iri).value,
            version=int(_one(props, v.VERSION, iri).value),
            decomposition=None if decomposition is None else DecomposedAsil.parse(
                decomposition.value),
            parent=None if parent is None else v.item_id_of(parent.value),
            position=0 if position is None else int(position.value),
            attributes=attributes)
    kind = v.ARTIFACT_KIND_OF_CLASS.get(cls)
    if kind is None:
        raise UnreadableGraph(f"{iri} has type {cls}, which is no trace item class")
    digest = _opt(props, v.DIGEST)
    recorder = _opt(props, v.ATTRIBUTED_TO)
    return Artifact(id=item_id, kind=kind, title=title,
                    digest=None if digest is None else digest.value, attributes=attributes,
                    recorded_by=None if recorder is None else v.agent_of(recorder.value))


def decode_evidence(iri: str, props: Props) -> Evidence:
    """The evidence record an evidence node of the published form describes."""
    kind = v.EVIDENCE_KIND_OF_CLASS.get(_one(props, v.RDF_TYPE, iri).value)
    if kind is None:
        raise UnreadableGraph(f"{iri} has no evidence class")
    digest = _opt(props, v.EVIDENCE_DIGEST)
    method = _opt(props, v.METHOD)
    signature = _opt(props, SIGNATURE)
    key_id = _opt(props, SIGNING_KEY)
    return Evidence(
        kind=kind, verdict=Verdict(_one(props, v.VERDICT, iri).value),
        agent=v.agent_of(_one(props, v.ATTRIBUTED_TO, iri).value),
        recorded_at=datetime.fromisoformat(_one(props, v.GENERATED_AT, iri).value),
        artifact_digest=None if digest is None else digest.value,
        method=None if method is None else VerificationMethod(method.value),
        independent=_flag(_opt(props, v.INDEPENDENT)), note=_text(_opt(props, v.NOTE)),
        signature=None if signature is None else signature.value,
        key_id=None if key_id is None else key_id.value)


def read_document(triples: Iterable[Triple]) -> tuple[list[TraceItem], list[TraceLink]]:
    """The items and links of a graph in the published form (e.g. an earlier export).

    Raises:
        UnreadableGraph: a node is not an item, link or evidence record as written here.
    """
    nodes: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
    keys: list[LinkKey] = []
    for s, p, o in triples:
        nodes[s][p].append(o)
        if isinstance(o, Iri):
            key = link_key(s, p, o.value)
            if key is not None:
                keys.append(key)
    item_classes = set(v.ITEM_CLASSES.values())
    items = [decode_item(s, props) for s, props in nodes.items()
             if any(t.value in item_classes for t in props.get(v.RDF_TYPE, ()))]
    links = [_decode_link(key, nodes) for key in sorted(set(keys))]
    return items, links


def _decode_link(key: LinkKey, nodes: Mapping[str, Mapping[str, list[Term]]]) -> TraceLink:
    node = nodes.get(v.link_iri(key))
    if node is None:
        return TraceLink(*key)
    records = sorted((term.value for term in node.get(v.HAS_EVIDENCE, ())),
                     key=v.evidence_index)
    evidence = tuple(decode_evidence(iri, nodes.get(iri, {})) for iri in records)
    return TraceLink(*key, evidence=evidence, suspect=_flag(_opt(node, v.SUSPECT)))
