from edgedeploy.domain.coverage import assess_coverage
from edgedeploy.domain.requirements import ArtifactKind as K
from edgedeploy.domain.requirements import RequirementLevel as L
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.trace_graph import TraceGraph
from edgedeploy.domain.traceability import Relation as R
from edgedeploy.domain.traceability import Verdict
from edgedeploy.domain.traceability import VerificationMethod as M
from tests.builders import art, link, req, result, review


def graph() -> TraceGraph:
    items = [req("SYS-1", ASIL.C), req("MLR-1", ASIL.C, L.ML), req("MLR-2", ASIL.C, L.ML),
             art("TC-1", K.TEST), art("TC-2", K.TEST), art("DS-1", K.DATASET),
             art("aeb@1", K.MODEL), art("DEP-1", K.DEPLOYMENT)]
    links = [link("SYS-1", R.DERIVES, "MLR-1"), link("SYS-1", R.DERIVES, "MLR-2"),
             link("MLR-1", R.IMPLEMENTED_BY, "aeb@1"), link("MLR-2", R.SATISFIED_BY, "DS-1"),
             link("MLR-1", R.VERIFIED_BY, "TC-1", result(Verdict.FAILED, at=0),
                  result(Verdict.PASSED, at=5), review()),
             link("MLR-2", R.VERIFIED_BY, "TC-2", result(Verdict.PASSED, at=0),
                  result(Verdict.FAILED, at=5), suspect=True),
             link("aeb@1", R.DEPLOYED_AS, "DEP-1")]
    return TraceGraph(items, links)


def test_forward_trace_reaches_the_deployment():
    view = graph().forward("SYS-1")
    assert "DEP-1" in view.items and "aeb@1" in view.items and "SYS-1" not in view.items


def test_backward_trace_from_a_deployment_reaches_the_system_requirement():
    view = graph().backward("DEP-1")
    assert view.items == ("MLR-1", "SYS-1", "aeb@1")


def test_impact_groups_affected_items_by_kind():
    impact = graph().impact("SYS-1")
    assert impact.requirements == ("MLR-1", "MLR-2")
    assert impact.tests == ("TC-1", "TC-2")
    assert impact.datasets == ("DS-1",)
    assert impact.models == ("aeb@1",)
    assert impact.deployments == ("DEP-1",)
    assert impact.total == 7


def test_the_latest_result_decides_whether_a_verification_passes():
    facts = {f.requirement: f for f in graph().coverage_facts()}
    assert facts["MLR-1"].passing_verifications == 1
    assert facts["MLR-1"].methods == (M.TEST,)
    assert facts["MLR-2"].passing_verifications == 0
    assert facts["MLR-2"].failing_tests == ("TC-2",)
    assert facts["MLR-2"].suspect_links == 1
    assert facts["MLR-1"].parent_asils == (ASIL.C,)
    assert facts["SYS-1"].children == 2


def test_coverage_facts_ignore_items_that_are_not_requirements():
    assert [f.requirement for f in graph().coverage_facts(["TC-1", "MLR-1"])] == ["MLR-1"]


def test_the_example_graph_has_the_gaps_an_auditor_expects():
    gaps = {(g.item, g.code.value) for g in assess_coverage(graph().coverage_facts()).gaps}
    assert ("MLR-2", "VERIFICATION_FAILED") in gaps
    assert ("MLR-2", "SUSPECT_LINK") in gaps
    assert ("SYS-1", "NOT_VERIFIED") in gaps
    assert ("MLR-1", "NOT_VERIFIED") not in gaps
