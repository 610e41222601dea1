"""Turning one flat record (a CSV row, a YAML mapping) into a requirement or an artifact.

CSV and YAML carry the same fields; this module reads them the same way and reports a bad
value with the exact place the reader gives it (``line 7, column 'asil'`` or
``requirements[3].asil``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from edgedeploy.adapters.interchange.assembly import DocumentAssembly, PendingLink
from edgedeploy.adapters.interchange.vocabulary import normalize, parse_level, relation_meaning
from edgedeploy.adapters.interchange.xhtml import derive_title
from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    Requirement,
    RequirementLevel,
)
from edgedeploy.domain.safety import ASIL, DecomposedAsil, InvalidAsil

REQUIREMENT_FIELDS = ("id", "title", "text", "asil", "level", "parent", "status", "version")
ARTIFACT_FIELDS = ("id", "kind", "title", "digest")

Where = Callable[[str], str]
"""Gives the location of a field by name, in the reader's own terms."""


def parse_asil(text: str) -> tuple[ASIL, DecomposedAsil | None]:
    """``C``, ``ASIL C`` or a decomposition such as ``B(D)``.

    Raises:
        InvalidAsil: the text names no ASIL.
    """
    if "(" in text:
        decomposed = DecomposedAsil.parse(text)
        return decomposed.level, decomposed
    return ASIL.parse(text), None


def is_relation_field(name: str) -> bool:
    """Whether a column or key names a relation (``derives``, ``verified_by``, …)."""
    return relation_meaning(name) is not None


def split_targets(value: str) -> list[str]:
    """``"ML-1; ML-2"`` -> ``["ML-1", "ML-2"]``."""
    return [part.strip() for part in value.split(";") if part.strip()]


@dataclass(slots=True)
class RecordReader:
    """Reads records into one document assembly, counting sibling positions as it goes."""

    out: DocumentAssembly
    _positions: dict[str | None, int] | None = None

    def _next_position(self, parent: str | None) -> int:
        if self._positions is None:
            self._positions = {}
        position = self._positions.get(parent, 0)
        self._positions[parent] = position + 1
        return position

    def requirement(self, fields: Mapping[str, str], attributes: tuple[tuple[str, str], ...],
                    where: Where, item_location: str) -> Requirement:
        """Build and add a requirement from its text fields.

        Raises:
            ImportRefused: a field is missing or malformed, naming the field's place.
        """
        item_id = fields.get("id", "").strip()
        if not item_id:
            raise self.out.refuse(where("id"), None, "the requirement has no id")
        asil_text = fields.get("asil", "").strip()
        if not asil_text:
            raise self.out.refuse(where("asil"), item_id,
                                  "no ASIL given; write QM for a requirement that is not "
                                  "safety-relevant")
        try:
            asil, decomposition = parse_asil(asil_text)
        except InvalidAsil as exc:
            raise self.out.refuse(where("asil"), item_id, exc.message) from None
        level = RequirementLevel.SYSTEM
        level_text = fields.get("level", "").strip()
        if level_text:
            parsed = parse_level(level_text)
            if parsed is None:
                allowed = ", ".join(level.value for level in RequirementLevel)
                raise self.out.refuse(where("level"), item_id,
                                      f"'{level_text}' is not a requirement level; expected one "
                                      f"of {allowed}")
            level = parsed
        version_text = fields.get("version", "").strip() or "1"
        if not version_text.isdigit() or int(version_text) < 1:
            raise self.out.refuse(where("version"), item_id,
                                  f"version must be a whole number >= 1, got '{version_text}'")
        parent = fields.get("parent", "").strip() or None
        text = fields.get("text", "")
        title = fields.get("title", "").strip()
        if not title:
            title = derive_title(text) or item_id
        with self.out.guard(item_location, item_id):
            requirement = Requirement(
                id=ItemId(item_id), title=title, asil=asil, text=text, level=level,
                status=fields.get("status", "").strip() or "approved",
                version=int(version_text), decomposition=decomposition,
                parent=ItemId(parent) if parent else None,
                position=self._next_position(parent), attributes=attributes)
        self.out.add_requirement(requirement, item_location)
        return requirement

    def artifact(self, fields: Mapping[str, str], attributes: tuple[tuple[str, str], ...],
                 where: Where, item_location: str) -> Artifact:
        """Build and add an artifact (test, dataset, model, deployment).

        Raises:
            ImportRefused: a field is missing or malformed, naming the field's place.
        """
        item_id = fields.get("id", "").strip()
        if not item_id:
            raise self.out.refuse(where("id"), None, "the artifact has no id")
        kind_text = normalize(fields.get("kind", ""))
        kind = next((k for k in ArtifactKind if k.value == kind_text), None)
        if kind is None:
            allowed = ", ".join(k.value for k in ArtifactKind)
            raise self.out.refuse(where("kind"), item_id,
                                  f"'{fields.get('kind', '')}' is not an artifact kind; expected "
                                  f"one of {allowed}")
        digest = fields.get("digest", "").strip() or None
        with self.out.guard(where("digest") if digest else item_location, item_id):
            artifact = Artifact(id=ItemId(item_id), kind=kind,
                                title=fields.get("title", "").strip(), digest=digest,
                                attributes=attributes)
        self.out.add_artifact(artifact, item_location)
        return artifact

    def links(self, item_id: str, name: str, value: str, location: str) -> None:
        """Add the links a relation field states for one item.

        The field is named like ``derives``, ``verified_by`` or a reverse phrase such as
        ``derived_from``, which makes the item the links' target.
        """
        meaning = relation_meaning(name)
        if meaning is None:
            return
        for other in split_targets(value):
            source, target = (other, item_id) if meaning.reverse else (item_id, other)
            self.out.add_link(PendingLink(source, meaning.relation, target, location, item_id))
