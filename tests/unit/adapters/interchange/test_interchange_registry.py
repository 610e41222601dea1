"""Choosing a reader by file suffix."""

from collections.abc import Callable

import pytest

from edgedeploy.adapters.interchange import (
    CsvRequirementsReader,
    InterchangeRegistry,
    ReqIfReader,
    YamlRequirementsReader,
    readers_by_suffix,
)
from edgedeploy.application.errors import ImportRefused, InvalidInput


def test_every_shipped_format_has_a_reader() -> None:
    table = readers_by_suffix()

    assert set(table) == {".reqif", ".reqifz", ".csv", ".yaml", ".yml"}
    assert isinstance(table[".reqifz"], ReqIfReader)
    assert isinstance(table[".csv"], CsvRequirementsReader)
    assert isinstance(table[".yml"], YamlRequirementsReader)


@pytest.mark.parametrize(("name", "reader"), [
    ("specs/AEB.ReqIF", ReqIfReader), ("bundle.reqifz", ReqIfReader),
    ("export.CSV", CsvRequirementsReader), ("reqs.yml", YamlRequirementsReader),
])
def test_the_reader_is_chosen_by_suffix_whatever_its_case(name: str, reader: type) -> None:
    assert isinstance(InterchangeRegistry().reader_for(name), reader)


def test_an_unknown_suffix_is_refused_listing_the_formats_that_are_read() -> None:
    with pytest.raises(InvalidInput) as caught:
        InterchangeRegistry().reader_for("requirements.docx")

    assert caught.value.code == "IMPORT_FORMAT_UNKNOWN"
    assert "'.docx'" in caught.value.message
    assert ".csv, .reqif, .reqifz, .yaml, .yml" in caught.value.message
    assert not isinstance(caught.value, ImportRefused)


def test_a_file_without_suffix_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no suffix"):
        InterchangeRegistry().reader_for("README")


def test_the_registry_reads_a_file_with_the_chosen_reader(
        fixture_bytes: Callable[[str], bytes]) -> None:
    document = InterchangeRegistry().read("requirements.yaml",
                                          fixture_bytes("requirements.yaml"))

    assert document.source == "requirements.yaml"
    assert len(document.requirements) == 5


def test_a_registry_can_be_limited_to_some_readers() -> None:
    registry = InterchangeRegistry([CsvRequirementsReader()])

    assert registry.formats == (".csv",)
    with pytest.raises(InvalidInput):
        registry.reader_for("x.reqif")
