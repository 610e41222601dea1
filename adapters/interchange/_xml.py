"""Safe XML parsing that remembers the line of every element.

Requirement files come from outside the company's control (supplier exports, tool exports), so
they are parsed with defusedxml only: a DOCTYPE, entity declaration or external reference is
refused before it can expand (XXE, "billion laughs"). Line numbers are kept per element because
an engineer fixing a refused 20 MB export needs to know where to look.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # only for the Element type and the tree builder
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from edgedeploy.adapters.interchange.limits import ImportLimits, shown
from edgedeploy.application.errors import ImportRefused, ImportTooLarge


class _LineRecordingBuilder:
    """Tree builder target that notes the line on which each element starts.

    With limits it also counts SPEC-OBJECTs and the size of each attribute value as expat
    reports them, so that an oversized file is refused before its tree is complete.
    """

    def __init__(self, name: str = "", limits: ImportLimits | None = None,
                 objects_before: int = 0) -> None:
        self._builder = ET.TreeBuilder()
        self.lines: dict[int, int] = {}
        self.expat: Any = None
        self.name = name
        self.limits = limits
        self.objects = objects_before
        self._value_depth = 0
        self._value_bytes = 0
        self._value_tag = ""
        self._owner: str | None = None

    def _line(self) -> str:
        return f"line {int(self.expat.CurrentLineNumber)}" if self.expat is not None else ""

    def _too_large(self, where: str, problem: str) -> ImportTooLarge:
        location = f"{self._line()}, {where}" if self._line() else where
        return ImportTooLarge(self.name, location, self._owner, problem)

    def _count(self, size: int, tag: str) -> None:
        assert self.limits is not None
        limit = self.limits.max_attribute_bytes
        if self._value_depth:
            self._value_bytes += size
            size, tag = self._value_bytes, self._value_tag
        if size > limit:
            raise self._too_large(tag, f"an attribute value is larger than "
                                       f"interchange.max_attribute_bytes ({shown(limit)}); "
                                       "refused")

    def start(self, tag: str, attrib: dict[str, str]) -> ET.Element:
        if self.limits is not None:
            name = local_name(tag)
            if name == "SPEC-OBJECT":
                self.objects += 1
                self._owner = attrib.get("IDENTIFIER") or None
                if self.objects > self.limits.max_objects:
                    raise self._too_large(name, f"more than interchange.max_objects "
                                                f"({self.limits.max_objects}) SPEC-OBJECTs; "
                                                "refused")
            if name.startswith("ATTRIBUTE-VALUE-") or self._value_depth:
                if not self._value_depth:
                    self._value_bytes, self._value_tag = 0, name
                self._value_depth += 1
            for value in attrib.values():
                self._count(len(value.encode("utf-8")), name)
        element = self._builder.start(tag, attrib)
        if self.expat is not None:
            self.lines[id(element)] = int(self.expat.CurrentLineNumber)
        return element

    def end(self, tag: str) -> ET.Element:
        if self._value_depth:
            self._value_depth -= 1
        if local_name(tag) == "SPEC-OBJECT":
            self._owner = None
        return self._builder.end(tag)

    def data(self, data: str) -> None:
        if self.limits is not None and self._value_depth:
            self._count(len(data.encode("utf-8")), self._value_tag)
        self._builder.data(data)

    def close(self) -> ET.Element:
        return self._builder.close()


@dataclass(frozen=True, slots=True)
class ParsedXml:
    """A parsed tree with the start line of each element (keyed by ``id(element)``)."""

    root: ET.Element
    lines: dict[int, int]
    objects: int = 0
    """SPEC-OBJECTs counted so far in the import (only when parsed with limits)."""

    def line(self, element: ET.Element) -> int | None:
        """The line on which ``element`` starts, when known."""
        return self.lines.get(id(element))


def parse_xml(name: str, data: bytes, limits: ImportLimits | None = None,
              objects_before: int = 0) -> ParsedXml:
    """Parse ``data`` safely, refusing DTDs, entities and external references.

    ``limits`` bound each attribute value and the SPEC-OBJECTs (counting on from
    ``objects_before``, those of earlier files of the same import).

    Raises:
        ImportTooLarge: ``limits`` are exceeded; parsing stops where they were.
        ImportRefused: the bytes are not well-formed XML, or declare a DTD or entities; the
            message names the line (and column) expat stopped at.
    """
    builder = _LineRecordingBuilder(name, limits, objects_before)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        line = int(parser.parser.CurrentLineNumber)
        raise ImportRefused(
            name, f"line {line}", None,
            f"refused for security: the file declares a DTD, entity or external reference "
            f"({type(exc).__name__}); requirement exchange files need none, and expanding them "
            "could read local files or exhaust memory") from None
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise ImportRefused(name, f"line {line}, column {column + 1}", None,
                            f"not well-formed XML: {reason}") from None
    return ParsedXml(root=root, lines=builder.lines, objects=builder.objects)


def local_name(tag: str) -> str:
    """``{namespace}NAME`` -> ``NAME``."""
    return tag.rpartition("}")[2]


def namespace_of(tag: str) -> str:
    """``{namespace}NAME`` -> ``namespace`` (empty when the tag has none)."""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""
