"""ReqIF 1.2 export of a requirement document.

The file declares its own type system: one enumeration datatype per enumerated attribute (ASIL
and level always, others as the import declared them) listing every value, a spec-object type
for requirements and one per artifact kind, a spec-relation type per trace relation used, the
objects, their hierarchy in document order, and the relations. Reading the result back with
:class:`ReqIfReader` gives the same identifiers, attribute values, hierarchy and typed links.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # builds the tree; serialization is our own, below
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from edgedeploy.adapters.interchange.reqif_schema import (
    MULTI_VALUE_SEPARATOR,
    REQIF_NS,
    XHTML_NS,
    AttributeSpec,
    AttributeType,
    ReqIfDocument,
)
from edgedeploy.adapters.interchange.vocabulary import normalize
from edgedeploy.adapters.interchange.xhtml import to_element
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.interchange import RequirementDocument
from edgedeploy.domain.requirements import Artifact, ArtifactKind, Requirement, RequirementLevel
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import Relation

# Written as forward phrases so that no reader has to guess the direction.
RELATION_NAMES: Mapping[Relation, str] = {
    Relation.DERIVES: "derives",
    Relation.REFINES: "refined by",
    Relation.SATISFIED_BY: "satisfied by",
    Relation.VERIFIED_BY: "verified by",
    Relation.IMPLEMENTED_BY: "implemented by",
    Relation.DEPLOYED_AS: "deployed as",
}

ARTIFACT_TYPE_NAMES: Mapping[ArtifactKind, str] = {
    ArtifactKind.TEST: "Test Case",
    ArtifactKind.DATASET: "Dataset Artifact",
    ArtifactKind.MODEL: "Model Artifact",
    ArtifactKind.DEPLOYMENT: "Deployment Artifact",
}

ID_ATTRIBUTE = "ReqIF.ForeignID"
TITLE_ATTRIBUTE = "ReqIF.Name"
TEXT_ATTRIBUTE = "ReqIF.Text"
ASIL_ATTRIBUTE = "ASIL"
LEVEL_ATTRIBUTE = "Level"
STATUS_ATTRIBUTE = "Status"
VERSION_ATTRIBUTE = "Version"
DIGEST_ATTRIBUTE = "Digest"

_NOT_NCNAME = re.compile(r"[^A-Za-z0-9_.\-]")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _q(tag: str) -> str:
    return f"{{{REQIF_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, attrib: Mapping[str, str] | None = None,
         text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, _q(tag), dict(attrib or {}))
    if text is not None:
        element.text = text
    return element


@dataclass(frozen=True, slots=True)
class _Definition:
    identifier: str
    name: str
    spec: AttributeSpec
    datatype: str
    enum_ids: Mapping[str, str]


class _Identifiers:
    """Unique XML IDs derived from item ids, readable where the item id allows."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def make(self, prefix: str, hint: str) -> str:
        base = f"{prefix}-{_NOT_NCNAME.sub('_', hint)}"
        candidate, counter = base, 1
        while candidate in self._used:
            counter += 1
            candidate = f"{base}-{counter}"
        self._used.add(candidate)
        return candidate


class ReqIfWriter:
    """Writes a ``RequirementDocument`` as a ReqIF 1.2 file.

    Args:
        now: the clock giving CREATION-TIME and LAST-CHANGE (fixed in tests so that the
            output is byte-for-byte reproducible).
        attribute_specs: how to declare attributes the document does not describe itself
            (a document read from ReqIF carries its own specs).
        tool_id: written as REQ-IF-TOOL-ID and SOURCE-TOOL-ID.
    """

    format: str = ".reqif"

    def __init__(self, now: Callable[[], datetime] | None = None,
                 attribute_specs: Mapping[str, AttributeSpec] | None = None,
                 tool_id: str = "edgedeploy") -> None:
        self._now = now or (lambda: datetime.now(UTC))
        self._specs = dict(attribute_specs or {})
        self._tool_id = tool_id

    def write(self, document: RequirementDocument) -> bytes:
        """The ReqIF file's bytes (UTF-8).

        Raises:
            InvalidInput: an item carries an attribute whose name clashes with one the writer
                uses for the item's own fields, or a rich text is not well-formed XHTML.
        """
        return _Export(document, self._specs, self._now(), self._tool_id).build()


