"""Parallel writers on one trace link: every acknowledged evidence record is kept.

Adding evidence reads the link, appends and writes it back; without one writer at a time,
interleaved writers lost records (22 of 50 survived). The store here is the real embedded
Oxigraph store the service uses.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.requirements import ArtifactKind, ItemId
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import Evidence, EvidenceKind, Relation, Verdict
from tests.builders import ENGINEER, art, person, req


def test_fifty_parallel_evidence_additions_to_one_link_are_all_kept(container) -> None:
    store = container.trace_store()
    store.apply(TraceChange(items=[req("SYS-1", ASIL.C)]))
    container.record_artifact()(art("TC-1", ArtifactKind.TEST), actor=ENGINEER)
    link_items = container.link_items()
    link_items(ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-1"), actor=ENGINEER)
    engineers = [person(f"ci.runner-{i}", *ENGINEER.roles) for i in range(50)]

    def record(who) -> None:
        evidence = Evidence(EvidenceKind.TEST_RESULT, Verdict.FAILED, who.name,
                            datetime.now(UTC), note=f"run by {who.name}")
        container.link_items()(ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-1"),
                               evidence, actor=who)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(record, engineers))

    link = store.get_link((ItemId("SYS-1"), Relation.VERIFIED_BY, ItemId("TC-1")))
    assert link is not None
    assert sorted(e.agent for e in link.evidence) == sorted(p.name for p in engineers)
