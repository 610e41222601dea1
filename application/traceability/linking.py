"""Create trace links and record evidence on them, as the authenticated principal.

Who may record what is checked here, not at the entrypoints, so that the CLI, the HTTP API,
the demo and the roll-out evidence recorder all meet the same rules: a test result needs the
right to record one and (when passed) its report; a review needs a reviewer, and an
independent one someone who neither recorded the linked items nor their evidence (ISO 26262-2
confirmation measures, ISO 26262-8 independence). A refusal writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import structlog

from edgedeploy.application.audit.trace_evidence import sign_evidence
from edgedeploy.application.ports.signing import EvidenceSigner
from edgedeploy.application.ports.system import EvidenceStore
from edgedeploy.application.ports.trace_store import TraceChange, TraceStore
from edgedeploy.application.traceability.locking import exclusive
from edgedeploy.domain.asil_rules import ASIL_SEPARATION_RULES, SeparationRule
from edgedeploy.domain.identity import Forbidden, Permission, Principal
from edgedeploy.domain.requirements import Artifact, ItemId, Requirement, TraceItem, item_kind
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.separation import EvidenceMissing, check_review, require_test_evidence
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

_RECORDING = {EvidenceKind.TEST_RESULT: Permission.RECORD_TEST_RESULT,
              EvidenceKind.ANALYSIS: Permission.RECORD_TEST_RESULT,
              EvidenceKind.REPORT: Permission.RECORD_ARTIFACT}


class LinkItems:
    """Link two items, or add evidence to an existing link.

    A passed review on a suspect link clears the suspicion: that is how a link is re-reviewed
    after an upstream change.
    """

    def __init__(self, store: TraceStore,
                 separation: Mapping[ASIL, SeparationRule] = ASIL_SEPARATION_RULES, *,
                 evidence_files: EvidenceStore | None = None,
                 unit_of: Callable[[str], str] | None = None,
                 signer: EvidenceSigner | None = None) -> None:
        self._store = store
        self._signer = signer
        self._separation = separation
        self._files = evidence_files
        self._unit_of = unit_of or (lambda name: "")

    def __call__(self, source: ItemId, relation: Relation, target: ItemId,
                 evidence: Evidence | None = None, *, actor: Principal) -> TraceLink:
        """Create or extend the link ``source -relation-> target`` as ``actor``.

        Raises:
            ItemNotFound: either end does not exist.
            InvalidLink: the relation does not allow these kinds, or it would close a cycle.
            DuplicateTraceLink: the link exists and no new evidence was given.
            Forbidden: ``actor`` lacks the permission the link or its evidence needs, or the
                evidence names another agent than ``actor``.
            SeparationOfDutiesViolation: an independent review by someone involved.
            EvidenceMissing: a passed test result without the digest of a stored report.
        """
        with exclusive(self._store):
            return self._link(source, relation, target, evidence, actor=actor)

    def _link(self, source: ItemId, relation: Relation, target: ItemId,
              evidence: Evidence | None, *, actor: Principal) -> TraceLink:
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
        if evidence is None:
            actor.require(Permission.RECORD_ARTIFACT)
        else:
            self._check_evidence(evidence, actor, link, src, tgt)
            if self._signer is not None:  # signed by the recording server (ISO 26262-8 cl. 10)
                evidence = sign_evidence(self._signer, link.key, evidence)
            if (evidence.kind is EvidenceKind.REVIEW and evidence.verdict is Verdict.PASSED
                    and link.suspect):
                link = link.reviewed(evidence)
            else:
                link = link.with_evidence(evidence)
        self._store.apply(TraceChange(links=[link]))
        log.info("trace.linked", source=source, relation=relation.value, target=target,
                 evidence=evidence.kind.value if evidence else None, suspect=link.suspect,
                 actor=actor.name)
        return link

    def _check_evidence(self, evidence: Evidence, actor: Principal, link: TraceLink,
                        src: TraceItem, tgt: TraceItem) -> None:
        if evidence.agent != actor.name:
            raise Forbidden(f"{actor.name} cannot record evidence in the name of "
                            f"{evidence.agent}: the recorder of evidence is who records it")
        if evidence.kind is EvidenceKind.REVIEW:
            check_review(actor, independent=evidence.independent,
                         involved={name: self._unit_of(name)
                                   for name in _involved(link, src, tgt)},
                         rule=self._separation[self._highest_asil(link, src, tgt)])
            return
        actor.require(_RECORDING[evidence.kind])
        if evidence.kind is EvidenceKind.TEST_RESULT:
            require_test_evidence(evidence.verdict.value, evidence.artifact_digest)
            digest = evidence.artifact_digest
            if (self._files is not None and digest is not None
                    and not self._files.exists(digest)):
                raise EvidenceMissing(f"no evidence file with digest {digest} is stored: "
                                      "record the report first (trace artifact --file, or "
                                      "an artifact with content)")

    def _highest_asil(self, link: TraceLink, src: TraceItem, tgt: TraceItem) -> ASIL:
        """The highest ASIL among the link's ends and the requirements upstream of it."""
        levels = [item.asil for item in (src, tgt) if isinstance(item, Requirement)]
        for item_id in self._store.backward(link.source).items:
            item = self._store.get_item(item_id)
            if isinstance(item, Requirement):
                levels.append(item.asil)
        return max(levels, key=lambda a: a.rank, default=ASIL.QM)


def _involved(link: TraceLink, src: TraceItem, tgt: TraceItem) -> set[str]:
    """Who recorded the link's ends and every evidence record on it but the reviews.

    Their organisation units come from the principal register (``unit_of``); a name the
    register does not know reads as unknown (""), which an I2/I3 rule treats as not
    independent.
    """
    people: set[str] = set()
    for item in (src, tgt):
        if isinstance(item, Artifact) and item.recorded_by:
            people.add(item.recorded_by)
    for record in link.evidence:
        if record.kind is not EvidenceKind.REVIEW:
            people.add(record.agent)
    return people
