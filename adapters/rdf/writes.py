"""The triples a planned change deletes and inserts in the compact internal form.

Shared by every RDF store so that they hold the very same graph: a store reads what a change
replaces through a ``read`` function (all triples of one subject) and then writes the two lists
in one atomic step. Writing a link rewrites its source's link-state and coverage literals
(:mod:`edgedeploy.adapters.rdf.codec`), which is why the sources touched by a change are read whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from edgedeploy.adapters.rdf import codec
from edgedeploy.adapters.rdf import vocabulary as v
from edgedeploy.adapters.rdf.codec import Props, Triple
from edgedeploy.adapters.rdf.planning import WritePlan
from edgedeploy.domain.requirements import ItemId, ItemKind, Requirement
from edgedeploy.domain.traceability import LinkKey, TraceLink

Reader = Callable[[str], Props]
"""All triples of one subject IRI, as predicate -> objects (empty when there are none)."""


def nothing_stored(_: str) -> Props:
    """The reader of an empty store."""
    return {}


def bulk_text(plan: WritePlan) -> str:
    """Everything ``plan`` writes into an empty store, as N-Triples text for a bulk loader.

    The direct triples go straight to text: a bulk import writes hundreds of thousands.
    """
    _, inserts = write_set(plan, nothing_stored, direct=False)
    return codec.ntriples(inserts) + "".join(codec.direct_line(key) for key in plan.links)


def write_set(plan: WritePlan, read: Reader,
              direct: bool = True) -> tuple[list[Triple], list[Triple]]:
    """The triples ``plan`` deletes and the triples it inserts, in that order of application.

    ``direct=False`` leaves out the direct triples of the links written (see
    :func:`bulk_text`).

    Raises:
        UnreadableGraph: a stored literal the change rewrites cannot be read.
    """
    cache: dict[ItemId, Props] = {}

    def props(item: ItemId) -> Props:
        if item not in cache:
            cache[item] = read(v.item_iri(item))
        return cache[item]

    deletes: list[Triple] = []
    inserts: list[Triple] = []
    for item_id, item in plan.items.items():
        iri = v.item_iri(item_id)
        deletes += [(iri, p, o) for p, values in props(item_id).items()
                    if p in v.INTERNAL_ITEM_PREDICATES for o in values]
        inserts += codec.item_triples(item)

    changed: dict[ItemId, list[TraceLink]] = defaultdict(list)
    for link in plan.links.values():
        changed[link.source].append(link)
    removed: dict[ItemId, set[LinkKey]] = defaultdict(set)
    for key in plan.removed:
        removed[key[0]].add(key)
    requirements = {i for i, item in plan.items.items() if isinstance(item, Requirement)}
    for source in {*changed, *removed, *requirements}:
        stored = props(source)
        iri = v.item_iri(source)
        links: dict[LinkKey, TraceLink] = {}
        for p, values in stored.items():
            for o in values:
                stored_key = codec.link_key(iri, p, o.value)
                if stored_key is not None:
                    links[stored_key] = TraceLink(*stored_key)
        for state in stored.get(v.LINK_STATE, ()):
            links.update(codec.decode_link_state(source, state.value))
        for key in removed.get(source, ()):
            links.pop(key, None)
        for link in changed.get(source, ()):
            links[link.key] = link
        deletes += [(iri, p, o) for p in (v.LINK_STATE, v.COVERAGE) for o in stored.get(p, ())]
        inserts += codec.source_triples(source, _asil_of(source, plan, stored), links.values())

    # An item that stops being a requirement loses its coverage literal.
    for item_id in plan.items:
        if item_id not in requirements and item_id not in changed and item_id not in removed:
            iri = v.item_iri(item_id)
            deletes += [(iri, v.COVERAGE, o) for o in props(item_id).get(v.COVERAGE, ())]
    deletes += [codec.direct_triple(key) for key in plan.removed]
    if direct:
        inserts += [codec.direct_triple(key) for key in plan.links]
    kept = set(deletes) & set(inserts) if deletes else set()
    if kept:
        deletes = [t for t in deletes if t not in kept]
        inserts = [t for t in inserts if t not in kept]
    return deletes, inserts


def _asil_of(item: ItemId, plan: WritePlan,
             stored: Props) -> tuple[str, str | None] | None:
    """(ASIL, decomposition) of a requirement after the change, None for any other item."""
    rewritten = plan.items.get(item)
    if rewritten is not None:
        if not isinstance(rewritten, Requirement):
            return None
        dec = rewritten.decomposition
        return rewritten.asil.value, None if dec is None else str(dec)
    asil = stored.get(v.ASIL_P)
    if not asil or codec.kind_of(stored) is not ItemKind.REQUIREMENT:
        return None
    dec_terms = stored.get(v.DECOMPOSITION)
    return asil[0].value, dec_terms[0].value if dec_terms else None
