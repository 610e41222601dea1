"""Reading the ReqIF flavours that requirements tools export."""

from collections.abc import Callable

import pytest

from edgedeploy.adapters.interchange import ReqIfDocument, ReqIfReader
from edgedeploy.adapters.interchange.reqif_schema import AttributeType
from edgedeploy.application.ports.interchange import RequirementDocument
from edgedeploy.domain.requirements import ArtifactKind, Requirement, RequirementLevel
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.traceability import Relation

Read = Callable[[str], RequirementDocument]


@pytest.fixture(name="read")
def fx_read(fixture_bytes: Callable[[str], bytes]) -> Read:
    def read(name: str) -> RequirementDocument:
        return ReqIfReader().read(name, fixture_bytes(f"reqif/{name}"))

    return read


def by_id(document: RequirementDocument) -> dict[str, Requirement]:
    return {r.id: r for r in document.requirements}


def link_keys(document: RequirementDocument) -> set[tuple[str, Relation, str]]:
    return {(link.source, link.relation, link.target) for link in document.links}


def test_doors_export_reads_foreign_ids_enumerated_asil_and_rich_text(read: Read) -> None:
    document = read("doors.reqif")
    reqs = by_id(document)

    assert document.title == "AEB System Requirements"
    assert [r.id for r in document.requirements] == [
        "SYS-AEB-1", "ML-AEB-1", "ML-AEB-2", "SYS-AEB-2"]
    first = reqs["SYS-AEB-1"]
    assert first.asil is ASIL.D
    assert first.title == "Pedestrian detection latency"
    assert first.text.startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
    assert "<b>shall</b>" in first.text and "<li>range 5 m to 60 m</li>" in first.text
    assert first.level is RequirementLevel.SYSTEM
    assert reqs["ML-AEB-1"].level is RequirementLevel.ML


def test_doors_attributes_outside_our_fields_are_kept_by_name_with_enumeration_labels(
        read: Read) -> None:
    first = by_id(read("doors.reqif"))["SYS-AEB-1"]

    assert first.attribute("Review State") == "agreed"
    assert first.attribute("ReqIF.ForeignCreatedBy") == "m.keller"
    assert first.attribute("ReqIF.ForeignModifiedOn") == "2025-03-10T14:01:00+01:00"
    assert first.attribute("Priority") == "1"
    assert first.attribute("ASIL") is None  # consumed as the ASIL, not kept twice


def test_doors_hierarchy_gives_parent_and_position_in_document_order(read: Read) -> None:
    reqs = by_id(read("doors.reqif"))

    assert (reqs["SYS-AEB-1"].parent, reqs["SYS-AEB-1"].position) == (None, 0)
    assert (reqs["ML-AEB-1"].parent, reqs["ML-AEB-1"].position) == ("SYS-AEB-1", 0)
    assert (reqs["ML-AEB-2"].parent, reqs["ML-AEB-2"].position) == ("SYS-AEB-1", 1)
    assert (reqs["SYS-AEB-2"].parent, reqs["SYS-AEB-2"].position) == (None, 1)


def test_upstream_relation_types_are_turned_to_point_downstream(read: Read) -> None:
    document = read("doors.reqif")

    assert link_keys(document) == {
        ("SYS-AEB-1", Relation.DERIVES, "ML-AEB-1"),   # "Derived From" ML -> SYS
        ("SYS-AEB-1", Relation.DERIVES, "ML-AEB-2"),
        ("ML-AEB-1", Relation.VERIFIED_BY, "TC-AEB-17"),  # "verifies" test -> requirement
    }


def test_a_spec_object_typed_as_test_case_becomes_a_test_artifact(read: Read) -> None:
    (test,) = read("doors.reqif").artifacts

    assert test.id == "TC-AEB-17"
    assert test.kind is ArtifactKind.TEST
    assert test.title == "Pedestrian recall on held-out set"
    assert test.attribute("Test Method") == "test"


def test_a_title_is_derived_from_the_text_when_no_title_attribute_is_set(read: Read) -> None:
    second = by_id(read("doors.reqif"))["SYS-AEB-2"]

    assert second.title.startswith("The AEB function shall not trigger emergency braking")
    assert len(second.title) <= 81


def test_polarion_export_reads_type_status_multi_valued_enumerations_booleans_and_reals(
        read: Read) -> None:
    reqs = by_id(read("polarion.reqif"))

    assert reqs["AEBP-101"].level is RequirementLevel.SYSTEM  # Type "System Requirement"
    assert reqs["AEBP-102"].level is RequirementLevel.SOFTWARE
    assert reqs["AEBP-101"].status == "Approved"
    assert reqs["AEBP-102"].status == "Draft"
    assert reqs["AEBP-101"].attribute("Categories") == "Performance, SOTIF"
    assert reqs["AEBP-101"].attribute("SOTIF relevant") == "true"
    assert reqs["AEBP-102"].attribute("Acceptance threshold") == "0.05"
    assert reqs["AEBP-102"].asil is ASIL.B  # "ASIL Classification" enumeration "ASIL B"
    assert reqs["AEBP-103"].asil is ASIL.QM


