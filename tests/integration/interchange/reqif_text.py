"""Small ReqIF documents written from the ReqIF 1.2 schema, with chosen defects."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

NS = "http://www.omg.org/spec/ReqIF/20110401/reqif.xsd"


@dataclass(frozen=True)
class Req:
    """One SPEC-OBJECT of the requirement type."""

    key: str
    asil: str = "B"
    text: str = "The function shall react."


@dataclass
class Doc:
    """A document: requirements, tree nodes (object key or a missing one), relations."""

    reqs: list[Req]
    asil_name: str = "ASIL"
    tree: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)
    relations: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(identifier, source key, target key, relation type long name)"""

    def xml(self) -> bytes:
        """The document as ReqIF 1.2 XML."""
        relation_types = sorted({r[3] for r in self.relations})
        type_ids = {name: f"srt-{i}" for i, name in enumerate(relation_types)}
        out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<REQ-IF xmlns="{NS}">',
               '<THE-HEADER><REQ-IF-HEADER IDENTIFIER="hdr"><TITLE>Generated</TITLE>'
               "</REQ-IF-HEADER></THE-HEADER><CORE-CONTENT><REQ-IF-CONTENT>",
               '<DATATYPES><DATATYPE-DEFINITION-STRING IDENTIFIER="dt" MAX-LENGTH="4000"/>'
               "</DATATYPES><SPEC-TYPES>",
               '<SPEC-OBJECT-TYPE IDENTIFIER="sot" LONG-NAME="Requirement"><SPEC-ATTRIBUTES>']
        for ident, name in (("ad-id", "ReqIF.ForeignID"), ("ad-text", "ReqIF.Text"),
                            ("ad-asil", self.asil_name)):
            out.append(f"<ATTRIBUTE-DEFINITION-STRING IDENTIFIER={quoteattr(ident)} "
                       f"LONG-NAME={quoteattr(name)}><TYPE><DATATYPE-DEFINITION-STRING-REF>dt"
                       "</DATATYPE-DEFINITION-STRING-REF></TYPE></ATTRIBUTE-DEFINITION-STRING>")
        out.append("</SPEC-ATTRIBUTES></SPEC-OBJECT-TYPE>")
        out.extend(f"<SPEC-RELATION-TYPE IDENTIFIER={quoteattr(ident)} "
                   f"LONG-NAME={quoteattr(name)}/>" for name, ident in type_ids.items())
        out.append('<SPECIFICATION-TYPE IDENTIFIER="st"/></SPEC-TYPES><SPEC-OBJECTS>')
        for req in self.reqs:
            values = "".join(
                f"<ATTRIBUTE-VALUE-STRING THE-VALUE={quoteattr(value)}><DEFINITION>"
                f"<ATTRIBUTE-DEFINITION-STRING-REF>{ref}</ATTRIBUTE-DEFINITION-STRING-REF>"
                "</DEFINITION></ATTRIBUTE-VALUE-STRING>"
                for ref, value in (("ad-id", req.key), ("ad-text", req.text),
                                   ("ad-asil", req.asil)))
            out.append(f'<SPEC-OBJECT IDENTIFIER="o-{req.key}"><VALUES>{values}</VALUES>'
                       "<TYPE><SPEC-OBJECT-TYPE-REF>sot</SPEC-OBJECT-TYPE-REF></TYPE>"
                       "</SPEC-OBJECT>")
        out.append("</SPEC-OBJECTS><SPEC-RELATIONS>")
        for ident, source, target, name in self.relations:
            out.append(f"<SPEC-RELATION IDENTIFIER={quoteattr(ident)}>"
                       f"<SOURCE><SPEC-OBJECT-REF>o-{source}</SPEC-OBJECT-REF></SOURCE>"
                       f"<TARGET><SPEC-OBJECT-REF>o-{target}</SPEC-OBJECT-REF></TARGET>"
                       f"<TYPE><SPEC-RELATION-TYPE-REF>{type_ids[name]}"
                       "</SPEC-RELATION-TYPE-REF></TYPE></SPEC-RELATION>")
        out.append('</SPEC-RELATIONS><SPECIFICATIONS><SPECIFICATION IDENTIFIER="spec">'
                   "<TYPE><SPECIFICATION-TYPE-REF>st</SPECIFICATION-TYPE-REF></TYPE><CHILDREN>")
        for node, key, children in self.tree:
            inner = "".join(
                f"<SPEC-HIERARCHY IDENTIFIER={quoteattr(child_node)}><OBJECT><SPEC-OBJECT-REF>"
                f"o-{child}</SPEC-OBJECT-REF></OBJECT></SPEC-HIERARCHY>"
                for child_node, child in children)
            out.append(f"<SPEC-HIERARCHY IDENTIFIER={quoteattr(node)}><OBJECT><SPEC-OBJECT-REF>"
                       f"o-{key}</SPEC-OBJECT-REF></OBJECT>"
                       + (f"<CHILDREN>{inner}</CHILDREN>" if inner else "")
                       + "</SPEC-HIERARCHY>")
        out.append("</CHILDREN></SPECIFICATION></SPECIFICATIONS>"
                   "</REQ-IF-CONTENT></CORE-CONTENT></REQ-IF>")
        return "\n".join(out).encode()
