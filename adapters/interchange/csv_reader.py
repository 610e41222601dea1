"""Requirements from a spreadsheet export (``.csv``).

The first row names the columns: ``id``, ``asil`` (required), ``title``, ``text``, ``level``,
``parent``, ``status``, ``version``; ``kind`` and ``digest`` let a row declare a test, dataset,
model or deployment instead of a requirement. Columns named after a relation (``derives``,
``refines``, ``satisfied_by``, ``verified_by``, ``implemented_by``, or a reverse phrase such as
``derived_from``) hold ``;``-separated ids. Any other column is kept as an attribute. Errors name
the line and the column.
"""

from __future__ import annotations

import csv
import io

from edgedeploy.adapters.interchange.assembly import DocumentAssembly
from edgedeploy.adapters.interchange.records import (
    ARTIFACT_FIELDS,
    REQUIREMENT_FIELDS,
    RecordReader,
    is_relation_field,
)
from edgedeploy.adapters.interchange.vocabulary import normalize
from edgedeploy.application.errors import ImportRefused
from edgedeploy.application.ports.interchange import RequirementDocument
from edgedeploy.domain.requirements import ArtifactKind

_STRUCTURAL = {normalize(name) for name in (*REQUIREMENT_FIELDS, *ARTIFACT_FIELDS)}
_ARTIFACT_KINDS = tuple(kind.value for kind in ArtifactKind)


class CsvRequirementsReader:
    """Reads a CSV file with a header row; all or nothing."""

    formats: frozenset[str] = frozenset({".csv"})

    def read(self, name: str, data: bytes) -> RequirementDocument:
        """Parse the CSV bytes (UTF-8, with or without a byte-order mark).

        Raises:
            ImportRefused: naming the line and column of the first problem.
        """
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ImportRefused(name, f"line {line}", None,
                                "not UTF-8 text; save the spreadsheet as CSV UTF-8") from None
        out = DocumentAssembly(name, strict_link_kinds=True)
        records = RecordReader(out)
        rows = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = next(rows, None)
            if header is None or not any(cell.strip() for cell in header):
                raise ImportRefused(name, "line 1", None,
                                    "empty file: the first row must name the columns")
            columns = self._columns(name, header)
            for cells in rows:
                self._row(name, records, columns, cells, rows.line_num)
        except csv.Error as exc:
            raise ImportRefused(name, f"line {rows.line_num}", None,
                                f"not valid CSV: {exc}") from None
        return out.finish(title="")

    @staticmethod
    def _columns(name: str, header: list[str]) -> list[tuple[str, str]]:
        columns: list[tuple[str, str]] = []
        seen: set[str] = set()
        for cell in header:
            label = cell.strip()
            key = normalize(label)
            if not key:
                raise ImportRefused(name, f"line 1, column {len(columns) + 1}", None,
                                    "a column has no name")
            if key in seen:
                raise ImportRefused(name, f"line 1, column '{label}'", None,
                                    "the column is named twice")
            seen.add(key)
            columns.append((label, key))
        if "id" not in seen:
            raise ImportRefused(name, "line 1", None, "the header has no 'id' column")
        return columns

    @staticmethod
    def _row(name: str, records: RecordReader, columns: list[tuple[str, str]],
             cells: list[str], line: int) -> None:
        if not any(cell.strip() for cell in cells):
            return
        if len(cells) > len(columns):
            raise ImportRefused(name, f"line {line}", None,
                                f"{len(cells)} cells but the header names {len(columns)} "
                                "columns")
        fields: dict[str, str] = {}
        attributes: list[tuple[str, str]] = []
        relations: list[tuple[str, str]] = []
        labels = {key: label for label, key in columns}
        for (label, key), value in zip(columns, cells, strict=False):
            if key in _STRUCTURAL:
                fields[key] = value
            elif is_relation_field(label):
                relations.append((label, value))
            elif value.strip():
                attributes.append((label, value))

        def where(field: str) -> str:
            return f"line {line}, column '{labels.get(field, field)}'"

        location = f"line {line}"
        kind = fields.get("kind", "").strip().lower()
        if kind and kind != "requirement" and kind not in _ARTIFACT_KINDS:
            raise ImportRefused(name, where("kind"), fields.get("id", "").strip() or None,
                                f"'{kind}' is not a row kind; expected requirement (the "
                                f"default) or one of {', '.join(_ARTIFACT_KINDS)}")
        if kind and kind != "requirement":
            item_id = records.artifact(fields, tuple(attributes), where, location).id
        else:
            item_id = records.requirement(fields, tuple(attributes), where, location).id
        for label, value in relations:
            records.links(item_id, label, value, where(normalize(label)))
