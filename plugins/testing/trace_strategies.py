"""A hypothesis strategy of random valid trace graphs, for the trace-store kit.

Kept apart from :mod:`edgedeploy.plugins.testing.trace_data` so that the kit imports without
hypothesis; the random-graph check is skipped where hypothesis is not installed.
"""

from __future__ import annotations

from datetime import UTC

from hypothesis import strategies as st

from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    ItemKind,
    Requirement,
    RequirementLevel,
    TraceItem,
    item_kind,
)
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.traceability import (
    LINK_RULES,
    Evidence,
    EvidenceKind,
    TraceLink,
    Verdict,
    VerificationMethod,
)
from edgedeploy.plugins.testing.trace_data import CET, DIGEST, at

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_IDS = st.text("ABCxyz09-_./@#:%é", min_size=1, max_size=6).map(lambda s: f"i{s}")


@st.composite
def trace_graphs(draw: st.DrawFn, max_items: int = 12, max_links: int = 24,
                 ) -> tuple[list[TraceItem], list[TraceLink]]:
    """Random valid graphs: items of every kind, links the relation rules allow, evidence."""
    ids = draw(st.lists(_IDS, min_size=2, max_size=max_items, unique=True))
    items: list[TraceItem] = []
    for item_id in ids:
        kind = draw(st.sampled_from(ItemKind))
        if kind is ItemKind.REQUIREMENT:
            asil = draw(st.sampled_from(ASIL))
            decomposition = None
            if asil.rank < ASIL.D.rank and draw(st.booleans()):
                origin = draw(st.sampled_from([a for a in ASIL if a.rank > asil.rank]))
                decomposition = DecomposedAsil(asil, origin)
            items.append(Requirement(
                ItemId(item_id), draw(_TEXT), asil, text=draw(_TEXT),
                level=draw(st.sampled_from(RequirementLevel)),
                version=draw(st.integers(1, 4)), decomposition=decomposition,
                parent=draw(st.sampled_from([None, *map(ItemId, ids)])),
                position=draw(st.integers(0, 3)),
                attributes=tuple(draw(st.lists(st.tuples(_TEXT, _TEXT), max_size=2)))))
        else:
            items.append(Artifact(ItemId(item_id), ArtifactKind(kind.value), draw(_TEXT),
                                  digest=draw(st.sampled_from([None, DIGEST])),
                                  attributes=tuple(draw(st.lists(st.tuples(_TEXT, _TEXT),
                                                                 max_size=2)))))
    kinds = {item.id: item_kind(item) for item in items}
    candidates = [(s, rel, t) for rel, (sources, targets) in LINK_RULES.items()
                  for s in ids for t in ids
                  if s != t and kinds[ItemId(s)] in sources and kinds[ItemId(t)] in targets]
    if not candidates:
        return items, []
    keys = draw(st.lists(st.sampled_from(candidates), max_size=max_links, unique=True))
    evidence = st.builds(
        Evidence,
        kind=st.sampled_from(EvidenceKind),
        verdict=st.sampled_from(Verdict),
        agent=st.sampled_from(["ci", "Jana Novák", "tool:hil 2"]),
        # Few distinct minutes, so that equal times (first record wins) occur too.
        recorded_at=st.integers(0, 4).map(lambda m: at(m, CET if m % 2 else UTC)),
        artifact_digest=st.sampled_from([None, DIGEST]),
        method=st.none() | st.sampled_from(VerificationMethod),
        independent=st.booleans(),
        note=_TEXT,
    )
    links = [TraceLink(ItemId(s), rel, ItemId(t),
                       tuple(draw(st.lists(evidence, max_size=3))), draw(st.booleans()))
             for s, rel, t in keys]
    return items, links
