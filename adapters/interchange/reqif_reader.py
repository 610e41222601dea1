"""ReqIF 1.2 import (``.reqif``, ``.reqifz``) as DOORS, Polarion, codebeamer, EA, ProR export it.

The reader resolves the file's own type system (datatypes, enumerations, spec types, attribute
definitions) and reads each SPEC-OBJECT through it; which attribute is the id, title, text,
ASIL or level is decided by name (``vocabulary``), every other attribute is kept. The document
hierarchy (SPECIFICATION / SPEC-HIERARCHY) gives ``parent`` and ``position``, and SPEC-RELATIONs
become typed trace links pointing downstream.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET  # element type only; parsing goes through defusedxml
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from zlib import error as zlib_error

from edgedeploy.adapters.interchange._xml import ParsedXml, local_name, parse_xml
from edgedeploy.adapters.interchange.assembly import DocumentAssembly, PendingLink
from edgedeploy.adapters.interchange.limits import ImportLimits, shown
from edgedeploy.adapters.interchange.mapping import ReqIfMapping, default_mapping
from edgedeploy.adapters.interchange.reqif_schema import (
    MULTI_VALUE_SEPARATOR,
    AttributeSpec,
    AttributeType,
    ReqIfDocument,
)
from edgedeploy.adapters.interchange.vocabulary import (
    Role,
    artifact_kind_of_type,
    normalize,
    parse_level,
    role_of,
    role_rank,
)
from edgedeploy.adapters.interchange.xhtml import derive_title, from_elements
from edgedeploy.application.errors import ImportRefused, ImportTooLarge
from edgedeploy.application.ports.interchange import RequirementDocument
from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    Requirement,
    RequirementLevel,
)
from edgedeploy.domain.safety import ASIL, DecomposedAsil, InvalidAsil

_CHUNK = 1024 * 1024

@dataclass(frozen=True, slots=True)
class _EnumValue:
    identifier: str
    label: str
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Datatype:
    identifier: str
    family: AttributeType
    values: tuple[_EnumValue, ...] = ()


@dataclass(frozen=True, slots=True)
class _AttributeDefinition:
    identifier: str
    name: str
    family: AttributeType
    datatype: _Datatype | None
    multi_valued: bool
    default: _Value | None = None


@dataclass(frozen=True, slots=True)
class _SpecType:
    identifier: str
    name: str
    tag: str
    definitions: tuple[_AttributeDefinition, ...] = ()


@dataclass(frozen=True, slots=True)
class _Value:
    definition: _AttributeDefinition
    text: str
    candidates: tuple[tuple[str, ...], ...] = ()  # per enum label: every name it goes by


@dataclass(slots=True)
class _Object:
    identifier: str
    location: str
    type: _SpecType
    long_name: str | None
    values: list[_Value] = field(default_factory=list)
    item_id: str = ""
    chosen: dict[Role, _Value] = field(default_factory=dict)
    others: list[_Value] = field(default_factory=list)


@dataclass(slots=True)
class _Placement:
    parent: str | None
    position: int


class ReqIfReader:
    """Reads ``.reqif`` files and ``.reqifz`` archives into a ``RequirementDocument``.

    Every SPEC-OBJECT of the file arrives. Defects that lose no requirement content (a
    hierarchy node pointing at nothing, hierarchy nodes sharing an IDENTIFIER, a relation type
    the mapping does not know) become diagnostics in the document; anything that would lose or
    corrupt requirement content refuses the whole file with ``ImportRefused`` naming the file,
    the line and element (tag and IDENTIFIER) and the identifier concerned, and an import over
    ``limits`` is refused with ``ImportTooLarge`` while it is being read.

    Args:
        mapping: attribute names and relation types (default: the shipped mapping file).
        limits: size limits (default: ``ImportLimits()``).
    """

    formats: frozenset[str] = frozenset({".reqif", ".reqifz"})

    def __init__(self, mapping: ReqIfMapping | None = None,
                 limits: ImportLimits | None = None) -> None:
        self.mapping = mapping if mapping is not None else default_mapping()
        self.limits = limits if limits is not None else ImportLimits()

    def read(self, name: str, data: bytes) -> RequirementDocument:
        """Parse a ReqIF file, or every ``.reqif`` inside a ``.reqifz`` archive."""
        if len(data) > self.limits.max_import_bytes:
            raise ImportTooLarge(name, "", None,
                                 f"the file is {shown(len(data))}, more than "
                                 f"interchange.max_import_bytes "
                                 f"({shown(self.limits.max_import_bytes)}); refused")
        if name.lower().endswith(".reqifz") or data[:4] == b"PK\x03\x04":
            return self._read_archive(name, data)
        return _ReqIfFile(name, parse_xml(name, data, self.limits), self.mapping).read()

    def _read_archive(self, name: str, data: bytes) -> RequirementDocument:
        documents: list[ReqIfDocument] = []
        objects = 0
        for member, content in _archive_members(name, data, self.limits):
            member_name = f"{name}!{member}"
            parsed = parse_xml(member_name, content, self.limits, objects_before=objects)
            objects = parsed.objects
            documents.append(_ReqIfFile(member_name, parsed, self.mapping).read())
        if not documents:
            raise ImportRefused(name, "archive", None,
                                "the archive holds no .reqif file; a .reqifz must contain at "
                                "least one")
        if len(documents) == 1:
            return documents[0]
        return _merge(name, documents)


def _archive_members(name: str, data: bytes, limits: ImportLimits,
                     ) -> Iterator[tuple[str, bytes]]:
    """Each ``.reqif`` member, unpacked in bounded chunks so that a zip bomb never inflates."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ImportRefused(name, "archive", None, f"not a readable zip archive: {exc}") from None
    total = len(data)
    with archive:
        members = [info for info in archive.infolist()
                   if info.filename.lower().endswith(".reqif") and not info.is_dir()]
        for info in sorted(members, key=lambda i: i.filename):
            # The sizes the archive declares can lie; they refuse early, the count below decides.
            _check_member(name, info.filename, info.file_size, total, limits)
            chunks: list[bytes] = []
            size = 0
            try:
                with archive.open(info) as handle:
                    while chunk := handle.read(_CHUNK):
                        size += len(chunk)
                        _check_member(name, info.filename, size, total, limits)
                        chunks.append(chunk)
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError,
                    EOFError, zlib_error) as exc:
                raise ImportRefused(name, info.filename, None,
                                    f"cannot unpack: {exc}") from None
            total += size
            yield info.filename, b"".join(chunks)


