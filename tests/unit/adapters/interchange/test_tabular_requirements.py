"""Requirements from CSV and YAML: the same fields, the same refusals, precise locations."""

from collections.abc import Callable

import pytest

from edgedeploy.adapters.interchange import CsvRequirementsReader, YamlRequirementsReader
from edgedeploy.application.errors import ImportRefused
from edgedeploy.application.ports.interchange import RequirementDocument
from edgedeploy.domain.requirements import ArtifactKind, Requirement, RequirementLevel
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.traceability import Relation

HEADER = "id,title,text,asil,level,parent,status,derives,verified_by,kind\n"


def read_csv(text: str, name: str = "reqs.csv") -> RequirementDocument:
    return CsvRequirementsReader().read(name, text.encode("utf-8"))


def read_yaml(text: str, name: str = "reqs.yaml") -> RequirementDocument:
    return YamlRequirementsReader().read(name, text.encode("utf-8"))


def refusal(read: Callable[[str], RequirementDocument], text: str) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        read(text)
    return caught.value


# -- CSV ----------------------------------------------------------------------------------

def test_the_csv_fixture_reads_requirements_tests_hierarchy_relations_and_extra_columns(
        fixture_bytes: Callable[[str], bytes]) -> None:
    document = CsvRequirementsReader().read("requirements.csv",
                                            fixture_bytes("requirements.csv"))
    reqs: dict[str, Requirement] = {r.id: r for r in document.requirements}

    assert list(reqs) == ["SYS-AEB-1", "SYS-AEB-2", "ML-AEB-1", "ML-AEB-2", "ML-AEB-3"]
    assert reqs["SYS-AEB-1"].asil is ASIL.D and reqs["SYS-AEB-1"].version == 2
    assert reqs["ML-AEB-2"].decomposition == DecomposedAsil(ASIL.B, ASIL.D)
    assert reqs["ML-AEB-2"].status == "draft"
    assert reqs["ML-AEB-1"].level is RequirementLevel.ML
    assert (reqs["ML-AEB-2"].parent, reqs["ML-AEB-2"].position) == ("SYS-AEB-1", 1)
    assert reqs["SYS-AEB-1"].attribute("Owner") == "safety-team"
    assert reqs["SYS-AEB-2"].attribute("Rationale") is None  # empty cells are not kept
    assert [(a.id, a.kind) for a in document.artifacts] == [
        ("TC-1", ArtifactKind.TEST), ("TC-2", ArtifactKind.TEST)]
    assert {link.key for link in document.links} == {
        ("SYS-AEB-1", Relation.DERIVES, "ML-AEB-1"), ("SYS-AEB-1", Relation.DERIVES, "ML-AEB-2"),
        ("SYS-AEB-2", Relation.DERIVES, "ML-AEB-3"),
        ("ML-AEB-1", Relation.VERIFIED_BY, "TC-1"), ("ML-AEB-2", Relation.VERIFIED_BY, "TC-2")}


def test_a_csv_reverse_relation_column_makes_the_row_the_target() -> None:
    document = read_csv("id,asil,derived_from\nSYS-1,C,\nML-1,C,SYS-1\n")

    assert [link.key for link in document.links] == [("SYS-1", Relation.DERIVES, "ML-1")]


def test_a_csv_with_a_byte_order_mark_and_quoted_newlines_is_read() -> None:
    data = ("\ufeffid,asil,text\nR-1,QM,\"two\nlines\"\n").encode()

    (requirement,) = CsvRequirementsReader().read("excel.csv", data).requirements

    assert requirement.text == "two\nlines"


@pytest.mark.parametrize(("rows", "location", "item", "words"), [
    ("R-1,T,x,ASIL E,system,,,,,\n", "line 2, column 'asil'", "R-1", "not an ASIL"),
    ("R-1,T,x,,system,,,,,\n", "line 2, column 'asil'", "R-1", "no ASIL given"),
    ("R-1,T,x,C,firmware,,,,,\n", "line 2, column 'level'", "R-1", "not a requirement level"),
    ("R-1,T,x,C,,,,,,\nR-1,T,x,C,,,,,,\n", "line 3", "R-1", "duplicate identifier 'R-1'"),
    ("R-1,T,x,C,,,,R-9,,\n", "line 2, column 'derives'", "R-1", "dangling derives relation"),
    ("R-1,T,x,C,,R-0,,,,\n", "line 2", "R-1", "parent 'R-0' is not a requirement"),
    ("R-1,T,x,C,,,,,,,extra\n", "line 2", None, "11 cells but the header names 10"),
    ("R-1,T,x,C,,,,,R-2,\nR-2,T,x,C,,,,,,\n", "line 2, column 'verified_by'", "R-1",
     "is not allowed"),
    (",T,x,C,,,,,,\n", "line 2, column 'id'", None, "has no id"),
    ("T-1,T,,,,,,,,gizmo\n", "line 2, column 'kind'", "T-1", "not a row kind"),
])
def test_csv_refusals_name_the_line_column_and_identifier(
        rows: str, location: str, item: str | None, words: str) -> None:
    error = refusal(read_csv, HEADER + rows)

    assert error.file == "reqs.csv"
    assert error.location == location
    assert error.item == item
    assert words in error.problem


def test_a_csv_without_an_id_column_is_refused() -> None:
    error = refusal(read_csv, "title,asil\nx,C\n")

    assert (error.location, error.problem) == ("line 1", "the header has no 'id' column")


