"""Import -> export -> import keeps identifiers, attributes, hierarchy and typed relations."""

from collections.abc import Callable
from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgedeploy.adapters.interchange import ReqIfDocument, ReqIfReader, ReqIfWriter
from edgedeploy.adapters.interchange.reqif_schema import REQIF_NS, XHTML_NS
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.interchange import RequirementDocument
from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    Requirement,
    RequirementLevel,
)
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.traceability import Relation, TraceLink

FIXED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
FIXTURES = ["doors.reqif", "polarion.reqif", "codebeamer.reqif", "ea.reqif",
            "reqif_studio.reqif", "aeb_bundle.reqifz", "undefined_relation_type.reqif"]


def writer() -> ReqIfWriter:
    return ReqIfWriter(now=lambda: FIXED)


def assert_same_content(before: RequirementDocument, after: RequirementDocument) -> None:
    assert list(after.requirements) == list(before.requirements)
    assert list(after.artifacts) == list(before.artifacts)
    assert sorted(link.key for link in after.links) == sorted(link.key for link in before.links)


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_survives_export_and_reimport(
        fixture_bytes: Callable[[str], bytes], name: str) -> None:
    reader = ReqIfReader()
    imported = reader.read(name, fixture_bytes(f"reqif/{name}"))

    again = reader.read("export.reqif", writer().write(imported))

    assert_same_content(imported, again)
    assert isinstance(imported, ReqIfDocument) and isinstance(again, ReqIfDocument)
    assert dict(again.attribute_specs) == dict(imported.attribute_specs)
    assert again.title == imported.title


def test_the_bundled_example_survives_export_and_reimport(
        example_bytes: Callable[[str], bytes]) -> None:
    reader = ReqIfReader()
    imported = reader.read("requirements.reqif", example_bytes("aeb/requirements.reqif"))

    assert_same_content(imported, reader.read("x.reqif", writer().write(imported)))


def test_the_export_is_reqif_1_2_with_header_datatypes_types_objects_and_hierarchy(
        fixture_bytes: Callable[[str], bytes]) -> None:
    imported = ReqIfReader().read("doors.reqif", fixture_bytes("reqif/doors.reqif"))

    data = writer().write(imported)
    root = SafeET.fromstring(data)

    ns = {"r": REQIF_NS, "x": XHTML_NS}
    assert root.tag == f"{{{REQIF_NS}}}REQ-IF"
    header = root.find("r:THE-HEADER/r:REQ-IF-HEADER", ns)
    assert header is not None
    assert header.findtext("r:CREATION-TIME", namespaces=ns) == "2026-01-15T09:30:00Z"
    assert header.findtext("r:TITLE", namespaces=ns) == "AEB System Requirements"
    content = root.find("r:CORE-CONTENT/r:REQ-IF-CONTENT", ns)
    assert content is not None
    enum_names = {e.get("LONG-NAME") for e in content.iterfind(
        "r:DATATYPES/r:DATATYPE-DEFINITION-ENUMERATION", ns)}
    assert {"T_ASIL", "T_Level", "T_Review State"} <= enum_names
    review = next(e for e in content.iterfind("r:DATATYPES/r:DATATYPE-DEFINITION-ENUMERATION", ns)
                  if e.get("LONG-NAME") == "T_Review State")
    assert [v.get("LONG-NAME") for v in review.iterfind("r:SPECIFIED-VALUES/r:ENUM-VALUE", ns)] \
        == ["open", "agreed", "rejected"]
    assert content.find(".//r:ATTRIBUTE-VALUE-XHTML/r:THE-VALUE/x:div/x:b", ns) is not None
    relation_types = {e.get("LONG-NAME") for e in content.iterfind(
        "r:SPEC-TYPES/r:SPEC-RELATION-TYPE", ns)}
    assert relation_types == {"derives", "verified by"}
    assert len(content.findall("r:SPEC-RELATIONS/r:SPEC-RELATION", ns)) == 3
    top = content.findall("r:SPECIFICATIONS/r:SPECIFICATION/r:CHILDREN/r:SPEC-HIERARCHY", ns)
    assert len(top) == 3  # two requirement roots, one test case in its own specification
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_the_export_is_reproducible_for_a_fixed_clock(
        fixture_bytes: Callable[[str], bytes]) -> None:
    imported = ReqIfReader().read("polarion.reqif", fixture_bytes("reqif/polarion.reqif"))

    assert writer().write(imported) == writer().write(imported)


