"""The compact internal form of the trace graph, shared by every RDF trace store.

Oxigraph keeps every triple in three indexes (about 85 bytes per triple of two IRIs after
compaction, about 180 bytes plus the text for a triple with a long literal), so the number of
triples decides load time, gap-report time and size on disk. The stores therefore hold:

* per item, one record triple ``item trace:<kind>Record "json"``: the predicate names the kind,
  the JSON object holds every field no query needs (title, text, level, status, version,
  document parent and position, digest, who recorded an artifact, attributes), defaults
  left out; a requirement also has ``trace:asil`` and, when decomposed,
  ``trace:decomposition``, which the gap report reads;
* per link, its direct triple ``source relation target`` and nothing else, so that property
  paths walk the graph without joins;
* per source item with suspect links or links carrying evidence, one ``trace:linkState``
  literal holding, for each such link, its suspect flag and its evidence records
  (:func:`encode_link_state`);
* per requirement, one ``trace:coverage`` literal: its id, ASIL and decomposition and the
  coverage facts its outgoing links give (children, realizations, passing verifications and
  their methods, failing tests, reviews, independent reviews, suspect links), recomputed with
  the domain's rules whenever the requirement or one of its outgoing links is written or
  removed (:func:`coverage_of`). Oxigraph decodes every IRI and long literal of an answer
  with a lookup of its own, so one self-contained literal per requirement is what keeps the
  gap report fast.

``export_rdf`` expands this into the published OSLC/PROV-O form
(:mod:`edgedeploy.adapters.rdf.expanded`).
Literals are plain strings (``xsd:string``): a custom datatype would add a second hash to every
index key.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from edgedeploy.adapters.rdf import vocabulary as v
from edgedeploy.domain.coverage import CoverageFacts
from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    ItemKind,
    Requirement,
    RequirementLevel,
    TraceItem,
    item_kind,
)
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.traceability import (
    DECOMPOSING,
    REALIZING,
    Evidence,
    EvidenceKind,
    LinkKey,
    Relation,
    TraceLink,
    Verdict,
    VerificationMethod,
)


class Iri(NamedTuple):
    """An IRI in object position (a named tuple: bulk imports build hundreds of thousands)."""

    value: str


class Lit(NamedTuple):
    """A literal: its lexical form and datatype IRI."""

    value: str
    datatype: str = v.XSD_STRING


Term = Iri | Lit
Props = Mapping[str, Sequence[Term]]
Triple = tuple[str, str, Term]
"""Subject IRI, predicate IRI, object: the store-neutral form of one triple."""


class UnreadableGraph(ValueError):
    """Triples that do not describe a trace item or link as this vocabulary writes them."""


# --------------------------------------------------------------------------- N-Triples text

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _escape_control(match: re.Match[str]) -> str:
    ch = match.group()
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04X}"


def escape(text: str) -> str:
    """``text`` as the inside of an N-Triples/Turtle/SPARQL string literal.

    Plain ``str.replace`` for backslashes and quotes (JSON literals are full of quotes), a
    regular expression only for the rare control character.
    """
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    if _CONTROL.search(text):
        text = _CONTROL.sub(_escape_control, text)
    return text


def term_text(term: Term) -> str:
    """One object term in N-Triples syntax."""
    if isinstance(term, Iri):
        return f"<{term.value}>"
    if term.datatype == v.XSD_STRING:
        return f'"{escape(term.value)}"'
    return f'"{escape(term.value)}"^^<{term.datatype}>'


def ntriples(triples: Iterable[Triple]) -> str:
    """Triples as N-Triples text (also valid inside SPARQL ``INSERT DATA``/``DELETE DATA``)."""
    return "".join(f"<{s}> <{p}> {term_text(o)} .\n" for s, p, o in triples)


# --------------------------------------------------------------------------- compact values

_SHA256 = "sha256:"
_SHA256_LENGTH = len(_SHA256) + 64


def pack_digest(digest: str) -> str | None:
    """``sha256:<64 lower-case hex>`` as 43 base64url characters, or None for any other text."""
    if len(digest) != _SHA256_LENGTH or not digest.startswith(_SHA256):
        return None
    hexpart = digest[len(_SHA256):]
    try:
        raw = bytes.fromhex(hexpart)
    except ValueError:
        return None
    if raw.hex() != hexpart:  # upper case or spaces would not come back the same
        return None
    return base64.urlsafe_b64encode(raw).decode()[:-1]


def unpack_digest(packed: str) -> str:
    """The ``sha256:<hex>`` text :func:`pack_digest` packed."""
    return _SHA256 + base64.urlsafe_b64decode(packed + "=").hex()


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------- items


def item_triples(item: TraceItem) -> list[Triple]:
    """The record triple of one item, plus the ASIL facts of a requirement."""
    iri = v.item_iri(item.id)
    kind = item_kind(item)
    record: dict[str, object] = {}
    if item.title:
        record["title"] = item.title
    out: list[Triple] = []
    if isinstance(item, Requirement):
        if item.text:
            record["text"] = item.text
        if item.level is not RequirementLevel.SYSTEM:
            record["level"] = item.level.value
        if item.status != "approved":
            record["status"] = item.status
        if item.version != 1:
            record["version"] = item.version
        if item.parent is not None:
            record["parent"] = item.parent
        if item.position:
            record["position"] = item.position
        out.append((iri, v.ASIL_P, Lit(item.asil.value)))
        if item.decomposition is not None:
            out.append((iri, v.DECOMPOSITION, Lit(str(item.decomposition))))
    else:
        if item.digest is not None:
            packed = pack_digest(item.digest)
            if packed is None:
                record["digest"] = item.digest
            else:
                record["sha256"] = packed
        if item.recorded_by is not None:
            record["by"] = item.recorded_by
    if item.attributes:
        record["attributes"] = [list(pair) for pair in item.attributes]
    out.append((iri, v.RECORD[kind], Lit(_json(record))))
    return out


def kind_of(props: Props) -> ItemKind | None:
    """The kind a node's record triple names, or None when the node is no item."""
    for predicate in props:
        kind = v.KIND_OF_RECORD.get(predicate)
        if kind is not None:
            return kind
    return None


