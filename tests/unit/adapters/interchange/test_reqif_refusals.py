"""A malformed ReqIF file is refused as a whole, with a message that says where and why."""

import io
import zipfile
from collections.abc import Callable

import pytest

from edgedeploy.adapters.interchange import ReqIfReader
from edgedeploy.application.errors import ImportRefused

Refusal = Callable[[str], ImportRefused]


@pytest.fixture(name="refusal")
def fx_refusal(fixture_bytes: Callable[[str], bytes]) -> Refusal:
    def refuse(name: str) -> ImportRefused:
        with pytest.raises(ImportRefused) as caught:
            ReqIfReader().read(name, fixture_bytes(f"reqif/{name}"))
        return caught.value

    return refuse


def test_bad_xml_is_refused_naming_the_line_and_column_expat_stopped_at(refusal: Refusal) -> None:
    error = refusal("bad_xml.reqif")

    assert error.file == "bad_xml.reqif"
    assert error.location.startswith("line 48, column ")
    assert "not well-formed XML" in error.problem
    assert str(error).startswith("bad_xml.reqif, line 48")


def test_an_unknown_asil_value_is_refused_naming_the_element_and_the_requirement(
        refusal: Refusal) -> None:
    error = refusal("unknown_asil.reqif")

    assert error.location == "line 45, SPEC-OBJECT 'so-2'"
    assert error.item == "ML-1"
    assert "unknown ASIL value 'ASIL E'" in error.problem
    assert "[ML-1]" in str(error)


def test_a_duplicate_requirement_id_is_refused_naming_both_places(refusal: Refusal) -> None:
    error = refusal("duplicate_id.reqif")

    assert error.item == "SYS-1"
    assert error.location == "line 45, SPEC-OBJECT 'so-2'"
    assert "first defined at line 37, SPEC-OBJECT 'so-1'" in error.problem


def test_a_dangling_relation_is_refused_naming_the_relation_and_the_missing_end(
        refusal: Refusal) -> None:
    error = refusal("dangling_relation.reqif")

    assert error.location == "line 60, SPEC-RELATION 'sr-2'"
    assert "target 'so-9' does not exist" in error.problem


def test_a_dtd_with_an_external_entity_is_refused_before_anything_is_resolved(
        refusal: Refusal) -> None:
    error = refusal("xxe.reqif")

    assert error.location == "line 2"
    assert "refused for security" in error.problem
    assert "root:" not in str(error)


def test_a_billion_laughs_payload_is_refused() -> None:
    payload = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
               b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
               b"<REQ-IF>&lol2;</REQ-IF>")

    with pytest.raises(ImportRefused, match="refused for security"):
        ReqIfReader().read("lolz.reqif", payload)


def test_an_undefined_relation_type_is_a_diagnostic_and_the_rest_is_imported(
        fixture_bytes: Callable[[str], bytes]) -> None:
    document = ReqIfReader().read("undefined_relation_type.reqif",
                                  fixture_bytes("reqif/undefined_relation_type.reqif"))

    assert [(link.source, link.target) for link in document.links] == [("SYS-1", "ML-1")]
    (diagnostic,) = document.diagnostics
    assert diagnostic.item == "sr-2"
    assert "'srt-satisfies-not-declared' is not defined in the file" in diagnostic.message
    assert diagnostic.location == "line 60, SPEC-RELATION 'sr-2'"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_an_archive_without_a_reqif_file_is_refused() -> None:
    data = _zip({"README.txt": b"no requirements here"})

    with pytest.raises(ImportRefused, match=r"holds no \.reqif file") as caught:
        ReqIfReader().read("empty.reqifz", data)
    assert caught.value.file == "empty.reqifz"


def test_a_corrupt_archive_is_refused() -> None:
    with pytest.raises(ImportRefused, match="not a readable zip archive"):
        ReqIfReader().read("broken.reqifz", b"PK\x03\x04 this is not really a zip")


def test_a_malformed_file_inside_an_archive_is_refused_naming_the_member(
        fixture_bytes: Callable[[str], bytes]) -> None:
    data = _zip({"good.reqif": fixture_bytes("reqif/doors.reqif"),
                 "sub/bad.reqif": fixture_bytes("reqif/unknown_asil.reqif")})

    with pytest.raises(ImportRefused) as caught:
        ReqIfReader().read("bundle.reqifz", data)
    assert caught.value.file == "bundle.reqifz!sub/bad.reqif"


def test_the_same_identifier_in_two_files_of_an_archive_is_refused(
        fixture_bytes: Callable[[str], bytes]) -> None:
    doors = fixture_bytes("reqif/doors.reqif")
    data = _zip({"a.reqif": doors, "b.reqif": doors})

    with pytest.raises(ImportRefused, match="duplicate identifier 'SYS-AEB-1'"):
        ReqIfReader().read("twice.reqifz", data)


def test_a_file_that_is_not_reqif_is_refused_naming_its_root_element() -> None:
    with pytest.raises(ImportRefused, match="root element is html, expected REQ-IF"):
        ReqIfReader().read("page.reqif", b"<html><body/></html>")


@pytest.mark.parametrize(("broken", "expected"), [
    (b"<TYPE><SPEC-OBJECT-TYPE-REF>_sot_req</SPEC-OBJECT-TYPE-REF></TYPE>",
     "SPEC-OBJECT without a TYPE"),
    (b"<ATTRIBUTE-DEFINITION-STRING-REF>_ad_foreignid</ATTRIBUTE-DEFINITION-STRING-REF>",
     "does not define"),
    (b"<ENUM-VALUE-REF>_ev_asil_d</ENUM-VALUE-REF>", "is not defined in the file"),
])
def test_references_to_undefined_types_definitions_and_enum_values_are_refused(
        fixture_bytes: Callable[[str], bytes], broken: bytes, expected: str) -> None:
    original = fixture_bytes("reqif/doors.reqif")
    assert broken in original
    damaged = original.replace(broken, broken.replace(b">_", b">_missing_"), 1)
    if expected == "SPEC-OBJECT without a TYPE":
        damaged = original.replace(broken, b"", 1)

    with pytest.raises(ImportRefused, match=expected) as caught:
        ReqIfReader().read("doors.reqif", damaged)
    assert "SPEC-OBJECT '_so_1'" in caught.value.location or caught.value.item == "_so_1"


def test_a_duplicate_xml_identifier_is_refused(fixture_bytes: Callable[[str], bytes]) -> None:
    original = fixture_bytes("reqif/doors.reqif")
    damaged = original.replace(b'SPEC-OBJECT IDENTIFIER="_so_2"', b'SPEC-OBJECT IDENTIFIER="_so_1"')

    with pytest.raises(ImportRefused, match="duplicate IDENTIFIER '_so_1'"):
        ReqIfReader().read("doors.reqif", damaged)
