"""Create trace links and record evidence on them."""

from __future__ import annotations

import structlog

from edgedeploy.application.ports.trace_store import TraceChange, TraceStore
from edgedeploy.domain.requirements import ItemId, item_kind
from edgedeploy.domain.traceability import (
    DECOMPOSING,
    DuplicateTraceLink,
    Evidence,
    EvidenceKind,
    InvalidLink,
    ItemNotFound,
    Relation,
    TraceLink,
    Verdict,
    check_link_kinds,
)

log = structlog.get_logger(__name__)


class LinkItems:
    """Link two items, or add evidence to an existing link.

    A passed review on a suspect link clears the suspicion: that is how a link is re-reviewed
    after an upstream change.
    """

    def __init__(self, store: TraceStore) -> None:
        self._store = store

    def __call__(self, source: ItemId, relation: Relation, target: ItemId,
                 evidence: Evidence | None = None) -> TraceLink:
        """Create or extend the link ``source -relation-> target``.

        Raises:
            ItemNotFound: either end does not exist.
            InvalidLink: the relation does not allow these kinds, or it would close a cycle.
            DuplicateTraceLink: the link exists and no new evidence was given.
        """
        src, tgt = self._store.get_item(source), self._store.get_item(target)
        for item_id, item in ((source, src), (target, tgt)):
            if item is None:
                raise ItemNotFound(f"no requirement or artifact '{item_id}' in the trace store")
        assert src is not None and tgt is not None
        candidate = TraceLink(source, relation, target)
        check_link_kinds(candidate, item_kind(src), item_kind(tgt))
        existing = self._store.get_link(candidate.key)
        if existing is None:
            if relation in DECOMPOSING and source in self._store.forward(target).items:
                raise InvalidLink(f"{source} {relation} {target} would close a cycle: "
                                  f"{source} is already downstream of {target}",
                                  code="TRACE_LINK_CYCLE")
            link = candidate
        elif evidence is None:
            raise DuplicateTraceLink(f"link {source} {relation} {target} already exists; "
                                     "give evidence to add to it")
        else:
            link = existing
        if evidence is not None:
            if (evidence.kind is EvidenceKind.REVIEW and evidence.verdict is Verdict.PASSED
                    and link.suspect):
                link = link.reviewed(evidence)
            else:
                link = link.with_evidence(evidence)
        self._store.apply(TraceChange(links=[link]))
        log.info("trace.linked", source=source, relation=relation.value, target=target,
                 evidence=evidence.kind.value if evidence else None, suspect=link.suspect)
        return link
