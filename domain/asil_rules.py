"""What each ASIL demands, as data: trace coverage, roll-out floors and inconclusive limits.

Every per-ASIL rule table of the product lives here so that a safety manager reads (and
tightens) them in one place:

* :data:`DEFAULT_COVERAGE_RULES`: what the trace of a requirement must show (SR_TRACE_003),
  applied by :func:`edgedeploy.domain.coverage.assess_coverage`;
* :data:`ASIL_STAGE_FLOORS`: the least a roll-out stage may demand (SR_ROLL_003), applied by
  :func:`edgedeploy.domain.rollout.validate_plan`;
* :data:`ASIL_INCONCLUSIVE_LIMITS`: how long a canary may stay inconclusive and what happens
  then (SR_ROLL_025), applied by :func:`edgedeploy.domain.rollout.decide`;
* :data:`ASIL_SEPARATION_RULES`: who may review and approve what (ISO 26262-2 confirmation
  measures, ISO 26262-8 independence), applied by :mod:`edgedeploy.domain.separation`.

Each table has a check that refuses a table weaker than the defaults, so a deployment can pass
a stricter table but never a laxer one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.safety import ASIL

# --- trace coverage --------------------------------------------------------------------------


class ReviewLevel(enum.IntEnum):
    """How much review a requirement's trace needs (ISO 26262-2 table 1 confirmation reviews)."""

    NONE = 0
    REVIEW = 1
    INDEPENDENT = 2


@dataclass(frozen=True, slots=True)
class CoverageRule:
    """What one ASIL demands of every requirement that carries it."""

    min_passing_verifications: int
    min_verification_methods: int
    review: ReviewLevel
    suspect_links_are_gaps: bool
    requires_realization: bool

    def __post_init__(self) -> None:
        if self.min_passing_verifications < self.min_verification_methods:
            raise InvariantViolation(
                "a coverage rule cannot ask for more verification methods than verifications",
                code="COVERAGE_RULE_INVALID")
        if min(self.min_passing_verifications, self.min_verification_methods) < 0:
            raise InvariantViolation("coverage rule counts cannot be negative",
                                     code="COVERAGE_RULE_INVALID")


DEFAULT_COVERAGE_RULES: Mapping[ASIL, CoverageRule] = {
    ASIL.QM: CoverageRule(0, 0, ReviewLevel.NONE, suspect_links_are_gaps=False,
                          requires_realization=False),
    ASIL.A: CoverageRule(1, 1, ReviewLevel.NONE, suspect_links_are_gaps=False,
                         requires_realization=True),
    ASIL.B: CoverageRule(1, 1, ReviewLevel.NONE, suspect_links_are_gaps=False,
                         requires_realization=True),
    ASIL.C: CoverageRule(1, 1, ReviewLevel.REVIEW, suspect_links_are_gaps=True,
                         requires_realization=True),
    ASIL.D: CoverageRule(2, 2, ReviewLevel.INDEPENDENT, suspect_links_are_gaps=True,
                         requires_realization=True),
}
"""Trace completeness per ASIL (SR_TRACE_003)."""


def check_rule_table(rules: Mapping[ASIL, CoverageRule]) -> None:
    """A rule table must cover every ASIL and never ask less of a higher one.

    Raises:
        InvariantViolation: naming the level that is missing or weaker than the one below.
    """
    missing = [level.value for level in ASIL if level not in rules]
    if missing:
        raise InvariantViolation(f"coverage rules missing for ASIL {', '.join(missing)}",
                                 code="COVERAGE_RULE_INVALID")
    ordered = sorted(ASIL)
    for lower, higher in pairwise(ordered):
        a, b = rules[lower], rules[higher]
        if (b.min_passing_verifications < a.min_passing_verifications
                or b.min_verification_methods < a.min_verification_methods
                or b.review < a.review
                or (a.suspect_links_are_gaps and not b.suspect_links_are_gaps)
                or (a.requires_realization and not b.requires_realization)):
            raise InvariantViolation(
                f"coverage rule for ASIL {higher} asks less than the one for ASIL {lower}",
                code="COVERAGE_RULE_INVALID")


# --- roll-out stage floors -------------------------------------------------------------------


class FloorViolated(InvariantViolation):
    """A roll-out plan goes below its ASIL's floor (bake time, devices, inferences, approval)."""

    code = "ROLLOUT_BELOW_ASIL_FLOOR"


