"""Validation of a trace change and the list of writes it needs, before anything is written.

Every store first turns a :class:`TraceChange` into a :class:`WritePlan` here, reading what it
needs through :class:`StoreState`, and only then writes the plan in one atomic step. A change
that names an unknown item, links kinds its relation does not allow, removes a link that does
not exist or re-kinds an item under its existing links is refused before the first write.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.requirements import ItemId, ItemKind, TraceItem, item_kind
from edgedeploy.domain.traceability import (
    ItemNotFound,
    LinkKey,
    LinkNotFound,
    TraceLink,
    check_link_kinds,
)


class StoreState(Protocol):
    """What planning reads from a store (the state before the change)."""

    def kinds(self, ids: Iterable[ItemId]) -> dict[ItemId, ItemKind]:
        """The kinds of those of ``ids`` that exist."""
        ...

    def stored_links_of(self, item: ItemId) -> list[LinkKey]:
        """Keys of the stored links from or to ``item``."""
        ...

    def stored_out_links(self, item: ItemId) -> list[LinkKey]:
        """Keys of the stored links from ``item``."""
        ...

    def has_link(self, key: LinkKey) -> bool:
        """True when the link is stored."""
        ...

    def get_link(self, key: LinkKey) -> TraceLink | None:
        """A stored link with its evidence."""
        ...


@dataclass(slots=True)
class WritePlan:
    """What a change writes: items and links to (re)write, links to delete."""

    items: dict[ItemId, TraceItem] = field(default_factory=dict)
    links: dict[LinkKey, TraceLink] = field(default_factory=dict)
    removed: set[LinkKey] = field(default_factory=set)
    newly_suspect: int = 0


def _missing(link: TraceLink, item: ItemId) -> ItemNotFound:
    return ItemNotFound(f"link {link.source} {link.relation} {link.target} names {item}, "
                        "which is neither in the trace graph nor in the same change")


def plan_change(change: TraceChange, state: StoreState) -> WritePlan:
    """Validate ``change`` against ``state`` and list its writes.

    Raises:
        ItemNotFound: a link or a suspect root names an item that exists nowhere.
        LinkNotFound: a link to remove does not exist.
        InvalidLink: a link connects kinds its relation does not allow, before or after an
            item of the change takes another kind.
    """
    plan = WritePlan(items={item.id: item for item in change.items},
                     links={link.key: link for link in change.links})
    referenced: set[ItemId] = set(plan.items) | set(change.suspect_from)
    for link in plan.links.values():
        referenced.update((link.source, link.target))
    stored_kinds = state.kinds(referenced)
    kinds = dict(stored_kinds)
    kinds.update((item_id, item_kind(item)) for item_id, item in plan.items.items())

    for link in plan.links.values():
        for end in (link.source, link.target):
            if end not in kinds:
                raise _missing(link, end)
        check_link_kinds(link, kinds[link.source], kinds[link.target])

    for key in change.remove_links:
        stored = state.has_link(key)
        if key not in plan.links and not stored:
            raise LinkNotFound(f"cannot remove link {key[0]} {key[1]} {key[2]}: it does not "
                               "exist")
        plan.links.pop(key, None)
        if stored:
            plan.removed.add(key)

    _check_rekinded_items(plan, stored_kinds, kinds, state)

    for root in change.suspect_from:
        if root not in kinds:
            raise ItemNotFound(f"cannot mark links downstream of {root} suspect: {root} is not "
                               "in the trace graph")
    if change.suspect_from:
        _mark_suspect(plan, change.suspect_from, state)
    return plan


def _check_rekinded_items(plan: WritePlan, stored_kinds: dict[ItemId, ItemKind],
                          kinds: dict[ItemId, ItemKind], state: StoreState) -> None:
    for item_id, item in plan.items.items():
        before = stored_kinds.get(item_id)
        if before is None or before is item_kind(item):
            continue
        keys = [key for key in state.stored_links_of(item_id)
                if key not in plan.links and key not in plan.removed]
        ends = state.kinds({end for key in keys for end in (key[0], key[2])})
        ends.update((i, k) for i, k in kinds.items() if i in plan.items)
        for key in keys:
            check_link_kinds(TraceLink(*key), ends[key[0]], ends[key[2]])


def _mark_suspect(plan: WritePlan, roots: Iterable[ItemId], state: StoreState) -> None:
    """Mark every link downstream of ``roots`` in the changed graph suspect."""
    added: dict[ItemId, list[LinkKey]] = {}
    for key in plan.links:
        added.setdefault(key[0], []).append(key)
    seen: set[ItemId] = set(roots)
    queue = deque(seen)
    downstream: set[LinkKey] = set()
    while queue:
        node = queue.popleft()
        for key in (*state.stored_out_links(node), *added.get(node, ())):
            if key in plan.removed or key in downstream:
                continue
            downstream.add(key)
            if key[2] not in seen:
                seen.add(key[2])
                queue.append(key[2])
    for key in sorted(downstream):
        link = plan.links.get(key) or state.get_link(key)
        if link is not None and not link.suspect:
            plan.links[key] = replace(link, suspect=True)
            plan.newly_suspect += 1
