"""The ReqIF mapping file: which attribute names hold the ASIL, what relation types mean.

The defaults ship as ``reqif_mapping.yaml`` next to this module and are documented there; a
site adds its tools' own names with a file of the same layout (setting
``interchange.reqif_mapping``) instead of waiting for a release.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from edgedeploy.application.errors import InvalidInput
from edgedeploy.domain.errors import DomainError
from edgedeploy.domain.traceability import Relation

DEFAULT_MAPPING = "reqif_mapping.yaml"
_TOP_KEYS = frozenset({"attributes", "relations", "generic", "between_requirements"})
_DIRECTIONS = ("forward", "backward")


def normalize(name: str) -> str:
    """Lower-case letters and digits only: ``ReqIF.ForeignID`` -> ``reqifforeignid``."""
    return "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())


def attribute_key(name: str) -> str:
    """An attribute name as compared: normalized, without Enterprise Architect's ``TV:``."""
    return normalize(name.removeprefix("TV:").removeprefix("tv:"))


@dataclass(frozen=True, slots=True)
class RelationMeaning:
    """A relation type read as ours; ``reverse`` when the tool's link points upstream."""

    relation: Relation
    reverse: bool


@dataclass(frozen=True, slots=True)
class ReqIfMapping:
    """Attribute names and relation types of requirement tools, read as edgedeploy's.

    Attributes:
        asil_names: normalized attribute names that hold the ASIL.
        relations: normalized relation type name -> our relation and direction.
        generic: normalized relation type names that only say two items are connected.
        between_requirements: what a generic or unknown relation type between two
            requirements becomes; None leaves such links out.
        source: where the mapping came from, for messages.
    """

    asil_names: frozenset[str]
    relations: Mapping[str, RelationMeaning]
    generic: frozenset[str]
    between_requirements: Relation | None
    source: str = DEFAULT_MAPPING

    def is_asil(self, attribute: str) -> bool:
        """Whether an attribute of this name holds the ASIL."""
        key = attribute_key(attribute)
        return key in self.asil_names or "asil" in key

    def relation(self, type_name: str) -> RelationMeaning | None:
        """Our relation and direction for a tool's relation type, or None when unmapped."""
        return self.relations.get(normalize(type_name))

    def is_generic(self, type_name: str) -> bool:
        """Whether a relation type is listed as one that only says "connected"."""
        return normalize(type_name) in self.generic

    def extended(self, overrides: Mapping[str, Any], source: str) -> ReqIfMapping:
        """This mapping with a site's file added on top (its names win)."""
        parsed = _parse(overrides, source)
        relations = {key: meaning for key, meaning in self.relations.items()
                     if key not in parsed.generic}
        relations.update(parsed.relations)
        between = (parsed.between_requirements if "between_requirements" in overrides
                   else self.between_requirements)
        return ReqIfMapping(
            asil_names=self.asil_names | parsed.asil_names, relations=relations,
            generic=(self.generic - parsed.relations.keys()) | parsed.generic,
            between_requirements=between, source=source)


def _fail(source: str, problem: str) -> InvalidInput:
    return InvalidInput(f"ReqIF mapping {source}: {problem}", code="CONFIG_INVALID")


def _names(value: object, source: str, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and normalize(v)
                                              for v in value):
        raise _fail(source, f"{where} must be a list of names")
    return [normalize(v) for v in value]


def _parse(data: Mapping[str, Any], source: str) -> ReqIfMapping:
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _fail(source, f"unknown key(s) {', '.join(unknown)}; expected "
                            f"{', '.join(sorted(_TOP_KEYS))}")
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, dict) or set(attributes) - {"asil"}:
        raise _fail(source, "attributes may only hold 'asil', a list of names")
    asil = _names(attributes.get("asil"), source, "attributes.asil")

    relations: dict[str, RelationMeaning] = {}
    table = data.get("relations") or {}
    if not isinstance(table, dict):
        raise _fail(source, "relations must map an edgedeploy relation to forward/backward")
    for relation_name, directions in table.items():
        try:
            relation = Relation.parse(str(relation_name))
        except DomainError:
            raise _fail(source, f"relations: '{relation_name}' is not an edgedeploy relation; "
                                f"expected one of {', '.join(r.value for r in Relation)}"
                        ) from None
        if not isinstance(directions, dict) or set(directions) - set(_DIRECTIONS):
            raise _fail(source, f"relations.{relation_name} may only hold 'forward' and "
                                "'backward' lists")
        for direction in _DIRECTIONS:
            for key in _names(directions.get(direction), source,
                              f"relations.{relation_name}.{direction}"):
                relations[key] = RelationMeaning(relation, reverse=direction == "backward")

    generic = _names(data.get("generic"), source, "generic")
    between_text = str(data.get("between_requirements", "none")).strip()
    between: Relation | None = None
    if between_text.lower() != "none":
        try:
            between = Relation.parse(between_text)
        except DomainError:
            between = None
        if between not in (Relation.REFINES, Relation.DERIVES):
            raise _fail(source, f"between_requirements is '{between_text}'; expected refines, "
                                "derives or none")
    return ReqIfMapping(asil_names=frozenset(asil), relations=relations,
                        generic=frozenset(generic) - relations.keys(),
                        between_requirements=between, source=source)


def _load_yaml(text: str, source: str) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _fail(source, f"not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _fail(source, "the file must hold a mapping at the top level")
    return data


@functools.cache
def default_mapping() -> ReqIfMapping:
    """The mapping edgedeploy ships (``reqif_mapping.yaml``)."""
    text = resources.files(__package__).joinpath(DEFAULT_MAPPING).read_text(encoding="utf-8")
    return _parse(_load_yaml(text, DEFAULT_MAPPING), DEFAULT_MAPPING)


def load_mapping(path: str | Path | None = None) -> ReqIfMapping:
    """The shipped mapping, extended by the file at ``path`` when one is named.

    Raises:
        InvalidInput: the file cannot be read, is not YAML, or names an unknown key or
            relation (code ``CONFIG_INVALID``).
    """
    if not path:
        return default_mapping()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(str(path), f"cannot be read: {exc}") from None
    return default_mapping().extended(_load_yaml(text, str(path)), str(path))
