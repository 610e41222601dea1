"""Requirements and the artifacts they trace to."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import NewType

from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.safety import ASIL, DecomposedAsil

ItemId = NewType("ItemId", str)
RequirementId = ItemId


class InvalidItem(InvariantViolation):
    """An item of the trace graph breaks a rule of its own."""

    code = "TRACE_ITEM_INVALID"


class RequirementLevel(enum.StrEnum):
    """Where a requirement sits in the V-model (Automotive SPICE SYS.2, SWE.1, MLE.1)."""

    STAKEHOLDER = "stakeholder"
    SYSTEM = "system"
    SOFTWARE = "software"
    ML = "ml"
    DATASET = "dataset"


class ArtifactKind(enum.StrEnum):
    """Work products a requirement traces to."""

    TEST = "test"
    DATASET = "dataset"
    MODEL = "model"
    DEPLOYMENT = "deployment"


class ItemKind(enum.StrEnum):
    """Every kind of node in the trace graph: requirements plus the artifact kinds."""

    REQUIREMENT = "requirement"
    TEST = "test"
    DATASET = "dataset"
    MODEL = "model"
    DEPLOYMENT = "deployment"


Attributes = tuple[tuple[str, str], ...]


def _check_id(item_id: str) -> None:
    if not item_id or item_id != item_id.strip() or any(c in item_id for c in "<>\"{}|\\^` \n\t"):
        raise InvalidItem(f"'{item_id}' is not a usable identifier: it must be non-empty and "
                          "contain no spaces or any of <>\"{{}}|\\^`", code="TRACE_ITEM_ID_INVALID")


@dataclass(frozen=True, slots=True)
class Requirement:
    """A requirement with its safety integrity level.

    ``text`` may hold XHTML (as ReqIF carries it); ``attributes`` keeps every other attribute a
    requirements tool exported, so that an export gives back what was imported. ``parent`` and
    ``position`` keep the document hierarchy (not a trace relation). ``decomposition`` records
    an ASIL decomposition such as ``B(D)``.
    """

    id: ItemId
    title: str
    asil: ASIL
    text: str = ""
    level: RequirementLevel = RequirementLevel.SYSTEM
    status: str = "approved"
    version: int = 1
    decomposition: DecomposedAsil | None = None
    parent: ItemId | None = None
    position: int = 0
    attributes: Attributes = field(default=())

    def __post_init__(self) -> None:
        _check_id(self.id)
        if self.version < 1:
            raise InvalidItem(f"requirement {self.id}: version must be >= 1, got {self.version}")
        if self.decomposition is not None and self.decomposition.level != self.asil:
            raise InvalidItem(
                f"requirement {self.id}: decomposed ASIL {self.decomposition} does not match "
                f"its ASIL {self.asil}", code="ASIL_DECOMPOSITION_INVALID")

    @property
    def kind(self) -> ItemKind:
        """Requirements are one kind of trace item."""
        return ItemKind.REQUIREMENT

    def attribute(self, name: str, default: str | None = None) -> str | None:
        """The value of a tool attribute, by name."""
        for key, value in self.attributes:
            if key == name:
                return value
        return default

    def changes_safety_meaning(self, other: Requirement) -> bool:
        """True when ``other`` changes what this requirement demands (text or ASIL).

        Such a change makes every downstream link suspect until it is reviewed again.
        """
        return (self.text.strip(), self.title.strip(), self.asil) != (
            other.text.strip(), other.title.strip(), other.asil)

    def revised(self, other: Requirement) -> Requirement:
        """``other`` as the next version of this requirement when its meaning changed."""
        version = self.version + 1 if self.changes_safety_meaning(other) else self.version
        return replace(other, version=max(version, other.version))


@dataclass(frozen=True, slots=True)
class Artifact:
    """A work product in the trace graph: a test, a dataset, a model version, a deployment.

    ``digest`` is the SHA-256 of the artifact's bytes where it has bytes (``sha256:<hex>``).
    ``recorded_by`` names the principal who recorded it (PROV-O ``wasAttributedTo``): an
    independent review of a link must come from someone else (ISO 26262-2 independence).
    """

    id: ItemId
    kind: ArtifactKind
    title: str = ""
    digest: str | None = None
    attributes: Attributes = field(default=())
    recorded_by: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id)
        if self.digest is not None and not _is_digest(self.digest):
            raise InvalidItem(f"artifact {self.id}: digest must read 'sha256:<64 hex>', "
                              f"got '{self.digest}'", code="DIGEST_INVALID")

    def attribute(self, name: str, default: str | None = None) -> str | None:
        """The value of an attribute, by name."""
        for key, value in self.attributes:
            if key == name:
                return value
        return default


TraceItem = Requirement | Artifact


def item_kind(item: TraceItem) -> ItemKind:
    """The graph kind of any trace item."""
    if isinstance(item, Requirement):
        return ItemKind.REQUIREMENT
    return ItemKind(item.kind.value)


def _is_digest(text: str) -> bool:
    prefix, _, hexpart = text.partition(":")
    return prefix == "sha256" and len(hexpart) == 64 and all(
        c in "0123456789abcdef" for c in hexpart)


def is_sha256_digest(text: str) -> bool:
    """True for ``sha256:`` followed by 64 lower-case hex digits."""
    return _is_digest(text)
