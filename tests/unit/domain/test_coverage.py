import pytest

from edgedeploy.domain.asil_rules import (
    DEFAULT_COVERAGE_RULES,
    CoverageRule,
    ReviewLevel,
    check_rule_table,
)
from edgedeploy.domain.coverage import (
    CoverageFacts,
    GapCode,
    SafetyTraceGapError,
    assess_coverage,
)
from edgedeploy.domain.errors import InvariantViolation
from edgedeploy.domain.requirements import ItemId
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.traceability import VerificationMethod as M


def facts(asil: ASIL, **kw) -> CoverageFacts:
    return CoverageFacts(ItemId("R-1"), asil, **kw)


def codes(fact: CoverageFacts) -> set[GapCode]:
    return {gap.code for gap in assess_coverage([fact]).gaps}


def test_qm_requirements_carry_no_obligations():
    assert codes(facts(ASIL.QM)) == set()


def test_asil_b_needs_realisation_and_one_passing_verification():
    assert codes(facts(ASIL.B)) == {GapCode.NOT_REALIZED, GapCode.NOT_VERIFIED}
    assert codes(facts(ASIL.B, realizations=1, passing_verifications=1,
                       methods=(M.TEST,))) == set()


def test_asil_c_also_needs_a_review():
    done = {"realizations": 1, "passing_verifications": 1, "methods": (M.TEST,)}
    assert codes(facts(ASIL.C, **done)) == {GapCode.NO_REVIEW}
    assert codes(facts(ASIL.C, reviews=1, **done)) == set()


def test_asil_d_needs_an_independent_review_and_two_methods():
    partial = facts(ASIL.D, children=2, passing_verifications=2, methods=(M.TEST,), reviews=1)
    assert codes(partial) == {GapCode.TOO_FEW_METHODS, GapCode.NO_INDEPENDENT_REVIEW}
    full = facts(ASIL.D, children=2, passing_verifications=2,
                 methods=(M.SIMULATION, M.TEST), reviews=1, independent_reviews=1)
    assert codes(full) == set()


def test_suspect_links_are_gaps_for_c_and_d_only():
    done = {"realizations": 1, "passing_verifications": 1, "methods": (M.TEST,), "reviews": 1,
            "suspect_links": 2}
    assert codes(facts(ASIL.B, **done)) == set()
    assert codes(facts(ASIL.C, **done)) == {GapCode.SUSPECT_LINK}


def test_a_failing_latest_result_is_a_gap_naming_the_test():
    gaps = assess_coverage([facts(ASIL.A, realizations=1, passing_verifications=1,
                                  methods=(M.TEST,), failing_tests=(ItemId("TC-9"),))]).gaps
    assert [g.code for g in gaps] == [GapCode.VERIFICATION_FAILED]
    assert "TC-9" in gaps[0].message


def test_a_derived_requirement_inherits_its_parents_asil_unless_decomposed():
    done = {"realizations": 1, "passing_verifications": 1, "methods": (M.TEST,)}
    assert codes(facts(ASIL.B, parent_asils=(ASIL.D,), **done)) == {GapCode.ASIL_NOT_INHERITED}
    assert codes(facts(ASIL.B, parent_asils=(ASIL.D,),
                       decomposition=DecomposedAsil(ASIL.B, ASIL.D), **done)) == set()


def test_compliance_score_counts_rule_checks_met():
    assessment = assess_coverage([facts(ASIL.B), facts(ASIL.QM)])
    assert assessment.checks == 3  # realisation, verification, failing results
    assert assessment.checks_met == 1
    assert assessment.score == pytest.approx(1 / 3)
    assert not assessment.complete


def test_the_gap_error_names_every_gap():
    gaps = assess_coverage([facts(ASIL.D)]).gaps
    error = SafetyTraceGapError("aeb@1.0", gaps)
    text = str(error)
    assert error.code == "SAFETY_TRACE_GAP"
    for gap in gaps:
        assert gap.code.value in text
    assert text.startswith(f"{len(gaps)} trace gap(s) block aeb@1.0")


def test_the_default_rule_table_is_monotonic_and_a_weaker_one_is_refused():
    check_rule_table(DEFAULT_COVERAGE_RULES)
    weaker = dict(DEFAULT_COVERAGE_RULES)
    weaker[ASIL.D] = CoverageRule(1, 1, ReviewLevel.NONE, True, True)
    with pytest.raises(InvariantViolation, match="ASIL D asks less than the one for ASIL C"):
        check_rule_table(weaker)


def test_a_rule_cannot_ask_for_more_methods_than_verifications():
    with pytest.raises(InvariantViolation, match="more verification methods"):
        CoverageRule(1, 2, ReviewLevel.NONE, False, True)
