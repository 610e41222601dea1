"""Rich requirement text: ReqIF XHTML values to and from the string kept in ``Requirement.text``.

ReqIF carries formatted text as XHTML elements inside ``THE-VALUE``. We keep it as one canonical
string (``<div xmlns="http://www.w3.org/1999/xhtml">…</div>``) so that an export can put back
exactly what was imported. A value that is a single ``div`` holding only text is plain text in
every sense that matters, so it is kept as plain text; this keeps a requirement that arrives
once from CSV and once from ReqIF equal, and avoids flagging its links suspect for a
formatting difference.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # builds elements only; parsing goes through defusedxml
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from edgedeploy.adapters.interchange._xml import local_name, namespace_of, parse_xml
from edgedeploy.application.errors import InvalidInput

XHTML_NS = "http://www.w3.org/1999/xhtml"
_XHTML_ROOT = f'<div xmlns="{XHTML_NS}">'


def is_xhtml(text: str) -> bool:
    """True when ``text`` is rich text in the canonical form this module writes."""
    return text.startswith(_XHTML_ROOT[:-1]) and text.endswith("</div>")


def from_elements(children: Iterable[ET.Element], leading_text: str | None) -> str:
    """The text to keep for the XHTML content of one ``THE-VALUE`` element.

    Several top-level elements (some tools write a row of ``p``) are wrapped in one ``div`` so
    that the value has a single root.
    """
    elements = list(children)
    if not elements:
        return (leading_text or "").strip()
    has_leading = bool(leading_text and leading_text.strip())
    if len(elements) == 1 and not has_leading and not (elements[0].tail or "").strip():
        root = elements[0]
        if local_name(root.tag) == "div":
            if not root.attrib and len(root) == 0:
                return (root.text or "").strip()
            return _serialize(root)
    inner = escape(leading_text.strip()) if leading_text and has_leading else ""
    inner += "".join(_serialize(child, top=False) + escape(child.tail or "")
                     for child in elements)
    return f"{_XHTML_ROOT}{inner}</div>" if inner.strip() else ""


def _serialize(element: ET.Element, top: bool = True) -> str:
    name = local_name(element.tag)
    attrs = "".join(f" {local_name(key)}={quoteattr(value)}"
                    for key, value in element.attrib.items()
                    if namespace_of(key) in ("", XHTML_NS))
    if top:
        attrs = f' xmlns="{XHTML_NS}"' + attrs
    body = escape(element.text or "") + "".join(
        _serialize(child, top=False) + escape(child.tail or "") for child in element)
    return f"<{name}{attrs}>{body}</{name}>" if body else f"<{name}{attrs}/>"


def to_element(name: str, text: str) -> ET.Element:
    """An XHTML ``div`` element for ``text``: parsed back when rich, wrapped when plain.

    ``name`` names the document in the message should a rich text fail to parse.
    """
    if is_xhtml(text):
        return parse_xml(name, text.encode("utf-8")).root
    div = ET.Element(f"{{{XHTML_NS}}}div")
    div.text = text
    return div


_SPACE = re.compile(r"\s+")
_BLOCKS = {"p", "div", "li", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}


def plain_text(text: str) -> str:
    """The words of a requirement text without markup, for titles, CSV cells and HTML pages."""
    if not is_xhtml(text):
        return text
    try:
        root = parse_xml("requirement text", text.encode("utf-8")).root
    except InvalidInput:
        return text  # a text we cannot parse is shown as it is
    parts: list[str] = []
    _collect(root, parts)
    return _SPACE.sub(" ", "".join(parts)).strip()


def _collect(element: ET.Element, parts: list[str]) -> None:
    block = local_name(element.tag) in _BLOCKS
    if block:
        parts.append(" ")
    parts.append(element.text or "")
    for child in element:
        _collect(child, parts)
        parts.append(child.tail or "")
    if block:
        parts.append(" ")


def derive_title(text: str, limit: int = 80) -> str:
    """A short title from a requirement's text: its first sentence, cut at a word boundary."""
    words = plain_text(text)
    first = re.split(r"(?<=[.!?])\s", words, maxsplit=1)[0]
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return cut + "…"