def decode_item(iri: str, props: Props) -> TraceItem:
    """The item a node's internal triples describe.

    Raises:
        UnreadableGraph: the node is no item as :func:`item_triples` writes one.
    """
    item_id = v.item_id_of(iri)
    kind = kind_of(props)
    if item_id is None or kind is None:
        raise UnreadableGraph(f"{iri} is not a trace item")
    try:
        record = json.loads(props[v.RECORD[kind]][0].value)
        title = str(record.get("title", ""))
        attributes = tuple((str(k), str(val)) for k, val in record.get("attributes", ()))
        if kind is ItemKind.REQUIREMENT:
            decomposition = props.get(v.DECOMPOSITION)
            parent = record.get("parent")
            return Requirement(
                id=item_id, title=title, asil=ASIL(props[v.ASIL_P][0].value),
                text=str(record.get("text", "")),
                level=RequirementLevel(record.get("level", RequirementLevel.SYSTEM.value)),
                status=str(record.get("status", "approved")),
                version=int(record.get("version", 1)),
                decomposition=None if not decomposition else DecomposedAsil.parse(
                    decomposition[0].value),
                parent=None if parent is None else ItemId(str(parent)),
                position=int(record.get("position", 0)),
                attributes=attributes)
        packed = record.get("sha256")
        digest = unpack_digest(packed) if packed is not None else record.get("digest")
        recorder = record.get("by")
        return Artifact(id=item_id, kind=ArtifactKind(kind.value), title=title,
                        digest=None if digest is None else str(digest), attributes=attributes,
                        recorded_by=None if recorder is None else str(recorder))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise UnreadableGraph(f"{iri} has an unreadable item record: {exc}") from exc


# --------------------------------------------------------------------------- evidence records
#
# One record is a JSON array [flags, agent, time, digest, note, key id, signature], trailing
# empties left out. ``flags`` spells kind, verdict and method with one letter each (``-`` for
# no method), then ``#`` when the digest slot holds a packed sha256, ``@`` when it holds any
# other digest text, ``!`` for an independent reviewer, and ``$`` when the key-id slot holds a
# packed ``sha256:`` key id (any other key id is kept verbatim).

_KIND_CODE = {EvidenceKind.TEST_RESULT: "t", EvidenceKind.REVIEW: "r",
              EvidenceKind.ANALYSIS: "a", EvidenceKind.REPORT: "p"}
_VERDICT_CODE = {Verdict.PASSED: "P", Verdict.FAILED: "F", Verdict.INCONCLUSIVE: "I"}
_METHOD_CODE = {VerificationMethod.TEST: "t", VerificationMethod.SIMULATION: "s",
                VerificationMethod.ANALYSIS: "a", VerificationMethod.INSPECTION: "i",
                VerificationMethod.FAULT_INJECTION: "f", VerificationMethod.FIELD_TEST: "e",
                VerificationMethod.BACK_TO_BACK: "b"}
