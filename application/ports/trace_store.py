"""The trace store port: the trace graph's persistence and its questions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from edgedeploy.domain.coverage import CoverageFacts
from edgedeploy.domain.requirements import ItemId, ItemKind, TraceItem
from edgedeploy.domain.trace_graph import ImpactReport, TraceView
from edgedeploy.domain.traceability import LinkKey, TraceLink


@dataclass(frozen=True, slots=True)
class TraceChange:
    """One atomic change to the trace graph.

    ``items`` and ``links`` are upserted (an item replaces the one with its id, a link the one
    with its key); ``remove_links`` are deleted; then every link downstream of each item in
    ``suspect_from`` (transitively, all relations) is marked suspect.
    """

    items: Sequence[TraceItem] = field(default=())
    links: Sequence[TraceLink] = field(default=())
    remove_links: Sequence[LinkKey] = field(default=())
    suspect_from: Sequence[ItemId] = field(default=())


@runtime_checkable
class TraceStore(Protocol):
    """Persistence of requirements, artifacts and trace links, with trace analysis.

    Implementations own their queries; answers must equal those of
    :class:`edgedeploy.domain.trace_graph.TraceGraph` on the same items and links.
    """

    def apply(self, change: TraceChange) -> int:
        """Apply ``change`` all or nothing; return the number of links newly marked suspect."""
        ...

    def get_item(self, item_id: ItemId) -> TraceItem | None:
        """One item, or None."""
        ...

    def items(self, kind: ItemKind | None = None) -> list[TraceItem]:
        """All items (of one kind), sorted by id."""
        ...

    def get_link(self, key: LinkKey) -> TraceLink | None:
        """One link with its evidence, or None."""
        ...

    def links(self) -> list[TraceLink]:
        """All links with their evidence, sorted by key."""
        ...

    def forward(self, root: ItemId) -> TraceView:
        """Everything downstream of ``root``."""
        ...

    def backward(self, root: ItemId) -> TraceView:
        """Everything upstream of ``root``."""
        ...

    def impact(self, root: ItemId) -> ImpactReport:
        """Downstream items of ``root`` grouped by kind."""
        ...

    def coverage_facts(self, scope: Iterable[ItemId] | None = None) -> list[CoverageFacts]:
        """Coverage facts per requirement in ``scope`` (all when None), sorted by id."""
        ...

    def counts(self) -> dict[str, int]:
        """Number of items per kind and of links (key ``links``)."""
        ...

    def export_rdf(self, fmt: str) -> bytes:
        """The whole graph as ``turtle``, ``json-ld`` or ``n-triples``."""
        ...

    def close(self) -> None:
        """Release files and locks."""
        ...