@dataclass(frozen=True, slots=True)
class StageFloor:
    """The least a stage may demand at one ASIL."""

    min_bake_seconds: float
    min_devices: int
    min_inferences: int
    approval_required: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for evidence."""
        return {"min_bake_seconds": self.min_bake_seconds, "min_devices": self.min_devices,
                "min_inferences": self.min_inferences,
                "approval_required": self.approval_required}


ASIL_STAGE_FLOORS: Mapping[ASIL, StageFloor] = {
    ASIL.QM: StageFloor(min_bake_seconds=0.0, min_devices=1, min_inferences=100,
                        approval_required=False),
    ASIL.A: StageFloor(min_bake_seconds=60.0, min_devices=1, min_inferences=500,
                       approval_required=False),
    ASIL.B: StageFloor(min_bake_seconds=300.0, min_devices=2, min_inferences=2_000,
                       approval_required=False),
    ASIL.C: StageFloor(min_bake_seconds=900.0, min_devices=3, min_inferences=10_000,
                       approval_required=True),
    ASIL.D: StageFloor(min_bake_seconds=1_800.0, min_devices=5, min_inferences=20_000,
                       approval_required=True),
}
"""Minimums per stage for each ASIL (SR_ROLL_003). Data, not code: a deployment may pass a
stricter table, and :func:`validate_floor_table` refuses one weaker than this."""


def floor_shortfalls(label: str, bake: float, devices: int, inferences: int, approval: bool,
                     floor: StageFloor) -> list[str]:
    """Every way the given demands fall below ``floor``, in words (empty when none)."""
    out = []
    if bake < floor.min_bake_seconds:
        out.append(f"{label}: bake time {bake:g}s is below the floor {floor.min_bake_seconds:g}s")
    if devices < floor.min_devices:
        out.append(f"{label}: {devices} devices is below the floor {floor.min_devices}")
    if inferences < floor.min_inferences:
        out.append(f"{label}: {inferences} inferences is below the floor "
                   f"{floor.min_inferences}")
    if floor.approval_required and not approval:
        out.append(f"{label}: a recorded human approval is required")
    return out


def validate_floor_table(table: Mapping[ASIL, StageFloor],
                         reference: Mapping[ASIL, StageFloor] = ASIL_STAGE_FLOORS) -> None:
    """Refuse a floor table that is weaker than ``reference`` at any ASIL.

    Raises:
        FloorViolated: naming each ASIL and field that is too weak.
    """
    problems = []
    for asil, ref in reference.items():
        floor = table.get(asil)
        if floor is None:
            problems.append(f"ASIL {asil}: no floor")
            continue
        problems += floor_shortfalls(f"ASIL {asil} floor", floor.min_bake_seconds,
                                     floor.min_devices, floor.min_inferences,
                                     floor.approval_required, ref)
    if problems:
        raise FloorViolated("; ".join(problems))


# --- inconclusive canaries -------------------------------------------------------------------


class InconclusiveOutcome(enum.StrEnum):
    """What becomes of a canary that stayed inconclusive past its deadline."""

    ROLLBACK = "rollback"
    """Every device returns to the baseline: no evidence of safety is no evidence."""
    ESCALATE = "escalate"
    """A human decides: the stage waits for an approval (or a rollback) and is still watched."""


@dataclass(frozen=True, slots=True)
class InconclusiveLimit:
    """How long a stage may hold for lack of data after its bake time, and what happens then.

    Attributes:
        max_hold_seconds: seconds past the stage's bake time during which an inconclusive
            judgement keeps the stage baking; the hold deadline is
            ``stage start + bake time + max_hold_seconds``.
        on_expiry: what a canary still inconclusive at the deadline gets.
    """

    max_hold_seconds: float
    on_expiry: InconclusiveOutcome

    def __post_init__(self) -> None:
        if not self.max_hold_seconds > 0:
            raise InvariantViolation(
                f"an inconclusive limit of {self.max_hold_seconds:g}s would never let a "
                "canary gather data", code="INCONCLUSIVE_LIMIT_INVALID")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the decision log."""
        return {"max_hold_seconds": self.max_hold_seconds, "on_expiry": self.on_expiry.value}


ASIL_INCONCLUSIVE_LIMITS: Mapping[ASIL, InconclusiveLimit] = {
    ASIL.QM: InconclusiveLimit(24 * 3600.0, InconclusiveOutcome.ESCALATE),
    ASIL.A: InconclusiveLimit(24 * 3600.0, InconclusiveOutcome.ESCALATE),
    ASIL.B: InconclusiveLimit(12 * 3600.0, InconclusiveOutcome.ESCALATE),
    ASIL.C: InconclusiveLimit(6 * 3600.0, InconclusiveOutcome.ROLLBACK),
    ASIL.D: InconclusiveLimit(4 * 3600.0, InconclusiveOutcome.ROLLBACK),
}
"""Hold deadlines per ASIL (SR_ROLL_025). A canary is never held forever: at ASIL C/D an
unproven model leaves the fleet, below that a human is asked to decide."""