_KIND_OF_CODE = {c: k for k, c in _KIND_CODE.items()}
_VERDICT_OF_CODE = {c: k for k, c in _VERDICT_CODE.items()}
_METHOD_OF_CODE = {c: k for k, c in _METHOD_CODE.items()}
_RELATION_CODE = {Relation.DERIVES: "d", Relation.REFINES: "r", Relation.SATISFIED_BY: "s",
                  Relation.VERIFIED_BY: "v", Relation.IMPLEMENTED_BY: "i",
                  Relation.DEPLOYED_AS: "a"}
_RELATION_OF_CODE = {c: r for r, c in _RELATION_CODE.items()}


def _time(at: datetime) -> str:
    text = at.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def pack_evidence(record: Evidence) -> list[str]:
    """One evidence record as the compact JSON array described above."""
    flags = (_KIND_CODE[record.kind] + _VERDICT_CODE[record.verdict]
             + ("-" if record.method is None else _METHOD_CODE[record.method]))
    digest = ""
    if record.artifact_digest is not None:
        packed = pack_digest(record.artifact_digest)
        if packed is None:
            flags, digest = flags + "@", record.artifact_digest
        else:
            flags, digest = flags + "#", packed
    if record.independent:
        flags += "!"
    key_id = record.key_id or ""
    if key_id:
        packed_key = pack_digest(key_id)
        if packed_key is not None:
            flags, key_id = flags + "$", packed_key
    out = [flags, record.agent, _time(record.recorded_at), digest, record.note, key_id,
           record.signature or ""]
    while len(out) > 3 and not out[-1]:
        out.pop()
    return out


def unpack_evidence(packed: Sequence[str]) -> Evidence:
    """The evidence record :func:`pack_evidence` packed."""
    flags, agent, at = packed[0], packed[1], packed[2]
    digest = packed[3] if len(packed) > 3 else ""
    note = packed[4] if len(packed) > 4 else ""
    key_id = packed[5] if len(packed) > 5 else ""
    signature = packed[6] if len(packed) > 6 else ""
    method = _METHOD_OF_CODE.get(flags[2])
    if "#" in flags[3:]:
        artifact_digest: str | None = unpack_digest(digest)
    else:
        artifact_digest = digest if "@" in flags[3:] else None
    if key_id and "$" in flags[3:]:
        key_id = unpack_digest(key_id)
    return Evidence(kind=_KIND_OF_CODE[flags[0]], verdict=_VERDICT_OF_CODE[flags[1]],
                    agent=agent, recorded_at=datetime.fromisoformat(at),
                    artifact_digest=artifact_digest, method=method,
                    independent="!" in flags[3:], note=note,
                    signature=signature or None, key_id=key_id or None)


# --------------------------------------------------------------------------- link state
#
# The links of one source that are suspect or carry evidence, as a JSON array of
# [relation code (+ "!" when suspect), target id, record, record, ...], sorted by key.


def has_state(link: TraceLink) -> bool:
    """True when a link is suspect or carries evidence (it then appears in a link state)."""
    return link.suspect or bool(link.evidence)


def encode_link_state(links: Iterable[TraceLink]) -> str | None:
    """The link-state literal of one source's links, or None when none has state."""
    entries = []
    for link in sorted((link for link in links if has_state(link)), key=lambda x: x.key):
        entries.append([_RELATION_CODE[link.relation] + ("!" if link.suspect else ""),
                        link.target, *(pack_evidence(e) for e in link.evidence)])
    return _json(entries) if entries else None


def decode_link_state(source: ItemId, text: str) -> dict[LinkKey, TraceLink]:
    """The links with state a link-state literal of ``source`` holds, by key.

    Raises:
        UnreadableGraph: the literal is not a link state.
    """
    out: dict[LinkKey, TraceLink] = {}
    try:
        for entry in json.loads(text):
            code, target, *records = entry
            relation = _RELATION_OF_CODE[code[0]]
            key = (source, relation, ItemId(target))
            out[key] = TraceLink(source, relation, ItemId(target),
                                 tuple(unpack_evidence(r) for r in records),
                                 suspect=code.endswith("!"))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise UnreadableGraph(f"the link state of {source} is unreadable: {exc}") from exc
    return out


