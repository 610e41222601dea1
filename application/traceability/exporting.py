"""Export the trace graph's requirements back to an exchange format."""

from __future__ import annotations

from edgedeploy.application.ports.interchange import RequirementDocument, RequirementsWriter
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.domain.requirements import Artifact, ItemKind, Requirement


def document_from_store(store: TraceStore, title: str = "edgedeploy requirements",
                        ) -> RequirementDocument:
    """Requirements (in document order: parent, then position), artifacts and links."""
    requirements = [r for r in store.items(ItemKind.REQUIREMENT) if isinstance(r, Requirement)]
    by_parent: dict[str | None, list[Requirement]] = {}
    for req in requirements:
        by_parent.setdefault(req.parent, []).append(req)
    known = {r.id for r in requirements}
    ordered: list[Requirement] = []

    def visit(parent: str | None) -> None:
        for child in sorted(by_parent.get(parent, []), key=lambda r: (r.position, r.id)):
            ordered.append(child)
            visit(child.id)

    visit(None)
    for orphan_parent in sorted(p for p in by_parent if p is not None and p not in known):
        visit(orphan_parent)
    artifacts = [a for a in store.items() if isinstance(a, Artifact)]
    return RequirementDocument("trace-store", ordered, artifacts, store.links(), title=title)


class ExportRequirements:
    """Write every requirement, artifact and link through one exchange-format writer."""

    def __init__(self, store: TraceStore, writer: RequirementsWriter) -> None:
        self._store, self._writer = store, writer

    def __call__(self) -> bytes:
        """The exported file's bytes."""
        return self._writer.write(document_from_store(self._store))
