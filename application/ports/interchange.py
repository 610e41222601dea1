"""Ports for reading and writing requirement exchange files and trace matrices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from edgedeploy.domain.requirements import Artifact, Requirement
from edgedeploy.domain.traceability import TraceLink


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Something worth telling the user about an import that did not stop it."""

    location: str
    message: str
    item: str | None = None
    severity: str = "warning"


@dataclass(frozen=True, slots=True)
class RequirementDocument:
    """What one exchange file holds, already checked for internal consistency.

    ``requirements`` keep document order (``parent`` and ``position`` give the hierarchy);
    ``links`` are the typed relations the file declares between its own items.
    """

    source: str
    requirements: Sequence[Requirement]
    artifacts: Sequence[Artifact] = field(default=())
    links: Sequence[TraceLink] = field(default=())
    diagnostics: Sequence[Diagnostic] = field(default=())
    title: str = ""


MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """How large one requirements import may be.

    Attributes:
        max_member_bytes: one ``.reqif`` inside a ``.reqifz`` archive, unpacked.
        max_attribute_bytes: one attribute value (UTF-8), rich text included.
        max_import_bytes: the whole import: the file as sent and everything it unpacks to.
        max_objects: SPEC-OBJECTs in the import, over all files of an archive.
    """

    max_member_bytes: int = 100 * MIB
    max_attribute_bytes: int = 2 * MIB
    max_import_bytes: int = 200 * MIB
    max_objects: int = 100_000

    def __post_init__(self) -> None:
        for name in ("max_member_bytes", "max_attribute_bytes", "max_import_bytes",
                     "max_objects"):
            if getattr(self, name) < 1:
                raise ValueError(f"interchange.{name} must be at least 1")


class RequirementsReader(Protocol):
    """Parses one exchange format; refuses a malformed file as a whole.

    Raises ``edgedeploy.application.errors.ImportRefused`` naming the file, element or line and the
    identifier.
    """

    formats: frozenset[str]

    def read(self, name: str, data: bytes) -> RequirementDocument:
        """Parse ``data`` (the file's bytes; ``name`` is used in messages and format choice)."""
        ...


class RequirementsWriter(Protocol):
    """Writes requirements and their relations back to an exchange format."""

    format: str

    def write(self, document: RequirementDocument) -> bytes:
        """The file's bytes."""
        ...