def _check_member(name: str, member: str, size: int, total: int, limits: ImportLimits) -> None:
    if size > limits.max_member_bytes:
        raise ImportTooLarge(name, member, None,
                             f"unpacks to more than interchange.max_member_bytes "
                             f"({shown(limits.max_member_bytes)}); refused")
    if total + size > limits.max_import_bytes:
        raise ImportTooLarge(name, member, None,
                             f"the archive unpacks to more than interchange.max_import_bytes "
                             f"({shown(limits.max_import_bytes)}); refused")


def _merge(name: str, documents: list[ReqIfDocument]) -> ReqIfDocument:
    seen: dict[str, str] = {}
    for document in documents:
        items: list[Requirement | Artifact] = [*document.requirements, *document.artifacts]
        for item in items:
            if item.id in seen:
                raise ImportRefused(name, document.source, item.id,
                                    f"duplicate identifier '{item.id}' (also in {seen[item.id]})")
            seen[item.id] = document.source
    specs: dict[str, AttributeSpec] = {}
    for document in documents:
        for key, spec in document.attribute_specs:
            specs.setdefault(key, spec)
    diagnostics = [replace(d, location=f"{doc.source}, {d.location}")
                   for doc in documents for d in doc.diagnostics]
    # Roots are numbered on across the files, as across the specifications of one file.
    requirements: list[Requirement] = []
    roots = 0
    for document in documents:
        for requirement in document.requirements:
            if requirement.parent is None:
                requirements.append(replace(requirement, position=roots))
                roots += 1
            else:
                requirements.append(requirement)
    return ReqIfDocument(
        source=name,
        requirements=tuple(requirements),
        artifacts=tuple(a for doc in documents for a in doc.artifacts),
        links=tuple(link for doc in documents for link in doc.links),
        diagnostics=tuple(diagnostics),
        title=" + ".join(doc.title for doc in documents if doc.title),
        attribute_specs=tuple(specs.items()))


