"""Steps of the separation-of-duties scenarios (imported by ``test_security``).

People act as authenticated principals registered through the identity use cases; roll-outs
run on the in-memory fleet the roll-out scenarios use, so approvals are judged by the same
engine the service runs.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from pytest_bdd import given, parsers, then, when

from edgedeploy.application.rollout import (
    ApproveStage,
    RolloutEngine,
    RolloutStatus,
    RolloutView,
    StartRollout,
    StartRolloutCommand,
    TickRollout,
)
from edgedeploy.domain.errors import DomainError
from edgedeploy.domain.identity import Principal, PrincipalKind, Role, parse_roles
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact, ArtifactKind, ItemId, Requirement
from edgedeploy.domain.rollout import RolloutPlan
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    Relation,
    TraceLink,
    Verdict,
    VerificationMethod,
)
from edgedeploy.entrypoints.http.app import create_app
from tests.acceptance.conftest import EXAMPLE_REQUIREMENTS, FIXTURES
from tests.fakes.clock import ManualClock
from tests.fakes.persistence import InMemoryDatabase
from tests.fakes.rollout import (
    DIGEST_A,
    DIGEST_B,
    InMemoryFleet,
    InMemoryRolloutJournal,
    ScriptedHealth,
    ScriptedReadiness,
)

ADMIN = Principal("security.admin", frozenset({Role.ADMIN}))
BASELINE, CANDIDATE = ModelRef.parse("aeb@1.0"), ModelRef.parse("aeb@1.1")
HEALTHY = ScriptedHealth(inferences=50_000)


@dataclass
class Duties:
    """Who is who, what they last tried, and the roll-out they work on."""

    people: dict[str, Principal] = field(default_factory=dict)
    error: DomainError | None = None
    link: tuple[ItemId, Relation, ItemId] | None = None
    journal: InMemoryRolloutJournal = field(default_factory=InMemoryRolloutJournal)
    clock: ManualClock = field(default_factory=ManualClock)
    fleet: InMemoryFleet | None = None
    rollout: RolloutView | None = None
    first_stage: str = ""
    audit_entries: int = 0
    edited_sequence: int = 0

    @property
    def engine(self) -> RolloutEngine:
        assert self.fleet is not None
        return RolloutEngine(InMemoryDatabase(rollouts=self.journal).unit_of_work, self.fleet,
                             self.clock)

    def refresh(self) -> RolloutView:
        assert self.rollout is not None
        self.rollout = RolloutStatus(self.engine)(self.rollout.rollout_id)
        return self.rollout

    def attempt(self, action) -> None:
        """Run ``action``; a refusal is kept for the Then steps instead of failing the step."""
        self.error = None
        try:
            action()
        except DomainError as exc:
            self.error = exc


@pytest.fixture(name="duties")
def fx_duties() -> Duties:
    return Duties()


# --- people ----------------------------------------------------------------------------


@given("these people work on the emergency braking function:")
def people(world, duties: Duties, datatable) -> None:
    header, *rows = datatable
    manage = world.container.manage_principals()
    for row in rows:
        person = dict(zip(header, row, strict=True))
        record = manage.add(person["name"], parse_roles(person["roles"].split(",")), by=ADMIN,
                            unit=person["unit"])
        duties.people[record.name] = record.principal(PrincipalKind.TOKEN)


# --- anonymous requests ----------------------------------------------------------------


def _audit_count(world) -> int:
    with world.container.uow() as uow:
        return len(uow.audit.entries())


@when(parsers.parse("an anonymous caller asks the service to {change}"))
def anonymous_request(world, duties: Duties, change: str) -> None:
    links = world.store.links()
    assert links, "the requirement set holds decomposition links to review"
    some = links[0]
    requests = {
        "record a test report": {
            "method": "POST", "url": "/api/v1/trace/artifacts",
            "json": {"id": "TC-anonymous", "kind": "test", "title": "unattributed report"}},
        "record a review of a requirement's test": {
            "method": "POST", "url": "/api/v1/trace/reviews",
            "json": {"source": some.source, "relation": some.relation.value,
                     "target": some.target, "independent": True}},
        "import a requirements file": {
            "method": "POST", "url": "/api/v1/requirements/import",
            "params": {"filename": "doors.reqif"},
            "content": (FIXTURES / "doors.reqif").read_bytes(),
            "headers": {"content-type": "application/xml"}},
    }
    duties.audit_entries = _audit_count(world)
    with TestClient(app=create_app(world.container)) as client:
        world.response = client.request(**requests[change])


@then("the caller is told to identify themselves")
def told_to_authenticate(world) -> None:
    response = world.response
    assert response.status_code == 401, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "urn:problem:UNAUTHENTICATED"


@then("the trace is exactly as it was before")
def trace_unchanged(world, duties: Duties) -> None:
    assert world.take_snapshot() == world.snapshot
    assert _audit_count(world) == duties.audit_entries


# --- reviews ---------------------------------------------------------------------------


def _asil_d_requirement(world) -> Requirement:
    found = [r for r in world.requirements() if r.asil is ASIL.D]
    assert found, "the example requirement set holds ASIL D requirements"
    return found[0]


@given(parsers.parse('an ASIL D requirement whose test "{name}" recorded as passed'))
def recorded_test(world, duties: Duties, name: str) -> None:
    container, tester = world.container, duties.people[name]
    container.import_requirements()(EXAMPLE_REQUIREMENTS.name, EXAMPLE_REQUIREMENTS.read_bytes(),
                                    actor=duties.people["erik"])
    requirement = _asil_d_requirement(world)
    report = f"test report of {requirement.id}: 412 of 412 cases passed".encode()
    digest = container.evidence().put(report)
    test = container.record_artifact()(
        Artifact(ItemId(f"TC-{requirement.id}"), ArtifactKind.TEST, f"Test of {requirement.id}",
                 digest=digest), actor=tester)
    evidence = Evidence(EvidenceKind.TEST_RESULT, Verdict.PASSED, tester.name, datetime.now(UTC),
                        artifact_digest=digest, method=VerificationMethod.TEST)
    container.link_items()(requirement.id, Relation.VERIFIED_BY, test.id, evidence,
                           actor=tester)
    duties.link = (requirement.id, Relation.VERIFIED_BY, test.id)


@when(parsers.parse("\"{name}\" records an independent review of that requirement's test"))
def independent_review(world, duties: Duties, name: str) -> None:
    assert duties.link is not None
    reviewer = duties.people[name]
    review = Evidence(EvidenceKind.REVIEW, Verdict.PASSED, reviewer.name, datetime.now(UTC),
                      independent=True, note="test specification and report reviewed")
    duties.attempt(lambda: world.container.link_items()(*duties.link, review, actor=reviewer))


def _link(world, duties: Duties) -> TraceLink:
    assert duties.link is not None
    link = world.store.get_link(duties.link)
    assert link is not None
    return link


@then(parsers.parse('the review is refused because "{name}" lacks the role "{role}"'))
def refused_for_role(duties: Duties, name: str, role: str) -> None:
    assert duties.error is not None, "the review was accepted"
    assert duties.error.code == "FORBIDDEN", duties.error
    assert name in duties.error.message and role in duties.error.message


@then(parsers.parse("the {what} is refused as a breach of the separation of duties"))
def refused_for_separation(duties: Duties, what: str) -> None:
    assert duties.error is not None, f"the {what} was accepted"
    assert duties.error.code == "SEPARATION_OF_DUTIES", duties.error


@then("the requirement's test has no review")
def no_review(world, duties: Duties) -> None:
    assert not [e for e in _link(world, duties).evidence if e.kind is EvidenceKind.REVIEW]


@then(parsers.parse('the requirement\'s test carries an independent review by "{name}"'))
def reviewed_by(world, duties: Duties, name: str) -> None:
    assert duties.error is None, duties.error
    reviews = [e for e in _link(world, duties).evidence if e.kind is EvidenceKind.REVIEW]
    assert [(e.agent, e.independent) for e in reviews] == [(name, True)]


# --- roll-out approvals ----------------------------------------------------------------


@given(parsers.parse('"{name}" started a roll-out at ASIL "{asil}" that now awaits approval'))
def rollout_awaiting(duties: Duties, name: str, asil: str) -> None:
    duties.fleet = InMemoryFleet(100, BASELINE, {BASELINE: HEALTHY, CANDIDATE: HEALTHY})
    readiness = ScriptedReadiness()
    readiness.ready.add(CANDIDATE)
    plan = RolloutPlan.for_asil(ASIL.parse(asil))
    duties.rollout = StartRollout(duties.engine, readiness)(StartRolloutCommand(
        "fleet", CANDIDATE, DIGEST_B, plan, duties.people[name], BASELINE, DIGEST_A))
    duties.first_stage = plan.stages[0].name
    tick = TickRollout(duties.engine)
    tick(duties.rollout.rollout_id)
    duties.clock.advance(plan.stages[0].bake_seconds + 1)
    tick(duties.rollout.rollout_id)
    assert duties.refresh().stage_state == "awaiting_approval"


@when(parsers.parse('"{name}" approves the stage'))
def approves(duties: Duties, name: str) -> None:
    assert duties.rollout is not None
    rollout_id, approver = duties.rollout.rollout_id, duties.people[name]
    duties.attempt(lambda: ApproveStage(duties.engine)(rollout_id, approver,
                                                       "stage health evidence reviewed"))


@then("the roll-out still awaits approval")
def still_awaiting(duties: Duties) -> None:
    view = duties.refresh()
    assert (view.current_stage, view.stage_state) == (duties.first_stage, "awaiting_approval")


@then("the approval is recorded and one more is needed")
def one_more_needed(duties: Duties) -> None:
    assert duties.error is None, duties.error
    still_awaiting(duties)


@then("the roll-out moves on to its next stage")
def moved_on(duties: Duties) -> None:
    assert duties.error is None, duties.error
    view = duties.refresh()
    assert view.current_stage != duties.first_stage
    assert view.stage_state == "baking"


@then(parsers.parse('the decision log names "{starter}" as the starter and "{first}" and '
                    '"{second}" as the approvers'))
def log_names(duties: Duties, starter: str, first: str, second: str) -> None:
    assert duties.rollout is not None
    entries = duties.journal.decisions(duties.rollout.rollout_id)
    assert entries[0].action == "create" and entries[0].actor == starter
    approvers = [e.actor for e in entries if e.action.startswith("approv")]
    assert approvers == [first, second]


# --- the audit log ---------------------------------------------------------------------


@given(parsers.parse('the release gate has been evaluated for "{ref}"'))
def gate_evaluated(world, ref: str) -> None:
    world.report = world.container.evaluate_gate()(ModelRef.parse(ref), "amira")
    assert world.report.audit_sequence is not None


@when("someone edits the actor of an earlier audit entry directly in the database")
def edit_audit_row(world, duties: Duties) -> None:
    database = world.container.settings().home_dir / "edgedeploy.db"
    with sqlite3.connect(database) as db:
        # Whoever can write the file can drop the append-only triggers first.
        for (trigger,) in db.execute("select name from sqlite_master where type = 'trigger' "
                                     "and tbl_name = 'audit_log'").fetchall():
            db.execute(f'drop trigger "{trigger}"')
        sequence = db.execute("select min(sequence) from audit_log").fetchone()[0]
        db.execute("update audit_log set actor = 'someone.else' where sequence = ?",
                   (sequence,))
    duties.edited_sequence = int(sequence)


@then("the audit check reports the edited entry")
def audit_check_reports(world, duties: Duties) -> None:
    from edgedeploy.entrypoints.cli import cli

    home = str(world.container.settings().home_dir)
    result = CliRunner().invoke(cli, ["audit", "verify", "--json"],
                                env={"EDGEDEPLOY_HOME": home, "EDGEDEPLOY_TOKEN": None})
    assert result.exit_code == 3, result.output
    verdict = json.loads(result.stdout)
    assert verdict["intact"] is False
    assert (verdict["first_problem"]["chain"], verdict["first_problem"]["sequence"]) == (
        "audit", duties.edited_sequence), verdict


@then(parsers.parse('the release gate refuses "{ref}" because the audit log was altered'))
def gate_refuses(world, duties: Duties, ref: str) -> None:
    duties.attempt(lambda: world.container.evaluate_gate()(ModelRef.parse(ref), "amira"))
    assert duties.error is not None, "the gate evaluated over an altered audit log"
    assert "CHAIN" in duties.error.code, duties.error