class _Export:
    def __init__(self, document: RequirementDocument, specs: Mapping[str, AttributeSpec],
                 now: datetime, tool_id: str) -> None:
        self.document = document
        self.specs = dict(specs)
        if isinstance(document, ReqIfDocument):
            self.specs.update(document.attribute_specs)
        self.stamp = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        self.tool_id = tool_id
        self.ids = _Identifiers()
        self.object_ids: dict[str, str] = {}
        self.datatypes: dict[str, ET.Element] = {}
        self.datatypes_holder = ET.Element(_q("DATATYPES"))
        self.enum_count = 0

    def identifiable(self, parent: ET.Element, tag: str, identifier: str,
                     long_name: str | None = None, **extra: str) -> ET.Element:
        attrib = {"IDENTIFIER": identifier, "LAST-CHANGE": self.stamp}
        if long_name is not None:
            attrib["LONG-NAME"] = long_name
        attrib.update(extra)
        return _sub(parent, tag, attrib)

    def build(self) -> bytes:
        root = ET.Element(_q("REQ-IF"))
        header = _sub(_sub(root, "THE-HEADER"), "REQ-IF-HEADER",
                      {"IDENTIFIER": self.ids.make("HEADER", self.document.source or "export")})
        _sub(header, "CREATION-TIME", text=self.stamp)
        _sub(header, "REQ-IF-TOOL-ID", text=self.tool_id)
        _sub(header, "REQ-IF-VERSION", text="1.0")
        _sub(header, "SOURCE-TOOL-ID", text=self.tool_id)
        _sub(header, "TITLE", text=self.document.title or self.document.source)
        content = _sub(_sub(root, "CORE-CONTENT"), "REQ-IF-CONTENT")
        content.append(self.datatypes_holder)
        spec_types = _sub(content, "SPEC-TYPES")
        objects = _sub(content, "SPEC-OBJECTS")
        relations = _sub(content, "SPEC-RELATIONS")
        specifications = _sub(content, "SPECIFICATIONS")

        requirement_defs = self._requirement_type(spec_types)
        for requirement in self.document.requirements:
            self._requirement_object(objects, requirement, requirement_defs)
        by_kind: dict[ArtifactKind, list[Artifact]] = defaultdict(list)
        for artifact in self.document.artifacts:
            by_kind[artifact.kind].append(artifact)
        for kind, artifacts in by_kind.items():
            type_id, defs = self._artifact_type(spec_types, kind, artifacts)
            for artifact in artifacts:
                self._artifact_object(objects, artifact, type_id, defs)
        self._relations(spec_types, relations)
        self._specifications(spec_types, specifications)
        return _serialize(root)

    # -- datatypes and types ------------------------------------------------------------------

    def _datatype(self, name: str, spec: AttributeSpec, labels: Sequence[str],
                  ) -> tuple[str, dict[str, str]]:
        if spec.type is not AttributeType.ENUMERATION:
            key = spec.type.value
            if key not in self.datatypes:
                extra = {"STRING": {"MAX-LENGTH": "1000000"},
                         "INTEGER": {"MAX": "9223372036854775807",
                                     "MIN": "-9223372036854775808"},
                         "REAL": {"ACCURACY": "15", "MAX": "1.7976931348623157E308",
                                  "MIN": "-1.7976931348623157E308"}}.get(key, {})
                self.datatypes[key] = self.identifiable(
                    self.datatypes_holder, f"DATATYPE-DEFINITION-{key}", f"DT-{key}",
                    f"T_{key.title()}", **extra)
            return f"DT-{key}", {}
        self.enum_count += 1
        ident = f"DT-ENUM-{self.enum_count}"
        element = self.identifiable(self.datatypes_holder, "DATATYPE-DEFINITION-ENUMERATION",
                                    ident, f"T_{name}")
        values = _sub(element, "SPECIFIED-VALUES")
        ids: dict[str, str] = {}
        for index, label in enumerate(labels):
            value_id = f"{ident}-V{index}"
            ids[label] = value_id
            value = self.identifiable(values, "ENUM-VALUE", value_id, label)
            _sub(_sub(value, "PROPERTIES"), "EMBEDDED-VALUE",
                 {"KEY": str(index), "OTHER-CONTENT": ""})
        return ident, ids

    def _definitions(self, spec_type: ET.Element, prefix: str,
                     fields: Sequence[tuple[str, AttributeSpec, Sequence[str]]],
                     ) -> dict[str, _Definition]:
        holder = _sub(spec_type, "SPEC-ATTRIBUTES")
        defs: dict[str, _Definition] = {}
        for index, (name, spec, labels) in enumerate(fields):
            datatype, enum_ids = self._datatype(name, spec, labels)
            identifier = f"{prefix}-AD{index}"
            extra = {"MULTI-VALUED": "true" if spec.multi_valued else "false"} if (
                spec.type is AttributeType.ENUMERATION) else {}
            definition = self.identifiable(holder, f"ATTRIBUTE-DEFINITION-{spec.type.value}",
                                           identifier, name, **extra)
            _sub(_sub(definition, "TYPE"), f"DATATYPE-DEFINITION-{spec.type.value}-REF",
                 text=datatype)
            defs[name] = _Definition(identifier, name, spec, datatype, enum_ids)
        return defs

    def _other_fields(self, items: Iterable[Requirement | Artifact], reserved: set[str],
                      ) -> list[tuple[str, AttributeSpec, Sequence[str]]]:
        values: dict[str, list[str]] = {}
        for item in items:
            for name, value in item.attributes:
                if normalize(name) in reserved:
                    raise InvalidInput(
                        f"{item.id}: attribute '{name}' clashes with the ReqIF attribute the "
                        "export uses for the item's own field; rename it")
                values.setdefault(name, []).append(value)
        return [(name, *self._spec_for(name, seen)) for name, seen in values.items()]

    def _spec_for(self, name: str, seen: list[str]) -> tuple[AttributeSpec, Sequence[str]]:
        spec = self.specs.get(name, AttributeSpec(AttributeType.STRING))
        if spec.type is AttributeType.ENUMERATION:
            labels = list(spec.labels)
            for value in seen:
                parts = value.split(MULTI_VALUE_SEPARATOR) if spec.multi_valued else [value]
                labels.extend(p for p in parts if p and p not in labels)
            return spec, labels
        if not all(_fits(spec.type, value) for value in seen):
            return AttributeSpec(AttributeType.STRING), ()
        return spec, ()

    def _requirement_type(self, spec_types: ET.Element) -> dict[str, _Definition]:
        requirements = self.document.requirements
        spec_type = self.identifiable(spec_types, "SPEC-OBJECT-TYPE", "SOT-REQUIREMENT",
                                      "Requirement")
        asil_labels = [level.value for level in ASIL]
        for requirement in requirements:
            if requirement.decomposition is not None:
                label = str(requirement.decomposition)
                if label not in asil_labels:
                    asil_labels.append(label)
        fields: list[tuple[str, AttributeSpec, Sequence[str]]] = [
            (ID_ATTRIBUTE, AttributeSpec(AttributeType.STRING), ()),
            (TITLE_ATTRIBUTE, AttributeSpec(AttributeType.STRING), ()),
            (TEXT_ATTRIBUTE, AttributeSpec(AttributeType.XHTML), ()),
            (ASIL_ATTRIBUTE, AttributeSpec(AttributeType.ENUMERATION), asil_labels),
            (LEVEL_ATTRIBUTE, AttributeSpec(AttributeType.ENUMERATION),
             [level.value for level in RequirementLevel]),
            (STATUS_ATTRIBUTE, AttributeSpec(AttributeType.STRING), ()),
            (VERSION_ATTRIBUTE, AttributeSpec(AttributeType.INTEGER), ()),
        ]
        reserved = {normalize(name) for name, _, _ in fields}
        fields.extend(self._other_fields(requirements, reserved))
        return self._definitions(spec_type, "SOT-REQUIREMENT", fields)

    def _artifact_type(self, spec_types: ET.Element, kind: ArtifactKind,
                       artifacts: Sequence[Artifact]) -> tuple[str, dict[str, _Definition]]:
        type_id = f"SOT-{kind.value.upper()}"
        spec_type = self.identifiable(spec_types, "SPEC-OBJECT-TYPE", type_id,
                                      ARTIFACT_TYPE_NAMES[kind])
        fields: list[tuple[str, AttributeSpec, Sequence[str]]] = [
            (ID_ATTRIBUTE, AttributeSpec(AttributeType.STRING), ()),
            (TITLE_ATTRIBUTE, AttributeSpec(AttributeType.STRING), ()),
            (DIGEST_ATTRIBUTE, AttributeSpec(AttributeType.STRING), ()),
        ]
        reserved = {normalize(name) for name, _, _ in fields}
        fields.extend(self._other_fields(artifacts, reserved))
        return type_id, self._definitions(spec_type, type_id, fields)

    # -- objects ------------------------------------------------------------------------------

    def _value(self, values: ET.Element, definition: _Definition, text: str) -> None:
        bad = _XML_INVALID.search(text)
        if bad is not None:
            raise InvalidInput(f"attribute '{definition.name}' holds the character "
                               f"U+{ord(bad.group()):04X}, which XML 1.0 cannot carry")
        family = definition.spec.type.value
        if definition.spec.type is AttributeType.ENUMERATION:
            element = _sub(values, "ATTRIBUTE-VALUE-ENUMERATION")
            _sub(_sub(element, "DEFINITION"), "ATTRIBUTE-DEFINITION-ENUMERATION-REF",
                 text=definition.identifier)
            refs = _sub(element, "VALUES")
            labels = text.split(MULTI_VALUE_SEPARATOR) if definition.spec.multi_valued else [text]
            for label in labels:
                if label:
                    _sub(refs, "ENUM-VALUE-REF", text=definition.enum_ids[label])
            return
        if definition.spec.type is AttributeType.XHTML:
            element = _sub(values, "ATTRIBUTE-VALUE-XHTML")
            _sub(_sub(element, "DEFINITION"), "ATTRIBUTE-DEFINITION-XHTML-REF",
                 text=definition.identifier)
            try:
                rich = to_element(self.document.source, text)
            except InvalidInput as exc:
                raise InvalidInput(f"rich text of attribute '{definition.name}' is not "
                                   f"well-formed XHTML: {exc.message}") from None
            _sub(element, "THE-VALUE").append(rich)
            return
        element = _sub(values, f"ATTRIBUTE-VALUE-{family}", {"THE-VALUE": text})
        _sub(_sub(element, "DEFINITION"), f"ATTRIBUTE-DEFINITION-{family}-REF",
             text=definition.identifier)

    def _object(self, objects: ET.Element, item_id: str) -> ET.Element:
        identifier = self.ids.make("SO", item_id)
        self.object_ids[item_id] = identifier
        return self.identifiable(objects, "SPEC-OBJECT", identifier)

    def _requirement_object(self, objects: ET.Element, requirement: Requirement,
                            defs: Mapping[str, _Definition]) -> None:
        element = self._object(objects, requirement.id)
        values = _sub(element, "VALUES")
        asil = str(requirement.decomposition) if requirement.decomposition else requirement.asil
        fields = [(ID_ATTRIBUTE, requirement.id), (TITLE_ATTRIBUTE, requirement.title),
                  (TEXT_ATTRIBUTE, requirement.text), (ASIL_ATTRIBUTE, str(asil)),
                  (LEVEL_ATTRIBUTE, requirement.level.value),
                  (STATUS_ATTRIBUTE, requirement.status)]
        if requirement.version != 1:
            fields.append((VERSION_ATTRIBUTE, str(requirement.version)))
        for name, text in fields:
            if text or name in (ID_ATTRIBUTE, ASIL_ATTRIBUTE):
                self._value(values, defs[name], text)
        for name, text in requirement.attributes:
            self._value(values, defs[name], text)
        _sub(_sub(element, "TYPE"), "SPEC-OBJECT-TYPE-REF", text="SOT-REQUIREMENT")

    def _artifact_object(self, objects: ET.Element, artifact: Artifact, type_id: str,
                         defs: Mapping[str, _Definition]) -> None:
        element = self._object(objects, artifact.id)
        values = _sub(element, "VALUES")
        fields = [(ID_ATTRIBUTE, artifact.id), (TITLE_ATTRIBUTE, artifact.title),
                  (DIGEST_ATTRIBUTE, artifact.digest or "")]
        for name, text in fields:
            if text or name == ID_ATTRIBUTE:
                self._value(values, defs[name], text)
        for name, text in artifact.attributes:
            self._value(values, defs[name], text)
        _sub(_sub(element, "TYPE"), "SPEC-OBJECT-TYPE-REF", text=type_id)

    # -- relations and hierarchy --------------------------------------------------------------

    def _relations(self, spec_types: ET.Element, relations: ET.Element) -> None:
        type_ids: dict[Relation, str] = {}
        for link in self.document.links:
            if link.relation not in type_ids:
                type_ids[link.relation] = f"SRT-{link.relation.value.upper()}"
                self.identifiable(spec_types, "SPEC-RELATION-TYPE", type_ids[link.relation],
                                  RELATION_NAMES[link.relation])
        for index, link in enumerate(self.document.links):
            for end in (link.source, link.target):
                if end not in self.object_ids:
                    raise InvalidInput(f"link {link.source} {link.relation} {link.target}: "
                                       f"'{end}' is not an item of the document")
            element = self.identifiable(relations, "SPEC-RELATION", f"SR-{index + 1}")
            _sub(_sub(element, "SOURCE"), "SPEC-OBJECT-REF", text=self.object_ids[link.source])
            _sub(_sub(element, "TARGET"), "SPEC-OBJECT-REF", text=self.object_ids[link.target])
            _sub(_sub(element, "TYPE"), "SPEC-RELATION-TYPE-REF", text=type_ids[link.relation])

    def _specifications(self, spec_types: ET.Element, specifications: ET.Element) -> None:
        self.identifiable(spec_types, "SPECIFICATION-TYPE", "ST-SPECIFICATION",
                          "Specification")
        requirements = self.document.requirements
        known = {r.id for r in requirements}
        children: dict[str | None, list[tuple[int, int, Requirement]]] = defaultdict(list)
        for index, requirement in enumerate(requirements):
            parent = requirement.parent if requirement.parent in known else None
            children[parent].append((requirement.position, index, requirement))
        spec = self.identifiable(specifications, "SPECIFICATION", "SPEC-REQUIREMENTS",
                                 self.document.title or "Requirements")
        _sub(_sub(spec, "TYPE"), "SPECIFICATION-TYPE-REF", text="ST-SPECIFICATION")
        self._hierarchy(spec, None, children)
        if self.document.artifacts:
            spec = self.identifiable(specifications, "SPECIFICATION", "SPEC-ARTIFACTS",
                                     "Verification and work products")
            _sub(_sub(spec, "TYPE"), "SPECIFICATION-TYPE-REF", text="ST-SPECIFICATION")
            holder = _sub(spec, "CHILDREN")
            for artifact in self.document.artifacts:
                self._node(holder, artifact.id)

    def _node(self, holder: ET.Element, item_id: str) -> ET.Element:
        node = self.identifiable(holder, "SPEC-HIERARCHY", self.ids.make("SH", item_id))
        _sub(_sub(node, "OBJECT"), "SPEC-OBJECT-REF", text=self.object_ids[item_id])
        return node

    def _hierarchy(self, element: ET.Element, parent: str | None,
                   children: Mapping[str | None, list[tuple[int, int, Requirement]]]) -> None:
        stack: list[tuple[ET.Element, str | None]] = [(element, parent)]
        while stack:
            holder_parent, key = stack.pop()
            kids = sorted(children.get(key, []), key=lambda entry: entry[:2])
            if not kids:
                continue
            holder = _sub(holder_parent, "CHILDREN")
            for _, _, requirement in kids:
                stack.append((self._node(holder, requirement.id), requirement.id))