class _ReqIfFile:
    """One ReqIF XML document being read; holds the resolved type system."""

    def __init__(self, name: str, parsed: ParsedXml, mapping: ReqIfMapping) -> None:
        self.name = name
        self.parsed = parsed
        self.mapping = mapping
        root = parsed.root
        self.ns = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
        self.out = DocumentAssembly(name, strict_link_kinds=False)
        self.identifiers: dict[str, str] = {}
        self.datatypes: dict[str, _Datatype] = {}
        self.enum_values: dict[str, _EnumValue] = {}
        self.definitions: dict[str, _AttributeDefinition] = {}
        self.types: dict[str, _SpecType] = {}
        self.objects: dict[str, _Object] = {}
        self.relations: set[str] = set()
        self.specifications: set[str] = set()
        self.hierarchy_nodes: dict[str, str] = {}
        self.types_of: dict[str, str] = {}
        self.stated: set[tuple[str, str]] = set()
        self.generic_links: list[tuple[ET.Element, str, str, str, str]] = []

    # -- small helpers -------------------------------------------------------------------------

    def q(self, *tags: str) -> str:
        """An ElementTree path of ReqIF-namespaced tags."""
        return "/".join(f"{{{self.ns}}}{tag}" if self.ns else tag for tag in tags)

    def where(self, element: ET.Element) -> str:
        line = self.parsed.line(element)
        ident = element.get("IDENTIFIER")
        label = local_name(element.tag) + (f" '{ident}'" if ident else "")
        return f"line {line}, {label}" if line is not None else label

    def refuse(self, element: ET.Element, item: str | None, problem: str) -> ImportRefused:
        return ImportRefused(self.name, self.where(element), item, problem)

    def identifier(self, element: ET.Element) -> str:
        ident = element.get("IDENTIFIER", "").strip()
        if not ident:
            raise self.refuse(element, None, "element has no IDENTIFIER")
        first = self.identifiers.get(ident)
        if first is not None:
            raise self.refuse(element, ident,
                              f"duplicate IDENTIFIER '{ident}' (first used at {first})")
        self.identifiers[ident] = self.where(element)
        return ident

    def role(self, attribute: str) -> Role:
        """The role of an attribute, with the mapping's names for the ASIL."""
        return Role.ASIL if self.mapping.is_asil(attribute) else role_of(attribute)

    def node_identifier(self, element: ET.Element) -> str:
        """A SPEC-HIERARCHY node's IDENTIFIER, reported rather than refused when shared.

        Nodes only place objects, so a shared or missing IDENTIFIER loses nothing: the nodes
        are kept apart.
        """
        ident = element.get("IDENTIFIER", "").strip()
        if not ident:
            self.out.warn(self.where(element), None,
                          "SPEC-HIERARCHY node has no IDENTIFIER; its place is kept")
            return ""
        first = self.hierarchy_nodes.get(ident) or self.identifiers.get(ident)
        if first is not None:
            self.out.warn(self.where(element), ident,
                          f"duplicate IDENTIFIER '{ident}' (first used at {first}); the "
                          "hierarchy nodes are kept apart")
        else:
            self.hierarchy_nodes[ident] = self.where(element)
        return ident

    def ref(self, element: ET.Element, container: str, ref_tag: str) -> str | None:
        found = element.find(self.q(container, ref_tag))
        if found is None or not (found.text or "").strip():
            return None
        return (found.text or "").strip()

    # -- the file -----------------------------------------------------------------------------

    def read(self) -> ReqIfDocument:
        root = self.parsed.root
        if local_name(root.tag) != "REQ-IF":
            raise self.refuse(root, None,
                              f"not a ReqIF file: the root element is {local_name(root.tag)}, "
                              "expected REQ-IF")
        content = root.find(self.q("CORE-CONTENT", "REQ-IF-CONTENT"))
        if content is None:
            raise self.refuse(root, None, "no CORE-CONTENT/REQ-IF-CONTENT element")
        title_element = root.find(self.q("THE-HEADER", "REQ-IF-HEADER", "TITLE"))
        title = (title_element.text or "").strip() if title_element is not None else ""

        self._read_datatypes(content)
        self._read_spec_types(content)
        self._read_objects(content)
        placements, order = self._read_hierarchy(content)
        self._build_items(placements, order)
        self._read_relations(content)
        self._read_relation_groups(content)
        document = self.out.finish(title=title)
        return ReqIfDocument(
            source=document.source, requirements=document.requirements,
            artifacts=document.artifacts, links=document.links,
            diagnostics=document.diagnostics, title=document.title,
            attribute_specs=self._attribute_specs())

    def _children(self, content: ET.Element, section: str) -> list[ET.Element]:
        holder = content.find(self.q(section))
        return list(holder) if holder is not None else []

    # -- type system --------------------------------------------------------------------------

    def _read_datatypes(self, content: ET.Element) -> None:
        for element in self._children(content, "DATATYPES"):
            tag = local_name(element.tag)
            if not tag.startswith("DATATYPE-DEFINITION-"):
                continue
            family_name = tag.removeprefix("DATATYPE-DEFINITION-")
            ident = self.identifier(element)
            try:
                family = AttributeType(family_name)
            except ValueError:
                raise self.refuse(element, ident,
                                  f"unknown datatype family {family_name}") from None
            values: list[_EnumValue] = []
            if family is AttributeType.ENUMERATION:
                values.extend(self._enum_value(node) for node in
                              element.iterfind(self.q("SPECIFIED-VALUES", "ENUM-VALUE")))
            self.datatypes[ident] = _Datatype(ident, family, tuple(values))
            for enum_value in values:
                self.enum_values[enum_value.identifier] = enum_value

    def _enum_value(self, element: ET.Element) -> _EnumValue:
        ident = self.identifier(element)
        embedded = element.find(self.q("PROPERTIES", "EMBEDDED-VALUE"))
        other = embedded.get("OTHER-CONTENT", "").strip() if embedded is not None else ""
        key = embedded.get("KEY", "").strip() if embedded is not None else ""
        long_name = element.get("LONG-NAME", "").strip()
        candidates = tuple(dict.fromkeys(c for c in (long_name, other, ident, key) if c))
        return _EnumValue(ident, candidates[0], candidates)

    def _read_spec_types(self, content: ET.Element) -> None:
        for element in self._children(content, "SPEC-TYPES"):
            tag = local_name(element.tag)
            ident = self.identifier(element)
            name = element.get("LONG-NAME", "").strip() or ident
            attributes = element.find(self.q("SPEC-ATTRIBUTES"))
            definitions = [self._attribute_definition(node)
                           for node in (attributes if attributes is not None else ())]
            self.types[ident] = _SpecType(ident, name, tag,
                                          tuple(d for d in definitions if d is not None))

    def _attribute_definition(self, element: ET.Element) -> _AttributeDefinition | None:
        tag = local_name(element.tag)
        if not tag.startswith("ATTRIBUTE-DEFINITION-"):
            return None
        ident = self.identifier(element)
        try:
            family = AttributeType(tag.removeprefix("ATTRIBUTE-DEFINITION-"))
        except ValueError:
            raise self.refuse(element, ident, f"unknown attribute definition {tag}") from None
        datatype_ref = self.ref(element, "TYPE", f"DATATYPE-DEFINITION-{family.value}-REF")
        datatype = None
        if datatype_ref is not None:
            datatype = self.datatypes.get(datatype_ref)
            if datatype is None:
                raise self.refuse(element, ident,
                                  f"refers to datatype '{datatype_ref}', which the file does "
                                  "not define")
        definition = _AttributeDefinition(
            ident, element.get("LONG-NAME", "").strip() or ident, family, datatype,
            element.get("MULTI-VALUED", "false").strip().lower() == "true")
        # A value the definition declares as default applies to every object that omits it;
        # ignoring it could read an object of a default-ASIL-B type as QM.
        default = element.find(self.q("DEFAULT-VALUE", f"ATTRIBUTE-VALUE-{family.value}"))
        if default is not None:
            definition = replace(definition, default=self._read_value(definition, default, ident))
        self.definitions[ident] = definition
        return definition

    def _attribute_specs(self) -> tuple[tuple[str, AttributeSpec], ...]:
        specs: dict[str, AttributeSpec] = {}
        for definition in self.definitions.values():
            if (self.role(definition.name) is not Role.OTHER or definition.name in specs
                    or normalize(definition.name) == "digest"):
                continue
            labels = tuple(v.label for v in definition.datatype.values) if (
                definition.datatype is not None) else ()
            specs[definition.name] = AttributeSpec(definition.family, labels,
                                                   definition.multi_valued)
        return tuple(specs.items())

    # -- objects ------------------------------------------------------------------------------

    def _read_objects(self, content: ET.Element) -> None:
        for element in self._children(content, "SPEC-OBJECTS"):
            if local_name(element.tag) != "SPEC-OBJECT":
                continue
            ident = self.identifier(element)
            type_ref = self.ref(element, "TYPE", "SPEC-OBJECT-TYPE-REF")
            spec_type = self.types.get(type_ref or "")
            if spec_type is None:
                raise self.refuse(element, ident,
                                  f"its TYPE '{type_ref}' is not a SPEC-OBJECT-TYPE of this file"
                                  if type_ref else "SPEC-OBJECT without a TYPE")
            obj = _Object(ident, self.where(element), spec_type,
                          element.get("LONG-NAME", "").strip() or None)
            values = element.find(self.q("VALUES"))
            for value in values if values is not None else ():
                read = self._value(value, ident)
                if read is not None:
                    obj.values.append(read)
            given = {value.definition.identifier for value in obj.values}
            obj.values.extend(definition.default for definition in spec_type.definitions
                              if definition.default is not None
                              and definition.identifier not in given)
            obj.chosen, obj.others = self._role_values(obj)
            id_value = obj.chosen.get(Role.ID)
            obj.item_id = id_value.text.strip() if id_value is not None else obj.identifier
            self.objects[ident] = obj

    def _value(self, element: ET.Element, owner: str) -> _Value | None:
        tag = local_name(element.tag)
        if not tag.startswith("ATTRIBUTE-VALUE-"):
            return None
        family = tag.removeprefix("ATTRIBUTE-VALUE-")
        ref = self.ref(element, "DEFINITION", f"ATTRIBUTE-DEFINITION-{family}-REF")
        definition = self.definitions.get(ref or "")
        if definition is None:
            raise self.refuse(element, owner,
                              f"{tag} refers to attribute definition '{ref}', which the file "
                              "does not define" if ref else f"{tag} has no DEFINITION")
        return self._read_value(definition, element, owner)

    def _read_value(self, definition: _AttributeDefinition, element: ET.Element,
                    owner: str) -> _Value:
        family = definition.family.value
        if family == "XHTML":
            the_value = element.find(self.q("THE-VALUE"))
            if the_value is None:
                return _Value(definition, "")
            return _Value(definition, from_elements(list(the_value), the_value.text))
        if family == "ENUMERATION":
            labels: list[str] = []
            candidates: list[tuple[str, ...]] = []
            for enum_ref in element.iterfind(self.q("VALUES", "ENUM-VALUE-REF")):
                key = (enum_ref.text or "").strip()
                enum_value = self.enum_values.get(key)
                if enum_value is None:
                    raise self.refuse(element, owner,
                                      f"enumeration value '{key}' of attribute "
                                      f"'{definition.name}' is not defined in the file")
                labels.append(enum_value.label)
                candidates.append(enum_value.candidates)
            return _Value(definition, MULTI_VALUE_SEPARATOR.join(labels), tuple(candidates))
        return _Value(definition, element.get("THE-VALUE", ""))

    def _role_values(self, obj: _Object) -> tuple[dict[Role, _Value], list[_Value]]:
        chosen: dict[Role, _Value] = {}
        others: list[_Value] = []
        for value in sorted(obj.values, key=lambda v: role_rank(v.definition.name)):
            role = self.role(value.definition.name)
            if role is Role.OTHER or role in chosen or not self._fits(role, value):
                others.append(value)
            else:
                chosen[role] = value
        order = {id(v): index for index, v in enumerate(obj.values)}
        others.sort(key=lambda v: order[id(v)])
        return chosen, others

    @staticmethod
    def _fits(role: Role, value: _Value) -> bool:
        """Whether a value can fill its role; one that cannot is kept as a plain attribute."""
        if role is Role.ID:
            return bool(value.text.strip())
        if role is Role.LEVEL:
            return parse_level(value.text) is not None
        if role is Role.VERSION:
            return value.text.strip().isdigit() and int(value.text) >= 1
        return True

    # -- hierarchy ----------------------------------------------------------------------------

    def _read_hierarchy(self, content: ET.Element) -> tuple[dict[str, _Placement], list[str]]:
        placements: dict[str, _Placement] = {}
        order: list[str] = []
        counters: dict[str | None, int] = {}
        for specification in self._children(content, "SPECIFICATIONS"):
            if local_name(specification.tag) != "SPECIFICATION":
                continue
            self.specifications.add(self.identifier(specification))
            self._walk(specification, None, placements, order, counters)
        for ident in self.objects:
            if ident not in placements:
                obj = self.objects[ident]
                if self.specifications and artifact_kind_of_type(obj.type.name) is None:
                    self.out.warn(obj.location, obj.item_id,
                                  "the object is placed in no SPECIFICATION; imported at the "
                                  "top level")
                placements[ident] = _Placement(None, self._next(counters, None, obj))
                order.append(ident)
        return placements, order

    def _next(self, counters: dict[str | None, int], parent: str | None, obj: _Object) -> int:
        if artifact_kind_of_type(obj.type.name) is not None:
            return 0
        position = counters.get(parent, 0)
        counters[parent] = position + 1
        return position

    def _walk(self, element: ET.Element, parent: str | None, placements: dict[str, _Placement],
              order: list[str], counters: dict[str | None, int]) -> None:
        for node in element.iterfind(self.q("CHILDREN", "SPEC-HIERARCHY")):
            ident = self.node_identifier(node)
            ref = self.ref(node, "OBJECT", "SPEC-OBJECT-REF")
            obj = self.objects.get(ref or "")
            if obj is None:
                # The node carries no content; its children keep their place one level up.
                self.out.warn(self.where(node), ident or None,
                              (f"refers to SPEC-OBJECT '{ref}', which does not exist in this "
                               "file" if ref else "SPEC-HIERARCHY without an OBJECT")
                              + "; node skipped, its children placed under the nearest "
                                "existing ancestor")
                self._walk(node, parent, placements, order, counters)
                continue
            next_parent = parent
            if obj.identifier in placements:
                self.out.warn(self.where(node), obj.item_id,
                              "object appears more than once in the specifications; its first "
                              "place is kept")
            else:
                placements[obj.identifier] = _Placement(parent, self._next(counters, parent, obj))
                order.append(obj.identifier)
                if artifact_kind_of_type(obj.type.name) is None:
                    next_parent = obj.identifier
            self._walk(node, next_parent, placements, order, counters)

    # -- items --------------------------------------------------------------------------------

    def _build_items(self, placements: dict[str, _Placement], order: list[str]) -> None:
        for ident in order:
            obj = self.objects[ident]
            placement = placements[ident]
            kind = artifact_kind_of_type(obj.type.name)
            if kind is None:
                parent = self.objects[placement.parent].item_id if placement.parent else None
                self.out.add_requirement(self._requirement(obj, parent, placement.position),
                                         obj.location)
            else:
                self.out.add_artifact(self._artifact(obj, kind), obj.location)

    def _requirement(self, obj: _Object, parent: str | None, position: int) -> Requirement:
        chosen, others = obj.chosen, obj.others
        text = chosen[Role.TEXT].text if Role.TEXT in chosen else ""
        title = chosen[Role.TITLE].text.strip() if Role.TITLE in chosen else ""
        if not title:
            title = obj.long_name or derive_title(text) or obj.item_id
        asil, decomposition = self._asil(obj, chosen.get(Role.ASIL))
        level_value = chosen.get(Role.LEVEL)
        level = parse_level(level_value.text) if level_value is not None else None
        status_value = chosen.get(Role.STATUS)
        version_value = chosen.get(Role.VERSION)
        with self.out.guard(obj.location, obj.item_id):
            return Requirement(
                id=ItemId(obj.item_id), title=title, asil=asil, text=text,
                level=level or RequirementLevel.SYSTEM,
                status=(status_value.text.strip() if status_value is not None
                        and status_value.text.strip() else "approved"),
                version=int(version_value.text) if version_value is not None else 1,
                decomposition=decomposition,
                parent=ItemId(parent) if parent is not None else None,
                position=position,
                attributes=tuple((v.definition.name, v.text) for v in others))

    def _asil(self, obj: _Object, value: _Value | None) -> tuple[ASIL, DecomposedAsil | None]:
        if value is None or not value.text.strip():
            self.out.warn(obj.location, obj.item_id,
                          "no ASIL given; read as QM. Set the ASIL attribute in the source "
                          "tool if the requirement is safety-relevant")
            return ASIL.QM, None
        names = [c for group in value.candidates for c in group] or [value.text]
        for name in names:
            if "(" in name:
                try:
                    decomposed = DecomposedAsil.parse(name)
                    return decomposed.level, decomposed
                except InvalidAsil:
                    pass
            try:
                return ASIL.parse(name), None
            except InvalidAsil:
                continue
        raise ImportRefused(self.name, obj.location, obj.item_id,
                            f"unknown ASIL value '{value.text}' in attribute "
                            f"'{value.definition.name}'; expected QM, A, B, C or D")

    def _artifact(self, obj: _Object, kind: ArtifactKind) -> Artifact:
        chosen, others = obj.chosen, obj.others
        title_value = chosen.get(Role.TITLE)
        text_value = chosen.get(Role.TEXT)
        title = title_value.text.strip() if title_value is not None else ""
        if not title:
            title = obj.long_name or (derive_title(text_value.text) if text_value else "")
        kept = [v for role, v in chosen.items() if role not in (Role.ID, Role.TITLE)]
        order = {id(v): index for index, v in enumerate(obj.values)}
        attributes = [(v.definition.name, v.text) for v in sorted(
            [*kept, *others], key=lambda v: order[id(v)])]
        digest = next((text for key, text in attributes if normalize(key) == "digest"), None)
        attributes = [(key, text) for key, text in attributes if normalize(key) != "digest"]
        with self.out.guard(obj.location, obj.item_id):
            return Artifact(id=ItemId(obj.item_id), kind=kind, title=title,
                            digest=digest.strip() if digest and digest.strip() else None,
                            attributes=tuple(attributes))

    # -- relations ----------------------------------------------------------------------------

    def _read_relations(self, content: ET.Element) -> None:
        for element in self._children(content, "SPEC-RELATIONS"):
            if local_name(element.tag) != "SPEC-RELATION":
                continue
            ident = self.identifier(element)
            self.relations.add(ident)
            ends = []
            for end in ("SOURCE", "TARGET"):
                ref = self.ref(element, end, "SPEC-OBJECT-REF")
                obj = self.objects.get(ref or "")
                if obj is None:
                    raise self.refuse(
                        element, ident,
                        f"dangling relation: its {end.lower()} '{ref}' does not exist in this "
                        "file" if ref else f"relation without a {end}")
                ends.append(obj.item_id)
                self.types_of[obj.item_id] = obj.type.name
            source, target = ends
            type_ref = self.ref(element, "TYPE", "SPEC-RELATION-TYPE-REF")
            spec_type = self.types.get(type_ref or "")
            if spec_type is None or spec_type.tag != "SPEC-RELATION-TYPE":
                self._defer_generic(element, ident, source, target,
                                    f"relation type '{type_ref}' is not defined in the file")
                continue
            meaning = self.mapping.relation(spec_type.name)
            if meaning is None:
                why = (f"relation type '{spec_type.name}' only says the items are connected"
                       if self.mapping.is_generic(spec_type.name) else
                       f"relation type '{spec_type.name}' is not in the ReqIF mapping "
                       f"({self.mapping.source})")
                self._defer_generic(element, ident, source, target, why)
                continue
            if meaning.reverse:
                source, target = target, source
            self.out.add_link(PendingLink(source, meaning.relation, target,
                                          self.where(element), ident))
            self.stated.add((source, target))
        # Read after every typed link, so that none is contradicted by a generic one.
        for generic in self.generic_links:
            self._generic_link(*generic)

    def _defer_generic(self, element: ET.Element, ident: str, source: str, target: str,
                       why: str) -> None:
        self.generic_links.append((element, ident, source, target, why))

    def _generic_link(self, element: ET.Element, ident: str, source: str, target: str,
                      why: str) -> None:
        """Keep a link whose type has no exact meaning, claiming no more than it states.

        Between two requirements it becomes the mapping's ``between_requirements`` relation
        in the file's direction; anything else would claim a verification, realisation or
        deployment the tool never stated, so such a link is left out. Both are reported.
        """
        where = self.where(element)
        relation = self.mapping.between_requirements
        kinds = {artifact_kind_of_type(self.types_of[end]) for end in (source, target)}
        if relation is None or kinds != {None}:
            self.out.warn(where, ident, f"{why}; link {source} -> {target} not imported "
                                        "(edgedeploy has no relation that claims nothing "
                                        "more between these items)")
            return
        if source == target or {(source, target), (target, source)} & self.stated:
            self.out.warn(where, ident, f"{why}; link {source} -> {target} not imported "
                                        "(another relation already links these items, or it "
                                        "would link an item to itself)")
            return
        self.out.warn(where, ident, f"{why}; imported as {source} {relation} {target}, the "
                                    "least edgedeploy claims between two requirements")
        self.out.add_link(PendingLink(source, relation, target, where, ident))
        self.stated.add((source, target))

    def _read_relation_groups(self, content: ET.Element) -> None:
        for element in self._children(content, "SPEC-RELATION-GROUPS"):
            if local_name(element.tag) != "RELATION-GROUP":
                continue
            ident = self.identifier(element)
            # A group only gathers relations; a stale reference in it loses nothing.
            for ref in element.iterfind(self.q("SPEC-RELATIONS", "SPEC-RELATION-REF")):
                key = (ref.text or "").strip()
                if key not in self.relations:
                    self.out.warn(self.where(element), ident,
                                  f"relation group refers to SPEC-RELATION '{key}', which "
                                  "does not exist in this file; reference ignored")
            for end in ("SOURCE-SPECIFICATION", "TARGET-SPECIFICATION"):
                spec_ref = self.ref(element, end, "SPECIFICATION-REF")
                if spec_ref is not None and spec_ref not in self.specifications:
                    self.out.warn(self.where(element), ident,
                                  f"relation group's {end.lower()} '{spec_ref}' is not a "
                                  "SPECIFICATION of this file; reference ignored")
