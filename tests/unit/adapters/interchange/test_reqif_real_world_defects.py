"""Real exports that are not quite valid ReqIF: every SPEC-OBJECT arrives, defects are reported."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from edgedeploy.adapters.interchange import ImportLimits, ReqIfReader, load_mapping
from edgedeploy.application.errors import ImportRefused, ImportTooLarge, InvalidInput
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import Relation
from edgedeploy.entrypoints.errors import mapping_for
from tests.integration.interchange.reqif_text import Doc, Req

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "reqif"

# fixture -> the diagnostics it must produce (a phrase each), in order
DEFECTIVE: dict[str, tuple[str, ...]] = {
    "doors_missing_hierarchy_object.reqif": (
        "refers to SPEC-OBJECT '_o_deleted_in_view', which does not exist",),
    "polarion_duplicate_hierarchy_ids.reqif": (
        "duplicate IDENTIFIER 'polarion-node-2'",),
    "ea_unplaced_object.reqif": (
        "placed in no SPECIFICATION",
        "relation type 'Dependency' only says the items are connected; imported as "
        "EA-REQ-2 refines EA-REQ-1",
        "relation type 'Allocated To' is not in the ReqIF mapping",),
    "polarion.reqif": ("relation type 'relates to' only says the items are connected",),
    "undefined_relation_type.reqif": ("'srt-satisfies-not-declared' is not defined",),
}
CLEAN = ("doors.reqif", "codebeamer.reqif", "ea.reqif", "reqif_studio.reqif")


def _spec_objects(data: bytes) -> int:
    return len(re.findall(rb"<SPEC-OBJECT\s", data))


@pytest.mark.parametrize("name", [*DEFECTIVE, *CLEAN])
def test_every_spec_object_of_a_tool_export_arrives(name: str) -> None:
    data = (FIXTURES / name).read_bytes()

    document = ReqIfReader().read(name, data)

    assert len(document.requirements) + len(document.artifacts) == _spec_objects(data)


@pytest.mark.parametrize(("name", "expected"), DEFECTIVE.items())
def test_defects_that_lose_no_content_are_reported_with_line_and_element(
        name: str, expected: tuple[str, ...]) -> None:
    document = ReqIfReader().read(name, (FIXTURES / name).read_bytes())

    assert len(document.diagnostics) == len(expected)
    for diagnostic, phrase in zip(document.diagnostics, expected, strict=True):
        assert phrase in diagnostic.message
        assert diagnostic.location.startswith("line ")


def test_children_of_a_node_without_its_object_keep_their_place_under_the_nearest_ancestor(
        ) -> None:
    name = "doors_missing_hierarchy_object.reqif"
    document = ReqIfReader().read(name, (FIXTURES / name).read_bytes())

    placed = {r.id: (r.parent, r.position) for r in document.requirements}
    assert placed == {"DR-1": (None, 0), "DR-2": ("DR-1", 0), "DR-3": ("DR-1", 1)}
    assert {r.asil for r in document.requirements} == {ASIL.B, ASIL.C}


def test_nodes_sharing_an_identifier_are_kept_apart_and_both_objects_placed() -> None:
    name = "polarion_duplicate_hierarchy_ids.reqif"
    document = ReqIfReader().read(name, (FIXTURES / name).read_bytes())

    placed = {r.id: (r.parent, r.position, str(r.decomposition)) for r in document.requirements}
    assert placed["AEB-11"][:2] == ("AEB-10", 0)
    assert placed["AEB-12"][:2] == ("AEB-10", 1)
    assert placed["AEB-11"][2] == "B(C)"


def test_a_link_with_an_unknown_type_to_a_test_is_left_out_not_turned_into_verification(
        ) -> None:
    name = "ea_unplaced_object.reqif"
    document = ReqIfReader().read(name, (FIXTURES / name).read_bytes())

    assert {(link.source, link.relation, link.target) for link in document.links} == {
        ("EA-REQ-2", Relation.REFINES, "EA-REQ-1")}


@pytest.mark.parametrize("attribute", ["ASIL", "Safety Integrity Level", "SIL", "ASIL Level",
                                       "Integrity", "safety_integrity_level", "TV:ASIL"])
@pytest.mark.parametrize(("value", "level", "decomposed"), [
    ("ASIL-C", ASIL.C, None), ("C", ASIL.C, None), ("ASIL C", ASIL.C, None),
    ("asil d", ASIL.D, None), ("QM", ASIL.QM, None), ("QM(B)", ASIL.QM, "QM(B)")])
def test_the_asil_is_read_under_its_many_names_and_spellings(
        attribute: str, value: str, level: ASIL, decomposed: str | None) -> None:
    data = Doc([Req("R-1", asil=value)], asil_name=attribute,
               tree=[("n1", "R-1", [])]).xml()

    (requirement,) = ReqIfReader().read("asil.reqif", data).requirements

    assert requirement.asil is level
    assert (str(requirement.decomposition) if requirement.decomposition else None) == decomposed


@pytest.mark.parametrize(("type_name", "expected"), [
    ("Verifies", ("T", Relation.VERIFIED_BY)), ("verified by", ("T", Relation.VERIFIED_BY)),
    ("refines", ("R-2", Relation.REFINES)), ("derived from", ("R-2", Relation.DERIVES)),
    ("Satisfies", None), ("trace", ("R-2", Relation.REFINES)),
    ("relates to", ("R-2", Relation.REFINES))])
def test_relation_type_long_names_of_the_tools_map_to_our_relations(
        type_name: str, expected: tuple[str, Relation] | None) -> None:
    # R-1 is the tool's relation source; a test object needs a test type, so "Verifies"
    # and "verified by" are checked between a requirement and a requirement-typed stand-in
    # only through the mapping itself.
    meaning = load_mapping().relation(type_name)
    if expected is None or expected[0] == "T":
        assert meaning is not None
        assert meaning.relation in (Relation.VERIFIED_BY, Relation.SATISFIED_BY)
        return
    data = Doc([Req("R-1"), Req("R-2")], tree=[("n1", "R-1", []), ("n2", "R-2", [])],
               relations=[("rel-1", "R-1", "R-2", type_name)]).xml()
    document = ReqIfReader().read("rel.reqif", data)
    (link,) = document.links
    assert link.relation is expected[1]
    assert {link.source, link.target} == {"R-1", "R-2"}


def test_a_site_mapping_file_adds_names_and_can_leave_generic_links_out(tmp_path: Path) -> None:
    site = tmp_path / "mapping.yaml"
    site.write_text("relations:\n  derives:\n    backward: [Allocated From]\n"
                    "between_requirements: none\n", encoding="utf-8")
    reader = ReqIfReader(mapping=load_mapping(site))
    data = Doc([Req("R-1"), Req("R-2"), Req("R-3")],
               tree=[("n1", "R-1", []), ("n2", "R-2", []), ("n3", "R-3", [])],
               relations=[("a", "R-2", "R-1", "Allocated From"),
                          ("b", "R-3", "R-1", "relates to")]).xml()

    document = reader.read("site.reqif", data)

    assert [(li.source, li.relation, li.target) for li in document.links] == [
        ("R-1", Relation.DERIVES, "R-2")]
    (diagnostic,) = document.diagnostics
    assert "R-3 -> R-1 not imported" in diagnostic.message


@pytest.mark.parametrize("text", ["relations:\n  trusts: {forward: [x]}\n",
                                  "colours: [red]\n", "between_requirements: verified_by\n",
                                  "attributes: {asil: ASIL}\n", "- a list\n"])
def test_a_broken_mapping_file_is_refused_naming_the_file(tmp_path: Path, text: str) -> None:
    site = tmp_path / "broken.yaml"
    site.write_text(text, encoding="utf-8")

    with pytest.raises(InvalidInput) as caught:
        load_mapping(site)

    assert caught.value.code == "CONFIG_INVALID"
    assert str(site) in caught.value.message


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _inflating_member(size: int) -> bytes:
    """A valid ReqIF whose one attribute value is ``size`` bytes; it compresses to little."""
    return Doc([Req("R-1", text="x" * size)], tree=[("n1", "R-1", [])]).xml()


def test_an_archive_member_over_the_limit_is_refused_before_it_is_unpacked_whole() -> None:
    limits = ImportLimits(max_member_bytes=2 * 1024 * 1024)
    archive = _zip({"bomb.reqif": _inflating_member(8 * 1024 * 1024)})
    assert len(archive) < 64 * 1024

    with pytest.raises(ImportTooLarge) as caught:
        ReqIfReader(limits=limits).read("bomb.reqifz", archive)

    assert caught.value.code == "IMPORT_TOO_LARGE"
    assert "interchange.max_member_bytes (2 MiB)" in caught.value.message
    assert "bomb.reqif" in caught.value.location


def test_an_archive_whose_members_together_exceed_the_import_limit_is_refused() -> None:
    limits = ImportLimits(max_member_bytes=1024 * 1024, max_import_bytes=1536 * 1024)
    member = _inflating_member(900 * 1024)
    archive = _zip({"a.reqif": member, "b.reqif": member.replace(b"R-1", b"R-2")})

    with pytest.raises(ImportTooLarge, match="max_import_bytes"):
        ReqIfReader(limits=limits).read("two.reqifz", archive)


def test_a_file_over_the_import_limit_is_refused_before_parsing() -> None:
    with pytest.raises(ImportTooLarge, match="max_import_bytes"):
        ReqIfReader(limits=ImportLimits(max_import_bytes=1000)).read(
            "big.reqif", _inflating_member(2000))


@pytest.mark.parametrize("value", ["string", "xhtml"])
def test_an_attribute_value_over_the_limit_is_refused_naming_its_object_and_line(
        value: str) -> None:
    limits = ImportLimits(max_attribute_bytes=64 * 1024)
    if value == "string":
        data = _inflating_member(65 * 1024)
    else:
        data = (FIXTURES / "doors.reqif").read_bytes().replace(
            b"</xhtml:p>", b"<xhtml:b>" + b"y" * 40_000 + b"</xhtml:b>"
            + b"<xhtml:i>" + b"z" * 40_000 + b"</xhtml:i></xhtml:p>", 1)

    with pytest.raises(ImportTooLarge) as caught:
        ReqIfReader(limits=limits).read("big.reqif", data)

    assert "interchange.max_attribute_bytes (64 KiB)" in caught.value.message
    assert caught.value.location.startswith("line ")
    assert caught.value.item is not None


def test_more_spec_objects_than_the_limit_are_refused() -> None:
    data = Doc([Req(f"R-{i}") for i in range(6)]).xml()

    with pytest.raises(ImportTooLarge, match=r"max_objects \(5\)"):
        ReqIfReader(limits=ImportLimits(max_objects=5)).read("many.reqif", data)


def test_an_import_too_large_is_http_413_and_exit_2_and_still_an_import_refusal() -> None:
    error = ImportTooLarge("f.reqifz", "bomb.reqif", None, "too large")

    assert isinstance(error, ImportRefused)
    assert (mapping_for(error).status, mapping_for(error).exit_code) == (413, 2)
    assert mapping_for(ImportRefused("f", "", None, "x")).status == 400