def _fits(family: AttributeType, value: str) -> bool:
    try:
        if family is AttributeType.INTEGER:
            int(value)
        elif family is AttributeType.REAL:
            float(value)
        elif family is AttributeType.BOOLEAN:
            return value in ("true", "false")
    except ValueError:
        return False
    return True


_PREFIXES = {REQIF_NS: "", XHTML_NS: "xhtml:"}


def _name(tag: str) -> str:
    namespace, _, local = tag[1:].partition("}")
    return _PREFIXES.get(namespace, "") + local


def _serialize(root: ET.Element) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    namespaces = f' xmlns="{REQIF_NS}" xmlns:xhtml="{XHTML_NS}"'
    _emit(root, 0, lines, namespaces)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _text(value: str) -> str:
    # A raw carriage return would be read back as a line feed (XML end-of-line handling).
    return escape(value).replace("\r", "&#13;")


def _attributes(element: ET.Element) -> str:
    return "".join(f" {key}={quoteattr(value)}" for key, value in element.attrib.items())


def _emit(element: ET.Element, depth: int, lines: list[str], extra: str = "") -> None:
    pad = "  " * depth
    name = _name(element.tag)
    if name == "THE-VALUE" and len(element):
        inner = "".join(_inline(child) for child in element)
        lines.append(f"{pad}<{name}{_attributes(element)}>{inner}</{name}>")
        return
    if len(element) == 0:
        if element.text:
            lines.append(f"{pad}<{name}{extra}{_attributes(element)}>{_text(element.text)}"
                         f"</{name}>")
        else:
            lines.append(f"{pad}<{name}{extra}{_attributes(element)}/>")
        return
    if len(element) == 1 and len(element[0]) == 0 and element[0].text and not element.attrib:
        # A reference in its wrapper (<TYPE><…-REF>id</…-REF></TYPE>) reads best on one line.
        child = element[0]
        child_name = _name(child.tag)
        lines.append(f"{pad}<{name}{extra}><{child_name}{_attributes(child)}>"
                     f"{_text(child.text or '')}</{child_name}></{name}>")
        return
    lines.append(f"{pad}<{name}{extra}{_attributes(element)}>")
    for child in element:
        _emit(child, depth + 1, lines)
    lines.append(f"{pad}</{name}>")


def _inline(element: ET.Element) -> str:
    """XHTML is mixed content: written without added whitespace so the text stays exact."""
    name = _name(element.tag) if element.tag.startswith("{") else f"xhtml:{element.tag}"
    body = _text(element.text or "") + "".join(
        _inline(child) + _text(child.tail or "") for child in element)
    attrs = "".join(f" {key.rpartition('}')[2]}={quoteattr(value)}"
                    for key, value in element.attrib.items())
    return f"<{name}{attrs}>{body}</{name}>" if body else f"<{name}{attrs}/>"
