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
