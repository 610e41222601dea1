"""Verify the evidence: chains re-hash and match their signed checkpoints; files their names.

Covers the audit log, every roll-out's decision log, the content-addressed evidence files and
the signature of every evidence record on the trace (ISO 26262-8 clause 10: configuration
evidence).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import structlog

from edgedeploy.application.audit.trace_evidence import TraceEvidenceReport, check_trace_evidence
from edgedeploy.application.errors import BackendUnavailable
from edgedeploy.application.ports.signing import (
    EvidenceChains,
    EvidenceInventory,
    EvidenceLedger,
    SignatureVerifier,
)
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.domain.audit import (
    AUDIT_CHAIN,
    AuditChainBroken,
    ChainProblem,
    Checkpoint,
    first_chain_problem,
)
from edgedeploy.domain.errors import DomainError

log = structlog.get_logger(__name__)

EVIDENCE_FILES = "evidence-files"
"""The name findings about stored evidence files carry in place of a chain."""


@dataclass(frozen=True, slots=True)
class ChainStatus:
    """One chain as verified: how many entries and checkpoints, and whether it holds."""

    chain: str
    entries: int
    checkpoints: int
    intact: bool


@dataclass(frozen=True, slots=True)
class EvidenceVerification:
    """The outcome over every chain (and, when asked, every evidence file).

    ``problems`` holds the first finding of each broken chain, audit log first, then roll-outs
    by id, then evidence files, then one per trace evidence record whose signature does not
    verify. ``trace`` counts the trace evidence records checked (None: not checked); unsigned
    ones are warnings, not problems. ``trace_unchecked`` says why the trace evidence could
    not be read (the store held by another process), a warning too.
    """

    chains: tuple[ChainStatus, ...]
    problems: tuple[ChainProblem, ...]
    files_checked: int | None
    key_ids: tuple[str, ...]
    trace: TraceEvidenceReport | None = None
    trace_unchecked: str | None = None

    @property
    def intact(self) -> bool:
        """True when nothing was found."""
        return not self.problems

    @property
    def entries(self) -> int:
        """Entries over every chain."""
        return sum(status.entries for status in self.chains)

    def raise_if_broken(self) -> None:
        """Refuse when anything was found.

        Raises:
            AuditChainBroken: naming the first bad entry (and how many chains are broken).
        """
        if self.problems:
            more = (f" (and {len(self.problems) - 1} more broken chain(s))"
                    if len(self.problems) > 1 else "")
            raise AuditChainBroken(f"evidence does not verify: {self.problems[0]}{more}; "
                                   "run edgedeploy audit verify")


def _chain_order(name: str) -> tuple[int, str]:
    return (0 if name == AUDIT_CHAIN else 1, name)


def verify_chains(chains: EvidenceChains, verifiers: Mapping[str, SignatureVerifier], *,
                  all_signatures: bool = True) -> tuple[list[ChainStatus], list[ChainProblem]]:
    """Check every chain against its entries and signed checkpoints.

    With ``all_signatures`` false only the newest checkpoint of each chain has its signature
    checked (every head is still compared): a rewrite from entry N on changes every signed
    head at or after N, the newest included, so that one signature is enough to refuse it.
    """
    by_chain: dict[str, list[Checkpoint]] = {}
    for checkpoint in chains.checkpoints:
        by_chain.setdefault(checkpoint.chain, []).append(checkpoint)
    statuses: list[ChainStatus] = []
    problems: list[ChainProblem] = []
    for name in sorted(set(chains.entries) | set(by_chain), key=_chain_order):
        entries = chains.entries.get(name, [])
        checkpoints = by_chain.get(name, [])
        problem = _signature_problem(name, checkpoints, verifiers, all_signatures)
        link_problem = first_chain_problem(name, entries, checkpoints)
        if link_problem is not None and (problem is None or (link_problem.sequence or 0)
                                         <= (problem.sequence or 0)):
            problem = link_problem
        statuses.append(ChainStatus(name, len(entries), len(checkpoints), problem is None))
        if problem is not None:
            problems.append(problem)
    return statuses, problems


def _signature_problem(chain: str, checkpoints: list[Checkpoint],
                       verifiers: Mapping[str, SignatureVerifier],
                       all_signatures: bool) -> ChainProblem | None:
    checked = checkpoints if all_signatures else checkpoints[-1:]
    for checkpoint in checked:
        verifier = verifiers.get(checkpoint.key_id)
        if verifier is None:
            return ChainProblem(chain, checkpoint.head_sequence,
                                f"the checkpoint signed at {checkpoint.signed_at.isoformat()} "
                                f"names key {checkpoint.key_id}, which is not a known key")
        if not verifier.verify(checkpoint.payload, checkpoint.signature):
            return ChainProblem(chain, checkpoint.head_sequence,
                                f"the checkpoint signed at {checkpoint.signed_at.isoformat()} "
                                "has a signature that does not verify: it was forged or "
                                "altered")
    return None


def verify_files(inventory: EvidenceInventory) -> tuple[int, list[ChainProblem]]:
    """Re-hash every stored evidence file; the first that no longer matches its name."""
    count = 0
    for digest in inventory.digests():
        count += 1
        try:
            inventory.get(digest)
        except DomainError as exc:
            return count, [ChainProblem(EVIDENCE_FILES, None, exc.message)]
    return count, []


class VerifyEvidence:
    """Check every evidence chain, its signed checkpoints and (optionally) the evidence files.

    Known keys are the evidence signer's and any others given (a previous key after a
    rotation). With ``trace`` (which opens the trace store, only when called), every signed
    evidence record on the trace must verify with a known key. The gate calls
    :meth:`require_intact`, which skips the files and the trace evidence and checks only the
    newest signature per chain, to stay cheap enough to run before every decision.
    """

    def __init__(self, ledger: EvidenceLedger, verifiers: Iterable[SignatureVerifier],
                 files: EvidenceInventory | None = None, *,
                 trace: Callable[[], TraceStore] | None = None) -> None:
        self._ledger = ledger
        self._verifiers = {v.key_id: v for v in verifiers}
        self._files = files
        self._trace = trace

    def __call__(self, *, files: bool = True) -> EvidenceVerification:
        """Verify everything; never raises for what it finds (see ``raise_if_broken``)."""
        statuses, problems = verify_chains(self._ledger.read(), self._verifiers)
        checked: int | None = None
        if files and self._files is not None:
            checked, file_problems = verify_files(self._files)
            problems += file_problems
        trace: TraceEvidenceReport | None = None
        unchecked: str | None = None
        if self._trace is not None:
            try:
                links = self._trace().links()
            except BackendUnavailable as exc:
                # The store is locked by a running server: say so rather than call the
                # evidence broken; the chains and files were still checked.
                unchecked = exc.message
            else:
                trace = check_trace_evidence(links, self._verifiers)
                problems += trace.problems
        result = EvidenceVerification(tuple(statuses), tuple(problems), checked,
                                      tuple(self._verifiers), trace, unchecked)
        log.info("audit.verify", intact=result.intact, chains=len(statuses),
                 entries=result.entries, files=checked,
                 trace_records=None if trace is None else trace.records,
                 trace_unsigned=None if trace is None else len(trace.unsigned),
                 first=str(problems[0]) if problems else None)
        return result

    def require_intact(self) -> int:
        """The number of chained entries, once every chain holds.

        Raises:
            AuditChainBroken: naming the first bad entry.
        """
        statuses, problems = verify_chains(self._ledger.read(), self._verifiers,
                                           all_signatures=False)
        result = EvidenceVerification(tuple(statuses), tuple(problems), None,
                                      tuple(self._verifiers))
        result.raise_if_broken()
        return result.entries


IntegrityCheck = Callable[[], int]
"""What the gate runs first: the count of chained entries, or ``AuditChainBroken``."""
