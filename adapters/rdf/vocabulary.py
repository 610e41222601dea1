"""The RDF vocabulary of the trace graph: namespaces, classes, properties and node names.

OSLC RM and OSLC QM name requirements, test cases, test results and the relations they define;
PROV-O describes the evidence on a link; ``trace:`` (``https://edgedeploy.dev/ns/trace#``)
covers what neither has (datasets, model versions, deployments, ASILs, suspect flags).
``docs/vocabulary.md`` is the reader's version of this module. The stores hold a compact
internal form (the ``RECORD``, ``LINK_STATE`` and ``COVERAGE`` terms below, see
:mod:`edgedeploy.adapters.rdf.codec`); the published terms are what ``export_rdf`` writes.

Node names are minted here so that both stores agree on them byte for byte: an item is
``<https://edgedeploy.dev/id/item/{id}>``, a link ``.../link/{source}/{relation}/{target}``
and its evidence records ``.../link/.../evidence/{n}`` in recording order (the last two in the
published form only). Identifiers are percent-encoded, so any identifier the domain accepts
gives a valid IRI and comes back intact.
"""

from __future__ import annotations

import functools
from typing import Final
from urllib.parse import quote, unquote

from edgedeploy.domain.requirements import ArtifactKind, ItemId, ItemKind
from edgedeploy.domain.traceability import EvidenceKind, LinkKey, Relation

RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
DCTERMS: Final = "http://purl.org/dc/terms/"
PROV: Final = "http://www.w3.org/ns/prov#"
OSLC_RM: Final = "http://open-services.net/ns/rm#"
OSLC_QM: Final = "http://open-services.net/ns/qm#"
TRACE: Final = "https://edgedeploy.dev/ns/trace#"
ID_BASE: Final = "https://edgedeploy.dev/id/"

PREFIXES: Final[dict[str, str]] = {
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "dcterms": DCTERMS,
    "prov": PROV,
    "oslc_rm": OSLC_RM,
    "oslc_qm": OSLC_QM,
    "trace": TRACE,
    "item": f"{ID_BASE}item/",
}

# Datatypes.
XSD_STRING: Final = f"{XSD}string"
XSD_INTEGER: Final = f"{XSD}integer"
XSD_BOOLEAN: Final = f"{XSD}boolean"
XSD_DATETIME: Final = f"{XSD}dateTime"
RDF_JSON: Final = f"{RDF}JSON"

# Generic properties.
RDF_TYPE: Final = f"{RDF}type"
RDF_SUBJECT: Final = f"{RDF}subject"
RDF_PREDICATE: Final = f"{RDF}predicate"
RDF_OBJECT: Final = f"{RDF}object"
RDFS_COMMENT: Final = f"{RDFS}comment"
RDFS_SUBPROPERTY: Final = f"{RDFS}subPropertyOf"
RDFS_SUBCLASS: Final = f"{RDFS}subClassOf"

# Item properties.
TITLE: Final = f"{DCTERMS}title"
TEXT: Final = f"{DCTERMS}description"
ASIL_P: Final = f"{TRACE}asil"
LEVEL: Final = f"{TRACE}level"
STATUS: Final = f"{TRACE}status"
VERSION: Final = f"{TRACE}version"
DECOMPOSITION: Final = f"{TRACE}decomposition"
DOC_PARENT: Final = f"{TRACE}documentParent"
DOC_POSITION: Final = f"{TRACE}documentPosition"
ATTRIBUTES: Final = f"{TRACE}attributes"
DIGEST: Final = f"{TRACE}digest"

ITEM_PROPERTIES: Final = (TITLE, TEXT, ASIL_P, LEVEL, STATUS, VERSION, DECOMPOSITION, DOC_PARENT,
                          DOC_POSITION, ATTRIBUTES, DIGEST, RDF_TYPE)

# Link-node properties (a link node reifies one direct relation triple).
SUSPECT: Final = f"{TRACE}suspect"
HAS_EVIDENCE: Final = f"{TRACE}evidence"

# The internal, compact form (what the stores hold; ``export_rdf`` expands it, see
# adapters.rdf.expanded). One record literal per item, whose predicate also names the item's
# kind; one link-state literal per source holding the suspect flags and evidence records of its
# links; one coverage literal per requirement with what the gap report needs from them.
RECORD: Final[dict[ItemKind, str]] = {
    kind: f"{TRACE}{kind.value}Record" for kind in ItemKind}
KIND_OF_RECORD: Final[dict[str, ItemKind]] = {iri: kind for kind, iri in RECORD.items()}
LINK_STATE: Final = f"{TRACE}linkState"
COVERAGE: Final = f"{TRACE}coverage"
INTERNAL_ITEM_PREDICATES: Final = frozenset({*RECORD.values(), ASIL_P, DECOMPOSITION})

# Evidence properties.
VERDICT: Final = f"{TRACE}verdict"
ATTRIBUTED_TO: Final = f"{PROV}wasAttributedTo"
GENERATED_AT: Final = f"{PROV}generatedAtTime"
EVIDENCE_DIGEST: Final = f"{TRACE}artifactDigest"
METHOD: Final = f"{TRACE}method"
INDEPENDENT: Final = f"{TRACE}independent"
NOTE: Final = RDFS_COMMENT

