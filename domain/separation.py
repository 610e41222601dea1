"""Separation of duties: who may vouch for, review and release what (ISO 26262-2/-8).

The rules are data (:data:`edgedeploy.domain.asil_rules.ASIL_SEPARATION_RULES`); these
functions apply them to principals. Each refusal names the rule and the people involved, so
the auditor reading a refusal sees why, and the gate result it protected does not change.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from edgedeploy.domain.asil_rules import Independence, SeparationRule
from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.identity import (
    Permission,
    Principal,
    SeparationOfDutiesViolation,
)


class EvidenceMissing(InvariantViolation):
    """A passed test result without the report that shows it passed."""

    code = "EVIDENCE_REQUIRED"


def require_test_evidence(verdict: str, evidence_digest: str | None) -> None:
    """A passed test result must carry its evidence (a stored file or a digest of one).

    Raises:
        EvidenceMissing: ``passed`` with neither.
    """
    if verdict == "passed" and not evidence_digest:
        raise EvidenceMissing("a passed test result needs its evidence: give the report file "
                              "or the sha256 digest of a stored one")


def _department(unit: str) -> str:
    return unit.split("/", 1)[0]


def _shortfall(reviewer: Principal, other: str, other_unit: str,
               level: Independence) -> str | None:
    if level >= Independence.I1 and reviewer.name == other:
        return f"{reviewer.name} authored or recorded evidence of this item"
    if level >= Independence.I2:
        if not reviewer.unit or not other_unit:
            return (f"independence I{int(level)} compares organisation units, and "
                    f"{reviewer.name if not reviewer.unit else other} has none on record")
        if reviewer.unit == other_unit:
            return f"{reviewer.name} and {other} are both in unit {reviewer.unit}"
    if level >= Independence.I3 and _department(reviewer.unit) == _department(other_unit):
        return (f"{reviewer.name} and {other} are both in department "
                f"{_department(reviewer.unit)}")
    return None


def check_review(reviewer: Principal, *, independent: bool,
                 involved: Mapping[str, str], rule: SeparationRule) -> None:
    """Refuse a review the reviewer may not give.

    Args:
        reviewer: the authenticated principal giving the review.
        independent: whether the review is claimed as independent.
        involved: name -> organisation unit of everyone who authored the reviewed items or
            recorded evidence on the link ("" when unknown).
        rule: the separation rule of the highest ASIL the link traces to.

    Raises:
        Forbidden: the reviewer lacks the ``safety-reviewer`` role.
        SeparationOfDutiesViolation: an independent review by someone not independent enough.
    """
    reviewer.require(Permission.INDEPENDENT_REVIEW if independent else Permission.REVIEW)
    if not independent:
        return
    level = max(rule.review_independence, Independence.I1)
    for other, unit in sorted(involved.items()):
        reason = _shortfall(reviewer, other, unit, level)
        if reason is not None:
            raise SeparationOfDutiesViolation(
                f"{reviewer.name} cannot give an independent review here (I{int(level)} "
                f"required): {reason}")


def check_approval(approver: Principal, *, starter: str, approved_by: Collection[str],
                   rule: SeparationRule) -> int:
    """Refuse an approval the approver may not give; return the approvals still needed after it.

    Raises:
        Forbidden: the approver lacks the ``release-manager`` role.
        SeparationOfDutiesViolation: the approver started the roll-out or already approved.
    """
    approver.require(Permission.APPROVE)
    if approver.name == starter:
        raise SeparationOfDutiesViolation(
            f"{approver.name} started this roll-out and cannot approve it: another "
            "release manager must")
    if approver.name in approved_by:
        raise SeparationOfDutiesViolation(
            f"{approver.name} already approved this stage; {rule.approvals} distinct release "
            "managers must approve it")
    return max(rule.approvals - len(set(approved_by)) - 1, 0)


__all__ = ["EvidenceMissing", "check_approval", "check_review", "require_test_evidence"]