def test_a_document_from_any_source_round_trips_with_every_artifact_kind_and_relation(
) -> None:
    document = RequirementDocument(
        source="plain", title="Plain",
        requirements=[
            Requirement(ItemId("R-1"), "Top", ASIL.D, text="Line one\r\nline two & <more>",
                        attributes=(("Owner", "=cmd"),)),
            Requirement(ItemId("R-2"), "Part", ASIL.B, decomposition=DecomposedAsil(ASIL.B, ASIL.D),
                        parent=ItemId("R-1"), level=RequirementLevel.ML, version=3),
        ],
        artifacts=[Artifact(ItemId("T-1"), ArtifactKind.TEST, "bench",
                            digest="sha256:" + "ab" * 32),
                   Artifact(ItemId("M-1"), ArtifactKind.MODEL, "cnn v1"),
                   Artifact(ItemId("D-1"), ArtifactKind.DEPLOYMENT, "fleet A",
                            attributes=(("Stage", "canary 5 %"),))],
        links=[TraceLink(ItemId("R-1"), Relation.DERIVES, ItemId("R-2")),
               TraceLink(ItemId("R-2"), Relation.VERIFIED_BY, ItemId("T-1")),
               TraceLink(ItemId("R-2"), Relation.IMPLEMENTED_BY, ItemId("M-1")),
               TraceLink(ItemId("M-1"), Relation.DEPLOYED_AS, ItemId("D-1"))])

    again = ReqIfReader().read("plain.reqif", writer().write(document))

    assert_same_content(document, again)


def test_an_attribute_named_like_a_field_the_export_writes_is_refused() -> None:
    document = RequirementDocument(source="x", requirements=[
        Requirement(ItemId("R-1"), "Top", ASIL.A, attributes=(("ASIL", "B"),))])

    with pytest.raises(InvalidInput, match="attribute 'ASIL' clashes"):
        writer().write(document)


def test_a_character_xml_cannot_carry_is_refused_by_the_writer() -> None:
    document = RequirementDocument(source="x", requirements=[
        Requirement(ItemId("R-1"), "Top", ASIL.A, text="bell \x07")])

    with pytest.raises(InvalidInput, match="U\\+0007"):
        writer().write(document)


# -- generated documents ------------------------------------------------------------------

_XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from(["\n", "\t", "\r", "<", "&", '"', "'", ">"]),
    max_size=40)
_STRIPPED = _XML_TEXT.map(str.strip)
_IDS = st.from_regex(r"[A-Za-z][A-Za-z0-9_.:/#-]{0,12}", fullmatch=True)
_ATTRIBUTE_NAMES = st.sampled_from(["Owner", "Rationale", "Safety Goal", "Verification Note",
                                    "Release"])


@st.composite
def documents(draw: st.DrawFn) -> RequirementDocument:
    ids = draw(st.lists(_IDS, min_size=1, max_size=8, unique=True))
    requirements: list[Requirement] = []
    positions: dict[str | None, int] = {}
    for index, item_id in enumerate(ids):
        parent = draw(st.none() | st.sampled_from(ids[:index])) if index else None
        asil = draw(st.sampled_from(list(ASIL)))
        decomposition = None
        if asil is not ASIL.D and asil is not ASIL.QM and draw(st.booleans()):
            decomposition = DecomposedAsil(asil, ASIL.D)
        text = draw(_STRIPPED | st.just(
            f'<div xmlns="http://www.w3.org/1999/xhtml">Rich <b>text</b> for {index}</div>'))
        attributes = tuple(draw(st.dictionaries(_ATTRIBUTE_NAMES, _XML_TEXT, max_size=3))
                           .items())
        requirements.append(Requirement(
            id=ItemId(item_id), title=draw(_STRIPPED.filter(bool)) if draw(st.booleans())
            else f"Title {index}", asil=asil, text=text,
            level=draw(st.sampled_from(list(RequirementLevel))),
            status=draw(st.sampled_from(["approved", "draft", "In Review"])),
            version=draw(st.integers(1, 5)), decomposition=decomposition,
            parent=ItemId(parent) if parent else None, position=positions.get(parent, 0),
            attributes=attributes))
        positions[parent] = positions.get(parent, 0) + 1
    tests = [Artifact(ItemId(f"TEST-{i}"), ArtifactKind.TEST, f"test {i}")
             for i in range(draw(st.integers(0, 2)))]
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=6))
    links = {(a, Relation.DERIVES, b) for a, b in pairs if a != b}
    links |= {(ids[0], Relation.VERIFIED_BY, t.id) for t in tests}
    # Documents list requirements depth-first, as readers and the trace store give them.
    children: dict[str | None, list[Requirement]] = {}
    for requirement in requirements:
        children.setdefault(requirement.parent, []).append(requirement)
    ordered: list[Requirement] = []

    def visit(parent: str | None) -> None:
        for child in children.get(parent, []):
            ordered.append(child)
            visit(child.id)

    visit(None)
    return RequirementDocument(
        source="generated", requirements=ordered, artifacts=tests,
        links=[TraceLink(ItemId(s), r, ItemId(t)) for s, r, t in sorted(links)], title="Gen")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_documents_survive_export_and_reimport(document: RequirementDocument) -> None:
    again = ReqIfReader().read("generated.reqif", writer().write(document))

    assert_same_content(document, again)