ITEM_CLASSES: Final[dict[ItemKind, str]] = {
    ItemKind.REQUIREMENT: f"{OSLC_RM}Requirement",
    ItemKind.TEST: f"{OSLC_QM}TestCase",
    ItemKind.DATASET: f"{TRACE}Dataset",
    ItemKind.MODEL: f"{TRACE}ModelVersion",
    ItemKind.DEPLOYMENT: f"{TRACE}Deployment",
}
KIND_OF_CLASS: Final[dict[str, ItemKind]] = {iri: kind for kind, iri in ITEM_CLASSES.items()}
ARTIFACT_KIND_OF_CLASS: Final[dict[str, ArtifactKind]] = {
    iri: ArtifactKind(kind.value) for kind, iri in ITEM_CLASSES.items()
    if kind is not ItemKind.REQUIREMENT}

EVIDENCE_CLASSES: Final[dict[EvidenceKind, str]] = {
    EvidenceKind.TEST_RESULT: f"{OSLC_QM}TestResult",
    EvidenceKind.REVIEW: f"{TRACE}Review",
    EvidenceKind.ANALYSIS: f"{TRACE}Analysis",
    EvidenceKind.REPORT: f"{TRACE}Report",
}
EVIDENCE_KIND_OF_CLASS: Final[dict[str, EvidenceKind]] = {
    iri: kind for kind, iri in EVIDENCE_CLASSES.items()}

RELATION_PREDICATES: Final[dict[Relation, str]] = {
    Relation.DERIVES: f"{TRACE}derives",
    Relation.REFINES: f"{TRACE}refines",
    Relation.SATISFIED_BY: f"{OSLC_RM}satisfiedBy",
    Relation.VERIFIED_BY: f"{OSLC_RM}validatedBy",
    Relation.IMPLEMENTED_BY: f"{OSLC_RM}implementedBy",
    Relation.DEPLOYED_AS: f"{TRACE}deployedAs",
}
RELATION_OF_PREDICATE: Final[dict[str, Relation]] = {
    iri: rel for rel, iri in RELATION_PREDICATES.items()}

# Our own terms and the OSLC/PROV terms they specialise, for the schema triples and the docs.
SCHEMA: Final[tuple[tuple[str, str, str], ...]] = (
    (f"{TRACE}derives", RDFS_SUBPROPERTY, f"{OSLC_RM}decomposedBy"),
    (f"{TRACE}refines", RDFS_SUBPROPERTY, f"{OSLC_RM}elaboratedBy"),
    (f"{TRACE}deployedAs", RDFS_SUBPROPERTY, f"{DCTERMS}relation"),
    (HAS_EVIDENCE, RDFS_SUBPROPERTY, f"{PROV}wasDerivedFrom"),
    (f"{TRACE}Dataset", RDFS_SUBCLASS, f"{PROV}Entity"),
    (f"{TRACE}ModelVersion", RDFS_SUBCLASS, f"{PROV}Entity"),
    (f"{TRACE}Deployment", RDFS_SUBCLASS, f"{PROV}Entity"),
    (f"{TRACE}Review", RDFS_SUBCLASS, f"{PROV}Entity"),
    (f"{TRACE}Analysis", RDFS_SUBCLASS, f"{PROV}Entity"),
    (f"{TRACE}Report", RDFS_SUBCLASS, f"{PROV}Entity"),
)

_ITEM_NS: Final = f"{ID_BASE}item/"
_LINK_NS: Final = f"{ID_BASE}link/"
_AGENT_NS: Final = f"{ID_BASE}agent/"
_EVIDENCE_SEGMENT: Final = "/evidence/"
# Characters an IRI path segment may carry verbatim; everything else is percent-encoded.
_SAFE: Final = "-._~!$&'()*+,;=:@"


def _encode(text: str) -> str:
    return quote(text, safe=_SAFE)


@functools.lru_cache(maxsize=1 << 18)
def item_iri(item_id: str) -> str:
    """The IRI of a trace item (cached: a bulk import names each item many times)."""
    return _ITEM_NS + _encode(item_id)


def item_id_of(iri: str) -> ItemId | None:
    """The item id an IRI names, or None when it names no item."""
    if not iri.startswith(_ITEM_NS):
        return None
    return ItemId(unquote(iri[len(_ITEM_NS):]))


def link_iri(key: LinkKey) -> str:
    """The IRI of the node that reifies a link (it exists only when the link has state)."""
    source, relation, target = key
    return f"{_LINK_NS}{_encode(source)}/{relation.value}/{_encode(target)}"


def evidence_iri(link: str, index: int) -> str:
    """The IRI of the ``index``-th evidence record (in recording order) of a link node."""
    return f"{link}{_EVIDENCE_SEGMENT}{index}"


def evidence_index(iri: str) -> int:
    """The recording position an evidence IRI carries."""
    return int(iri.rsplit("/", 1)[1])


def agent_iri(agent: str) -> str:
    """The IRI of a PROV agent (a person or a tool) named by ``agent``."""
    return _AGENT_NS + _encode(agent)


def agent_of(iri: str) -> str:
    """The agent name an agent IRI carries."""
    return unquote(iri[len(_AGENT_NS):]) if iri.startswith(_AGENT_NS) else iri
