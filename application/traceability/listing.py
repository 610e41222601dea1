"""Use case: the requirements held in the trace store, for registers and review lists."""

from __future__ import annotations

from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.domain.requirements import ItemKind, Requirement, RequirementLevel
from edgedeploy.domain.safety import ASIL


class ListRequirements:
    """Every imported requirement, optionally narrowed to one V-model level or one ASIL.

    The order is the import order (``position``, then id), so a register reads the way the
    source document does, whatever order the store keeps its nodes in.
    """

    def __init__(self, store: TraceStore) -> None:
        self._store = store

    def __call__(self, level: RequirementLevel | None = None,
                 asil: ASIL | None = None) -> tuple[Requirement, ...]:
        """The requirements at ``level`` and ``asil`` (each filter only when given)."""
        found = [item for item in self._store.items(ItemKind.REQUIREMENT)
                 if isinstance(item, Requirement)
                 and (level is None or item.level is level)
                 and (asil is None or item.asil is asil)]
        return tuple(sorted(found, key=lambda r: (r.position, r.id)))
