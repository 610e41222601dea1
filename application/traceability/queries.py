"""Read-only trace questions: forward, backward, change impact."""

from __future__ import annotations

from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.domain.requirements import ItemId
from edgedeploy.domain.trace_graph import ImpactReport, TraceView
from edgedeploy.domain.traceability import ItemNotFound


class TraceQueries:
    """Forward and backward trace and change impact, refusing unknown roots by name."""

    def __init__(self, store: TraceStore) -> None:
        self._store = store

    def _known(self, root: ItemId) -> ItemId:
        if self._store.get_item(root) is None:
            raise ItemNotFound(f"no requirement or artifact '{root}' in the trace store")
        return root

    def forward(self, root: ItemId) -> TraceView:
        """Everything downstream of ``root`` (requirement -> … -> deployment)."""
        return self._store.forward(self._known(root))

    def backward(self, root: ItemId) -> TraceView:
        """Everything upstream of ``root`` (deployment -> … -> system requirements)."""
        return self._store.backward(self._known(root))

    def impact(self, root: ItemId) -> ImpactReport:
        """Every requirement, test, dataset, model and deployment a change to ``root`` affects."""
        return self._store.impact(self._known(root))