# --------------------------------------------------------------------------- coverage
#
# Every requirement has one coverage literal, a JSON array of what the gap report needs of it:
# [id, ASIL, decomposition or null, [targets of its derives/refines links], realizations,
#  passing verifications, reviews, independent reviews, suspect links, method letters,
#  [failing test ids]]. It is rewritten whenever the requirement or one of its outgoing links
# is written or removed, so that the gap report reads one literal per requirement and no link
# at all: a requirement's parent ASILs are the ASILs of the literals listing it as a target.


_VERIFYING = frozenset({EvidenceKind.TEST_RESULT, EvidenceKind.ANALYSIS})


def _recorded_at(record: Evidence) -> datetime:
    return record.recorded_at


def coverage_of(requirement: ItemId, asil: str, decomposition: str | None,
                links: Iterable[TraceLink]) -> str:
    """The coverage literal of a requirement with these outgoing links.

    The rules are the domain's (:class:`edgedeploy.domain.trace_graph.TraceGraph` computes the same
    facts): the latest test result or analysis decides a verification, a passed review counts.
    """
    realizations = passing = reviews = independent = suspect = 0
    methods: set[VerificationMethod] = set()
    failing: list[str] = []
    children: list[str] = []
    for link in links:
        if link.relation in DECOMPOSING:
            children.append(link.target)
        elif link.relation in REALIZING:
            realizations += 1
        if link.suspect:
            suspect += 1
        if link.relation is Relation.VERIFIED_BY:
            # passing_verification / failing_verification of the domain, in one pass: the
            # latest test result or analysis decides (max keeps the first of equal times).
            records = [e for e in link.evidence if e.kind in _VERIFYING]
            latest = max(records, key=_recorded_at) if records else None
            if latest is not None and latest.verdict is Verdict.PASSED:
                passing += 1
                if latest.method is not None:
                    methods.add(latest.method)
            elif latest is not None and latest.verdict is Verdict.FAILED:
                failing.append(link.target)
        passed = [e for e in link.evidence
                  if e.kind is EvidenceKind.REVIEW and e.verdict is Verdict.PASSED]
        if passed:
            reviews += 1
            if any(e.independent for e in passed):
                independent += 1
    letters = "".join(sorted(_METHOD_CODE[m] for m in methods))
    return _json([requirement, asil, decomposition, sorted(children), realizations, passing,
                  reviews, independent, suspect, letters, sorted(failing)])


def coverage_facts(row: Sequence[Any], parent_asils: Iterable[str]) -> CoverageFacts:
    """One requirement's :class:`CoverageFacts` from its decoded coverage literal.

    Raises:
        UnreadableGraph: the row is not a coverage literal as :func:`coverage_of` writes it.
    """
    try:
        rid, asil, dec, c, z, p, r, i, s, letters, failing = row
        return CoverageFacts(
            requirement=ItemId(str(rid)), asil=ASIL(asil),
            decomposition=None if dec is None else DecomposedAsil.parse(str(dec)),
            children=len(c), realizations=int(z), passing_verifications=int(p),
            methods=tuple(sorted(_METHOD_OF_CODE[ch] for ch in str(letters))),
            failing_tests=tuple(ItemId(str(t)) for t in failing),
            reviews=int(r), independent_reviews=int(i), suspect_links=int(s),
            parent_asils=tuple(sorted(ASIL(a) for a in parent_asils)))
    except (KeyError, TypeError, ValueError) as exc:
        raise UnreadableGraph(f"unreadable coverage literal {row!r}: {exc}") from exc


# --------------------------------------------------------------------------- links


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


def direct_triple(key: LinkKey) -> Triple:
    """The direct triple ``source relation target`` of a link."""
    return (v.item_iri(key[0]), v.RELATION_PREDICATES[key[1]], Iri(v.item_iri(key[2])))


def direct_line(key: LinkKey) -> str:
    """The direct triple of a link as one N-Triples line."""
    return f"<{v.item_iri(key[0])}> <{v.RELATION_PREDICATES[key[1]]}> <{v.item_iri(key[2])}> .\n"


def source_triples(source: ItemId, requirement: tuple[str, str | None] | None,
                   links: Iterable[TraceLink]) -> list[Triple]:
    """The link-state and coverage triples of an item with these outgoing links.

    ``requirement`` is the item's (ASIL, decomposition) when it is a requirement, else None.
    """
    links = list(links)
    iri = v.item_iri(source)
    out: list[Triple] = []
    state = encode_link_state(links)
    if state is not None:
        out.append((iri, v.LINK_STATE, Lit(state)))
    if requirement is not None:
        out.append((iri, v.COVERAGE, Lit(coverage_of(source, *requirement, links))))
    return out
