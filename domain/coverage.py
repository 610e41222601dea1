"""Trace completeness by ASIL: the rule table, the facts it is checked against, and the gaps.

The rule table is data (``DEFAULT_COVERAGE_RULES`` in :mod:`edgedeploy.domain.asil_rules`, beside
the other per-ASIL tables) so that a safety manager can tighten it without touching code; the
trace store computes :class:`CoverageFacts` with its own queries and
this module alone decides what counts as a gap.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from edgedeploy.domain.asil_rules import (
    DEFAULT_COVERAGE_RULES,
    CoverageRule,
    ReviewLevel,
    check_rule_table,
)
from edgedeploy.domain.errors import Conflict
from edgedeploy.domain.requirements import ItemId
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.traceability import VerificationMethod

__all__ = [
    "DEFAULT_COVERAGE_RULES",
    "CoverageAssessment",
    "CoverageFacts",
    "CoverageRule",
    "Gap",
    "GapCode",
    "ReviewLevel",
    "SafetyTraceGapError",
    "assess_coverage",
    "check_rule_table",
]


@dataclass(frozen=True, slots=True)
class CoverageFacts:
    """What the trace store knows about one requirement's outgoing trace.

    Semantics every trace store must reproduce exactly:
    ``children`` counts outgoing derives/refines links; ``realizations`` outgoing satisfied_by
    and implemented_by links; ``passing_verifications`` outgoing verified_by links whose latest
    test-result or analysis evidence passed, and ``methods`` the distinct methods of those latest
    records; ``failing_tests`` the targets of verified_by links whose latest such record failed;
    ``reviews`` / ``independent_reviews`` outgoing links carrying a passed review (independent
    ones for the second count); ``suspect_links`` outgoing links marked suspect;
    ``parent_asils`` the ASILs of requirements that derive or refine this one.
    """

    requirement: ItemId
    asil: ASIL
    decomposition: DecomposedAsil | None = None
    children: int = 0
    realizations: int = 0
    passing_verifications: int = 0
    methods: tuple[VerificationMethod, ...] = ()
    failing_tests: tuple[ItemId, ...] = ()
    reviews: int = 0
    independent_reviews: int = 0
    suspect_links: int = 0
    parent_asils: tuple[ASIL, ...] = ()


class GapCode(enum.StrEnum):
    """Every way a trace can fall short; stable codes for reports and tools."""

    NOT_REALIZED = "NOT_REALIZED"
    NOT_VERIFIED = "NOT_VERIFIED"
    TOO_FEW_METHODS = "TOO_FEW_VERIFICATION_METHODS"
    VERIFICATION_FAILED = "VERIFICATION_FAILED"
    NO_REVIEW = "NO_REVIEW"
    NO_INDEPENDENT_REVIEW = "NO_INDEPENDENT_REVIEW"
    SUSPECT_LINK = "SUSPECT_LINK"
    ASIL_NOT_INHERITED = "ASIL_NOT_INHERITED"
    MODEL_NOT_TRACED = "MODEL_NOT_TRACED"


@dataclass(frozen=True, slots=True, order=True)
class Gap:
    """One shortfall of one item's trace, in words an auditor reads."""

    item: ItemId
    code: GapCode
    asil: ASIL
    message: str


@dataclass(frozen=True, slots=True)
class CoverageAssessment:
    """Gaps and the share of rule checks met over a set of requirements."""

    gaps: tuple[Gap, ...]
    checks: int
    checks_met: int
    requirements: int

    @property
    def score(self) -> float:
        """Compliance score in [0, 1]: rule checks met over rule checks applied."""
        return 1.0 if self.checks == 0 else self.checks_met / self.checks

    @property
    def complete(self) -> bool:
        """True when no gap remains."""
        return not self.gaps


class SafetyTraceGapError(Conflict):
    """The trace of a safety requirement is incomplete, so the release is blocked."""

    code = "SAFETY_TRACE_GAP"

    def __init__(self, subject: str, gaps: Iterable[Gap]) -> None:
        self.subject = subject
        self.gaps = tuple(sorted(gaps))
        lines = "\n".join(f"  - {g.item} (ASIL {g.asil}) {g.code}: {g.message}"
                          for g in self.gaps)
        super().__init__(f"{len(self.gaps)} trace gap(s) block {subject}:\n{lines}")


@dataclass(slots=True)
class _Tally:
    checks: int = 0
    met: int = 0
    gaps: list[Gap] = field(default_factory=list)

    def check(self, ok: bool, gap: Gap) -> None:
        self.checks += 1
        if ok:
            self.met += 1
        else:
            self.gaps.append(gap)


def assess_coverage(facts: Iterable[CoverageFacts],
                    rules: Mapping[ASIL, CoverageRule] = DEFAULT_COVERAGE_RULES,
                    ) -> CoverageAssessment:
    """Apply the rule table to each requirement's facts and list every gap."""
    tally = _Tally()
    count = 0
    for fact in facts:
        count += 1
        _assess_one(fact, rules[fact.asil], tally)
    return CoverageAssessment(gaps=tuple(sorted(tally.gaps)), checks=tally.checks,
                              checks_met=tally.met, requirements=count)


def _assess_one(fact: CoverageFacts, rule: CoverageRule, tally: _Tally) -> None:
    rid, asil = fact.requirement, fact.asil

    def gap(code: GapCode, message: str) -> Gap:
        return Gap(rid, code, asil, message)

    if rule.requires_realization:
        tally.check(fact.children + fact.realizations > 0, gap(
            GapCode.NOT_REALIZED,
            "neither derived into lower-level requirements nor satisfied by a dataset or model"))
    if rule.min_passing_verifications:
        tally.check(fact.passing_verifications >= rule.min_passing_verifications, gap(
            GapCode.NOT_VERIFIED,
            f"{fact.passing_verifications} passing verification(s), ASIL {asil} requires "
            f"{rule.min_passing_verifications}"))
    if rule.min_verification_methods > 1:
        used = ", ".join(m.value for m in fact.methods) or "none"
        tally.check(len(fact.methods) >= rule.min_verification_methods, gap(
            GapCode.TOO_FEW_METHODS,
            f"verified by {len(fact.methods)} method(s) ({used}), ASIL {asil} requires "
            f"{rule.min_verification_methods} different methods"))
    if asil.is_safety_relevant:
        tally.check(not fact.failing_tests, gap(
            GapCode.VERIFICATION_FAILED,
            f"latest result failed for {', '.join(fact.failing_tests)}"))
    if rule.review >= ReviewLevel.REVIEW:
        tally.check(fact.reviews > 0, gap(
            GapCode.NO_REVIEW, f"ASIL {asil} requires a recorded review of its trace"))
    if rule.review >= ReviewLevel.INDEPENDENT:
        tally.check(fact.independent_reviews > 0, gap(
            GapCode.NO_INDEPENDENT_REVIEW,
            f"ASIL {asil} requires a review by an independent reviewer"))
    if rule.suspect_links_are_gaps:
        tally.check(fact.suspect_links == 0, gap(
            GapCode.SUSPECT_LINK,
            f"{fact.suspect_links} link(s) suspect since an upstream change; re-review them"))
    if fact.parent_asils:
        highest = max(fact.parent_asils)
        decomposed = fact.decomposition is not None and fact.decomposition.origin >= highest
        tally.check(asil >= highest or decomposed, gap(
            GapCode.ASIL_NOT_INHERITED,
            f"derived from an ASIL {highest} requirement but carries ASIL {asil} without a "
            "recorded decomposition"))
