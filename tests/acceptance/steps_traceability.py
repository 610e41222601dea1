"""Steps of the traceability scenarios (imported by the scenario modules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient
from pytest_bdd import given, parsers, then, when

from edgedeploy.application.errors import ImportRefused
from edgedeploy.application.ports.interchange import RequirementDocument
from edgedeploy.domain.coverage import GapCode
from edgedeploy.domain.identity import Principal, PrincipalKind, Role
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact, ArtifactKind, ItemId, RequirementLevel
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    Relation,
    Verdict,
    VerificationMethod,
)
from edgedeploy.entrypoints.http.app import create_app
from tests.acceptance.conftest import FIXTURES
from tests.builders import ENGINEER, person

SAFETY_ENGINEER = person("safety.engineer", Role.SAFETY_REVIEWER, unit="development/safety")
ASSESSOR = person("independent.assessor", Role.SAFETY_REVIEWER, unit="safety/assessment")


def _evidence(kind, agent, method=None, independent=False, digest=None):
    return Evidence(kind, Verdict.PASSED, agent, datetime.now(UTC), digest, method=method,
                    independent=independent)


@given("every requirement is verified by a passing test")
def verified(world):
    record, link = world.container.record_artifact(), world.container.link_items()
    for req in world.requirements():
        report = world.container.evidence().put(f"test report of {req.id}: passed".encode())
        test = record(Artifact(ItemId(f"TC-{req.id}"), ArtifactKind.TEST, f"Test of {req.id}",
                               digest=report), actor=ENGINEER)
        link(req.id, Relation.VERIFIED_BY, test.id,
             _evidence(EvidenceKind.TEST_RESULT, ENGINEER.name, VerificationMethod.TEST,
                       digest=report), actor=ENGINEER)


@given("every requirement's trace was reviewed")
def reviewed(world):
    link = world.container.link_items()
    for req in world.requirements():
        link(req.id, Relation.VERIFIED_BY, ItemId(f"TC-{req.id}"),
             _evidence(EvidenceKind.REVIEW, SAFETY_ENGINEER.name), actor=SAFETY_ENGINEER)


@given("every ASIL D requirement's trace was reviewed by an independent reviewer")
def independently_reviewed(world):
    link = world.container.link_items()
    for req in world.requirements():
        if req.asil is ASIL.D:
            link(req.id, Relation.VERIFIED_BY, ItemId(f"TC-{req.id}"),
                 _evidence(EvidenceKind.REVIEW, ASSESSOR.name, independent=True),
                 actor=ASSESSOR)


@given("every ASIL D requirement was also verified by simulation")
def simulated(world):
    record, link = world.container.record_artifact(), world.container.link_items()
    for req in world.requirements():
        if req.asil is ASIL.D:
            report = world.container.evidence().put(f"simulation of {req.id}: passed".encode())
            test = record(Artifact(ItemId(f"SIM-{req.id}"), ArtifactKind.TEST,
                                   f"Simulation of {req.id}", digest=report), actor=ENGINEER)
            link(req.id, Relation.VERIFIED_BY, test.id,
                 _evidence(EvidenceKind.TEST_RESULT, ENGINEER.name,
                           VerificationMethod.SIMULATION, digest=report), actor=ENGINEER)


@given(parsers.parse('"{ref}" is deployed as "{deployment}"'))
def deployed(world, ref, deployment):
    world.container.record_artifact()(Artifact(ItemId(deployment), ArtifactKind.DEPLOYMENT),
                                      actor=ENGINEER)
    world.container.link_items()(ItemId(ref), Relation.DEPLOYED_AS, ItemId(deployment),
                                 actor=ENGINEER)


@when(parsers.parse('the release gate is evaluated for "{ref}"'))
def evaluate_gate(world, ref):
    world.report = world.container.evaluate_gate()(ModelRef.parse(ref), "auditor.test")


@then(parsers.parse('the release gate lets "{ref}" through'))
def gate_passes(world, ref):
    assert world.report.model == ref
    assert world.report.passed, world.report.gaps
    assert world.report.score == 1.0


@then(parsers.parse('the release gate blocks "{ref}"'))
def gate_blocks(world, ref):
    assert world.report.model == ref
    assert not world.report.passed


@then("the blocking gaps name every ASIL D requirement as lacking an independent review")
def gaps_name_asil_d(world):
    asil_d = {r.id for r in world.requirements() if r.asil is ASIL.D}
    assert asil_d, "the example must hold ASIL D requirements"
    named = {g.item for g in world.report.gaps if g.code is GapCode.NO_INDEPENDENT_REVIEW}
    assert named == asil_d


@then("the decision is recorded in the tamper-evident audit log")
def audit_logged(world):
    with world.container.uow() as uow:
        entries = uow.audit.entries(world.report.model)
    assert entries[-1].sequence == world.report.audit_sequence
    assert entries[-1].outcome == ("passed" if world.report.passed else "blocked")


@when(parsers.parse('a tool asks for the trace of "{ref}"'))
def ask_over_http(world, ref):
    admin = Principal("test.admin", frozenset({Role.ADMIN}), PrincipalKind.SYSTEM)
    world.container.manage_principals().add("tool.viewer", frozenset({Role.VIEWER}), by=admin)
    token = world.container.issue_token()("tool.viewer", by=admin,
                                          lifetime=timedelta(hours=1)).secret
    with TestClient(app=create_app(world.container)) as client:
        world.response = client.get(f"/api/v1/models/{ref}/trace",
                                    headers={"Authorization": f"Bearer {token}"})


@then("the tool is told the release is refused because of trace gaps")
def told_refused(world):
    assert world.response.status_code == 409
    assert world.response.headers["content-type"].startswith("application/problem+json")
    assert world.response.json()["type"] == "urn:problem:SAFETY_TRACE_GAP"


@then("the answer lists each gap with its requirement and ASIL")
def lists_gaps(world):
    gaps = world.response.json()["gaps"]
    assert gaps
    known = {r.id: r.asil.value for r in world.requirements()}
    for gap in gaps:
        assert known[gap["item"]] == gap["asil"]


@when(parsers.parse('the system requirement "{rid}" is changed'))
def change_requirement(world, rid):
    req = world.store.get_item(ItemId(rid))
    changed = type(req)(**{**{f: getattr(req, f) for f in req.__slots__},
                           "text": req.text + " (revised: also at night)"})
    world.import_result = world.container.import_requirements().merge(
        RequirementDocument("revision.reqif", [changed]), actor=ENGINEER)
    world.impact = world.container.trace_queries().impact(ItemId(rid))


def _descendants(world, rid):
    return set(world.container.trace_queries().impact(ItemId(rid)).requirements)


@then(parsers.parse('the impact of "{rid}" lists every requirement derived from it'))
def impact_requirements(world, rid):
    derived = {link.target for link in world.store.links()
               if link.source == rid and link.relation is Relation.DERIVES}
    assert derived and derived <= set(world.impact.requirements)


@then("the impact lists every test verifying those requirements")
def impact_tests(world):
    ids = {world.impact.root, *world.impact.requirements}
    expected = {f"TC-{i}" for i in ids}
    assert expected == set(world.impact.tests)


@then(parsers.parse('the impact lists the model version "{ref}"'))
def impact_model(world, ref):
    assert ref in world.impact.models


@then(parsers.parse('the impact lists the deployment "{deployment}"'))
def impact_deployment(world, deployment):
    assert deployment in world.impact.deployments


@then(parsers.parse('the links below "{rid}" are suspect'))
def links_suspect(world, rid):
    below = world.container.trace_queries().forward(ItemId(rid)).links
    assert below
    assert all(world.store.get_link(key).suspect for key in below)
    assert world.import_result.suspect_links == len(below)


@then(parsers.parse('the release gate blocks "{ref}" naming the suspect links'))
def gate_blocks_suspect(world, ref):
    report = world.container.evaluate_gate()(ModelRef.parse(ref), "auditor.test")
    assert not report.passed
    assert any(g.code is GapCode.SUSPECT_LINK for g in report.gaps)


@when(parsers.parse('the trace is followed backward from the deployment "{deployment}"'))
def follow_backward(world, deployment):
    world.view = world.container.trace_queries().backward(ItemId(deployment))


@then(parsers.parse('it reaches the model version "{ref}"'))
def reaches_model(world, ref):
    assert ref in world.view.items


@then("it reaches every system requirement the model version serves")
def reaches_system(world):
    systems = {r.id for r in world.requirements() if r.level is RequirementLevel.SYSTEM
               and r.asil is not ASIL.QM and world.container.trace_queries().impact(r.id).models}
    assert systems and systems <= set(world.view.items)


@when(parsers.parse('the requirements file "{name}" is imported'))
def import_file(world, name):
    try:
        world.container.import_requirements()(name, (FIXTURES / name).read_bytes(),
                                              actor=ENGINEER)
    except ImportRefused as exc:
        world.error = exc


@then(parsers.parse('the import is refused with a message naming "{named}"'))
def refused(world, named):
    assert isinstance(world.error, ImportRefused)
    assert named.lower() in str(world.error).lower()


@then("the requirement set is exactly as it was before")
def unchanged(world):
    assert world.take_snapshot() == world.snapshot


@when("the requirement set of the emergency braking perception function is imported again")
def import_again(world):
    from tests.acceptance.conftest import EXAMPLE_REQUIREMENTS

    world.import_result = world.container.import_requirements()(
        EXAMPLE_REQUIREMENTS.name, EXAMPLE_REQUIREMENTS.read_bytes(), actor=ENGINEER)


@then("no requirement is created or changed")
def nothing_changed(world):
    assert world.import_result.created == ()
    assert world.import_result.updated == ()
    assert world.import_result.suspect_links == 0