def test_a_csv_parent_chain_that_loops_is_refused() -> None:
    error = refusal(read_csv, "id,asil,parent\nA,C,B\nB,C,A\n")

    assert "parent chain loops" in error.problem


def test_a_csv_that_is_not_utf8_is_refused_naming_the_line() -> None:
    with pytest.raises(ImportRefused, match="not UTF-8") as caught:
        CsvRequirementsReader().read("latin1.csv", b"id,asil\nR-1,C\nR-\xe9,C\n")
    assert caught.value.location == "line 3"


# -- YAML ---------------------------------------------------------------------------------

def test_the_yaml_fixture_reads_requirements_artifacts_and_explicit_links(
        fixture_bytes: Callable[[str], bytes]) -> None:
    document = YamlRequirementsReader().read("requirements.yaml",
                                             fixture_bytes("requirements.yaml"))
    reqs: dict[str, Requirement] = {r.id: r for r in document.requirements}

    assert document.title == "AEB perception (YAML)"
    assert reqs["SYS-AEB-2"].asil is ASIL.C
    assert reqs["DS-AEB-1"].level is RequirementLevel.DATASET
    assert reqs["SYS-AEB-1"].attribute("Owner") == "safety-team"
    assert [a.kind for a in document.artifacts] == [ArtifactKind.TEST, ArtifactKind.DATASET]
    assert document.artifacts[1].digest is not None
    assert {link.key for link in document.links} == {
        ("SYS-AEB-1", Relation.DERIVES, "ML-AEB-1"), ("SYS-AEB-1", Relation.DERIVES, "ML-AEB-2"),
        ("ML-AEB-1", Relation.VERIFIED_BY, "TC-1"), ("SYS-AEB-2", Relation.DERIVES, "DS-AEB-1"),
        ("DS-AEB-1", Relation.SATISFIED_BY, "DATA-digits-v1")}


YAML_OK = """
requirements:
  - {id: R-0, asil: C}
  - {id: R-1, asil: C}
  - {id: R-2, asil: C}
"""


@pytest.mark.parametrize(("text", "location", "words"), [
    (YAML_OK + "  - {id: R-3, asil: E}\n", "requirements[3].asil", "not an ASIL"),
    (YAML_OK + "  - {id: R-3, asli: C}\n", "requirements[3].asli", "unknown field"),
    (YAML_OK + "  - {id: R-3, asil: C, level: x}\n", "requirements[3].level",
     "not a requirement level"),
    (YAML_OK + "  - {id: R-1, asil: C}\n", "requirements[3]", "duplicate identifier 'R-1'"),
    (YAML_OK + "  - {id: R-3, asil: C, derives: [R-0, R-9]}\n", "requirements[3].derives",
     "its target 'R-9' does not exist"),
    (YAML_OK + "  - {id: R-3, asil: C, version: 0}\n", "requirements[3].version",
     "whole number >= 1"),
    (YAML_OK + "  - {id: R-3, asil: C, title: [a, b]}\n", "requirements[3].title",
     "single value"),
    (YAML_OK + "  - {id: R-3, asil: C, status: yes}\n", "requirements[3].status", "yes/no"),
    (YAML_OK + "  - just a string\n", "requirements[3]", "mapping of fields"),
    (YAML_OK + "links:\n  - {source: R-0, relation: blesses, target: R-1}\n",
     "links[0].relation", "not a trace relation"),
    (YAML_OK + "links:\n  - {source: R-0, relation: derives, target: R-7}\n", "links[0]",
     "dangling derives relation"),
    (YAML_OK + "artifacts:\n  - {id: D-1, kind: dataset, digest: md5:abc}\n",
     "artifacts[0].digest", "sha256"),
    (YAML_OK + "extras: 1\n", "extras", "unknown key"),
    ("requirements: {id: R-1}\n", "requirements", "must be a list"),
    ("title: nothing\n", "requirements", "missing"),
])
def test_yaml_refusals_name_the_path(text: str, location: str, words: str) -> None:
    error = refusal(read_yaml, text)

    assert error.file == "reqs.yaml"
    assert error.location == location
    assert words in error.problem


def test_invalid_yaml_is_refused_naming_the_line() -> None:
    error = refusal(read_yaml, "requirements:\n  - id: R-1\n    asil: [C\n")

    assert error.location.startswith("line 4")
    assert "not valid YAML" in error.problem


def test_yaml_tags_that_would_build_python_objects_are_refused() -> None:
    error = refusal(read_yaml, "requirements: !!python/object/apply:os.system ['true']\n")

    assert "not valid YAML" in error.problem


def test_yaml_and_csv_of_the_same_content_give_the_same_document() -> None:
    from_csv = read_csv("id,title,text,asil,level,parent,derives\n"
                        "S-1,Top,Do it,C,system,,M-1\nM-1,Part,Do part,C,ml,S-1,\n")
    from_yaml = read_yaml("requirements:\n"
                          "  - {id: S-1, title: Top, text: Do it, asil: C, level: system,"
                          " derives: M-1}\n"
                          "  - {id: M-1, title: Part, text: Do part, asil: C, level: ml,"
                          " parent: S-1}\n")

    assert from_csv.requirements == from_yaml.requirements
    assert from_csv.links == from_yaml.links