def check_inconclusive_limits(table: Mapping[ASIL, InconclusiveLimit],
                              reference: Mapping[ASIL, InconclusiveLimit]
                              = ASIL_INCONCLUSIVE_LIMITS) -> None:
    """Refuse a table that holds longer than ``reference`` or escalates where it rolls back.

    Raises:
        InvariantViolation: naming each ASIL whose limit is laxer.
    """
    problems = []
    for asil, ref in reference.items():
        limit = table.get(asil)
        if limit is None:
            problems.append(f"ASIL {asil}: no inconclusive limit")
            continue
        if limit.max_hold_seconds > ref.max_hold_seconds:
            problems.append(f"ASIL {asil}: holding {limit.max_hold_seconds:g}s exceeds "
                            f"{ref.max_hold_seconds:g}s")
        if (ref.on_expiry is InconclusiveOutcome.ROLLBACK
                and limit.on_expiry is not InconclusiveOutcome.ROLLBACK):
            problems.append(f"ASIL {asil}: an inconclusive canary must be rolled back")
    if problems:
        raise InvariantViolation("; ".join(problems), code="INCONCLUSIVE_LIMIT_INVALID")


# --- separation of duties --------------------------------------------------------------------


class Independence(enum.IntEnum):
    """Independence of a reviewer from the work reviewed (ISO 26262-2, table 1 notes).

    I0: any reviewer; I1: another person than the author and the recorder of its evidence;
    I2: also from another organisation unit (team); I3: also from another department (the
    first element of the unit path).
    """

    I0 = 0
    I1 = 1
    I2 = 2
    I3 = 3


@dataclass(frozen=True, slots=True)
class SeparationRule:
    """Who may vouch for and release an item of one ASIL.

    Attributes:
        review_independence: the independence an *independent* review must show.
        independent_review_required: whether the trace needs an independent review (the
            coverage rule's :class:`ReviewLevel` asks for it; this table says how independent).
        approvals: distinct release managers, none of them the roll-out's starter, whose
            approvals a stage awaiting approval needs before it proceeds.
    """

    review_independence: Independence
    independent_review_required: bool
    approvals: int

    def __post_init__(self) -> None:
        if self.approvals < 1:
            raise InvariantViolation("a stage awaiting approval needs at least one approver",
                                     code="SEPARATION_RULE_INVALID")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for evidence and the release report."""
        return {"review_independence": f"I{int(self.review_independence)}",
                "independent_review_required": self.independent_review_required,
                "approvals": self.approvals}


ASIL_SEPARATION_RULES: Mapping[ASIL, SeparationRule] = {
    ASIL.QM: SeparationRule(Independence.I1, independent_review_required=False, approvals=1),
    ASIL.A: SeparationRule(Independence.I1, independent_review_required=False, approvals=1),
    ASIL.B: SeparationRule(Independence.I1, independent_review_required=False, approvals=1),
    ASIL.C: SeparationRule(Independence.I1, independent_review_required=False, approvals=2),
    ASIL.D: SeparationRule(Independence.I1, independent_review_required=True, approvals=2),
}
"""Separation of duties per ASIL. An organisation tightens it (I2/I3 for ASIL C/D, an
independent review at C) by passing a stricter table; :func:`check_separation_rules` refuses a
laxer one."""


def check_separation_rules(table: Mapping[ASIL, SeparationRule],
                           reference: Mapping[ASIL, SeparationRule]
                           = ASIL_SEPARATION_RULES) -> None:
    """Refuse a table that asks less independence or fewer approvals than ``reference``.

    Raises:
        InvariantViolation: ``SEPARATION_RULE_INVALID`` naming each ASIL that is laxer.
    """
    problems = []
    for asil, ref in reference.items():
        rule = table.get(asil)
        if rule is None:
            problems.append(f"ASIL {asil}: no separation rule")
            continue
        if rule.review_independence < ref.review_independence:
            problems.append(f"ASIL {asil}: independence I{int(rule.review_independence)} is "
                            f"below I{int(ref.review_independence)}")
        if ref.independent_review_required and not rule.independent_review_required:
            problems.append(f"ASIL {asil}: an independent review is required")
        if rule.approvals < ref.approvals:
            problems.append(f"ASIL {asil}: {rule.approvals} approval(s) is below "
                            f"{ref.approvals}")
    if problems:
        raise InvariantViolation("; ".join(problems), code="SEPARATION_RULE_INVALID")


__all__ = [
    "ASIL_INCONCLUSIVE_LIMITS",
    "ASIL_SEPARATION_RULES",
    "ASIL_STAGE_FLOORS",
    "DEFAULT_COVERAGE_RULES",
    "CoverageRule",
    "FloorViolated",
    "InconclusiveLimit",
    "InconclusiveOutcome",
    "Independence",
    "ReviewLevel",
    "SeparationRule",
    "StageFloor",
    "check_inconclusive_limits",
    "check_rule_table",
    "check_separation_rules",
    "floor_shortfalls",
    "validate_floor_table",
]
