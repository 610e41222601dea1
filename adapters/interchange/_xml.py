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

from edgedeploy.application.errors import ImportRefused


class _LineRecordingBuilder:
    """Tree builder target that notes the line on which each element starts."""

    def __init__(self) -> None:
        self._builder = ET.TreeBuilder()
        self.lines: dict[int, int] = {}
        self.expat: Any = None

    def start(self, tag: str, attrib: dict[str, str]) -> ET.Element:
        element = self._builder.start(tag, attrib)
        if self.expat is not None:
            self.lines[id(element)] = int(self.expat.CurrentLineNumber)
        return element

    def end(self, tag: str) -> ET.Element:
        return self._builder.end(tag)

    def data(self, data: str) -> None:
        self._builder.data(data)

    def close(self) -> ET.Element:
        return self._builder.close()


@dataclass(frozen=True, slots=True)
class ParsedXml:
    """A parsed tree with the start line of each element (keyed by ``id(element)``)."""

    root: ET.Element
    lines: dict[int, int]

    def line(self, element: ET.Element) -> int | None:
        """The line on which ``element`` starts, when known."""
        return self.lines.get(id(element))


def parse_xml(name: str, data: bytes) -> ParsedXml:
    """Parse ``data`` safely, refusing DTDs, entities and external references.

    Raises:
        ImportRefused: the bytes are not well-formed XML, or declare a DTD or entities; the
            message names the line (and column) expat stopped at.
    """
    builder = _LineRecordingBuilder()
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
    return ParsedXml(root=root, lines=builder.lines)


def local_name(tag: str) -> str:
    """``{namespace}NAME`` -> ``NAME``."""
    return tag.rpartition("}")[2]


def namespace_of(tag: str) -> str:
    """``{namespace}NAME`` -> ``namespace`` (empty when the tag has none)."""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""
