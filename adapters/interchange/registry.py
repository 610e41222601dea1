"""Choosing the reader for a requirements file by its suffix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePath

from edgedeploy.adapters.interchange.csv_reader import CsvRequirementsReader
from edgedeploy.adapters.interchange.reqif_reader import ReqIfReader
from edgedeploy.adapters.interchange.yaml_reader import YamlRequirementsReader
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.interchange import RequirementDocument, RequirementsReader


def default_readers() -> tuple[RequirementsReader, ...]:
    """The readers edgedeploy ships: ReqIF (and .reqifz), CSV and YAML."""
    return (ReqIfReader(), CsvRequirementsReader(), YamlRequirementsReader())


def readers_by_suffix(readers: Iterable[RequirementsReader] | None = None,
                      ) -> dict[str, RequirementsReader]:
    """Map each lower-case suffix (``.reqif``, ``.csv`` …) to the reader that handles it."""
    table: dict[str, RequirementsReader] = {}
    for reader in readers if readers is not None else default_readers():
        for suffix in reader.formats:
            table.setdefault(suffix.lower(), reader)
    return table


class InterchangeRegistry:
    """Reads any supported requirements file, choosing the reader by the file's suffix."""

    def __init__(self, readers: Iterable[RequirementsReader] | None = None) -> None:
        self._by_suffix: Mapping[str, RequirementsReader] = readers_by_suffix(readers)

    @property
    def formats(self) -> tuple[str, ...]:
        """The suffixes that can be read, sorted."""
        return tuple(sorted(self._by_suffix))

    def reader_for(self, name: str) -> RequirementsReader:
        """The reader for a file name.

        Raises:
            InvalidInput: no reader handles the suffix; the message lists those that do.
        """
        suffix = PurePath(name).suffix.lower()
        reader = self._by_suffix.get(suffix)
        if reader is None:
            shown = f"'{suffix}'" if suffix else "no suffix"
            raise InvalidInput(f"{name}: {shown} is not a requirements format edgedeploy reads; "
                               f"use one of {', '.join(self.formats)}",
                               code="IMPORT_FORMAT_UNKNOWN")
        return reader

    def read(self, name: str, data: bytes) -> RequirementDocument:
        """Parse ``data`` with the reader for ``name``'s suffix."""
        return self.reader_for(name).read(name, data)