def test_polarion_relates_to_between_requirements_is_kept_as_refines_and_reported(
        read: Read) -> None:
    document = read("polarion.reqif")

    assert link_keys(document) == {("AEBP-101", Relation.DERIVES, "AEBP-102"),
                                   ("AEBP-103", Relation.REFINES, "AEBP-101")}
    (diagnostic,) = document.diagnostics
    assert "relates to" in diagnostic.message
    assert "imported as AEBP-103 refines AEBP-101" in diagnostic.message
    assert "SPEC-RELATION 'polarion-link-AEBP-103-AEBP-101'" in diagnostic.location
    assert diagnostic.location.startswith("line ")


def test_codebeamer_numeric_ids_safety_integrity_level_and_decomposition(read: Read) -> None:
    document = read("codebeamer.reqif")
    reqs = by_id(document)

    assert set(reqs) == {"1734", "1735"}
    assert reqs["1734"].asil is ASIL.C  # "ASIL-C"
    assert reqs["1734"].level is RequirementLevel.ML  # Kind "ML requirement"
    assert reqs["1735"].asil is ASIL.B
    assert reqs["1735"].decomposition == DecomposedAsil(ASIL.B, ASIL.D)  # "ASIL-B(D)"
    assert reqs["1734"].attribute("Owner") == "perception-team"
    assert [a.id for a in document.artifacts] == ["2210"]
    assert link_keys(document) == {
        ("1734", Relation.REFINES, "1735"),       # "1735 refines 1734"
        ("1734", Relation.VERIFIED_BY, "2210"),   # "Verified By" already downstream
    }


def test_enterprise_architect_alias_notes_and_tagged_values(read: Read) -> None:
    document = read("ea.reqif")
    reqs = by_id(document)

    assert [r.id for r in document.requirements] == ["SYS-REQ-9", "DS-REQ-1", "DS-REQ-2"]
    night = reqs["DS-REQ-1"]
    assert night.level is RequirementLevel.DATASET  # "TV:Level" = Dataset
    assert night.asil is ASIL.C                     # "TV:ASIL"
    # Two top-level paragraphs are kept, wrapped in one div.
    assert night.text == (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p>At least 20 % of the training images '
        "shall show night or dusk scenes.</p><p>Source: ODD definition v3.</p></div>")
    assert night.attribute("TV:MinShareNightPercent") == "20.0"
    assert (night.parent, reqs["DS-REQ-2"].parent) == ("SYS-REQ-9", "SYS-REQ-9")


def test_a_requirement_without_asil_is_read_as_qm_with_a_warning(read: Read) -> None:
    document = read("ea.reqif")

    assert by_id(document)["SYS-REQ-9"].asil is ASIL.QM
    warnings = [d for d in document.diagnostics if d.item == "SYS-REQ-9"]
    assert len(warnings) == 1 and "no ASIL given" in warnings[0].message


def test_reqif_studio_datatypes_and_enum_values_without_long_names(read: Read) -> None:
    document = read("reqif_studio.reqif")
    reqs = by_id(document)

    assert reqs["STK-1"].asil is ASIL.D         # enum value with only IDENTIFIER "ASIL_D"
    assert reqs["SYS-11"].asil is ASIL.C        # OTHER-CONTENT "C"
    assert reqs["SYS-12"].asil is ASIL.A        # from the attribute's DEFAULT-VALUE
    assert reqs["STK-1"].level is RequirementLevel.STAKEHOLDER  # IDENTIFIER "stakeholder"
    assert reqs["SYS-11"].attribute("Verification Method") == "Test, Analysis"
    assert (reqs["STK-1"].attribute("Rationale") or "").startswith("From the hazard analysis")
    assert isinstance(document, ReqIfDocument)
    spec = document.spec("Verification Method")
    assert spec is not None and spec.type is AttributeType.ENUMERATION and spec.multi_valued
    assert spec.labels == ("Test", "Analysis")


def test_roots_of_consecutive_specifications_are_numbered_on(read: Read) -> None:
    reqs = by_id(read("reqif_studio.reqif"))

    assert [reqs[i].position for i in ("STK-1", "SYS-11", "SYS-12")] == [0, 1, 2]


def test_a_reqifz_archive_reads_every_reqif_inside_it(read: Read) -> None:
    document = read("aeb_bundle.reqifz")

    assert {r.id for r in document.requirements} == {
        "AEBP-101", "AEBP-102", "AEBP-103", "STK-1", "SYS-11", "SYS-12"}
    roots = [r for r in document.requirements if r.parent is None]
    assert [r.position for r in roots] == list(range(len(roots)))
    (diagnostic,) = document.diagnostics
    assert diagnostic.location.startswith("aeb_bundle.reqifz!aeb_software.reqif, line ")


def test_the_bundled_aeb_example_reads_cleanly_and_keeps_asil_inheritance(
        example_bytes: Callable[[str], bytes]) -> None:
    data = example_bytes("aeb/requirements.reqif")

    document = ReqIfReader().read("requirements.reqif", data)
    reqs = by_id(document)

    assert document.diagnostics == ()
    levels = [r.level for r in document.requirements]
    assert levels.count(RequirementLevel.SYSTEM) == 4
    assert levels.count(RequirementLevel.ML) == 6
    assert levels.count(RequirementLevel.DATASET) == 2
    assert ASIL.D in {r.asil for r in reqs.values() if r.level is RequirementLevel.SYSTEM}
    assert ASIL.QM in {r.asil for r in reqs.values()}
    derives = [link for link in document.links if link.relation is Relation.DERIVES]
    assert derives and all(reqs[link.target].asil >= reqs[link.source].asil or
                           reqs[link.target].decomposition is not None for link in derives)
