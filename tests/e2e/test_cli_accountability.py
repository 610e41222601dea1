"""``edgedeploy report accountability`` and the release report's "Who did what" section.

A release is recorded by named principals over the real SQLite store: an engineer imports and
tests, a reviewer from another unit reviews independently, release managers start and approve
a roll-out. The report must name each of them against the fact they are accountable for.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from edgedeploy.application.rollout import (
    ApproveStage,
    RolloutEngine,
    StartRollout,
    StartRolloutCommand,
    TickRollout,
)
from edgedeploy.application.traceability.accountability import accountability_section
from edgedeploy.domain.identity import Principal, PrincipalKind, Role, parse_roles
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import (
    Artifact,
    ArtifactKind,
    ItemId,
    Requirement,
    RequirementLevel,
)
from edgedeploy.domain.rollout import RolloutPlan
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import (
    Evidence,
    EvidenceKind,
    Relation,
    Verdict,
    VerificationMethod,
)
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.cli import cli
from edgedeploy.entrypoints.settings import Settings
from tests.acceptance.conftest import EXAMPLE_REQUIREMENTS
from tests.fakes.clock import ManualClock
from tests.fakes.rollout import (
    DIGEST_A,
    DIGEST_B,
    InMemoryFleet,
    ScriptedHealth,
    ScriptedReadiness,
)

ADMIN = Principal("it.admin", frozenset({Role.ADMIN}))
BASELINE, CANDIDATE = ModelRef.parse("aeb@1.0"), ModelRef.parse("aeb@1.1")


@pytest.fixture(name="release")
def fx_release(tmp_path):
    """A home in which erik tested, amira reviewed, lena started and jonas approved."""
    home = tmp_path / "home"
    container = bootstrap(Settings(home=str(home), actor="service.test"))
    try:
        people = {}
        for name, roles, unit in (("erik", "engineer", "perception/ml"),
                                  ("amira", "safety-reviewer", "safety/assessment"),
                                  ("lena", "release-manager", "release/vehicle"),
                                  ("jonas", "release-manager", "release/vehicle")):
            record = container.manage_principals().add(name, parse_roles(roles.split(",")),
                                                       by=ADMIN, unit=unit)
            people[name] = record.principal(PrincipalKind.TOKEN)
        erik, amira = people["erik"], people["amira"]
        container.import_requirements()(EXAMPLE_REQUIREMENTS.name,
                                        EXAMPLE_REQUIREMENTS.read_bytes(), actor=erik)
        requirement = next(r for r in container.trace_store().items()
                           if isinstance(r, Requirement) and r.asil is ASIL.D
                           and r.level is not RequirementLevel.DATASET)
        digest = container.evidence().put(b"412 of 412 cases passed")
        test = container.record_artifact()(
            Artifact(ItemId("TC-braking"), ArtifactKind.TEST, "braking test", digest=digest),
            actor=erik)
        link = container.link_items()
        link(requirement.id, Relation.VERIFIED_BY, test.id,
             Evidence(EvidenceKind.TEST_RESULT, Verdict.PASSED, "erik", datetime.now(UTC),
                      artifact_digest=digest, method=VerificationMethod.TEST), actor=erik)
        link(requirement.id, Relation.VERIFIED_BY, test.id,
             Evidence(EvidenceKind.REVIEW, Verdict.PASSED, "amira", datetime.now(UTC),
                      independent=True), actor=amira)

        clock = ManualClock()
        healthy = ScriptedHealth(inferences=50_000)
        engine = RolloutEngine(container.uow,
                               InMemoryFleet(100, BASELINE, {BASELINE: healthy,
                                                             CANDIDATE: healthy}), clock)
        readiness = ScriptedReadiness()
        readiness.ready.add(CANDIDATE)
        plan = RolloutPlan.for_asil(ASIL.C)
        view = StartRollout(engine, readiness)(StartRolloutCommand(
            "fleet", CANDIDATE, DIGEST_B, plan, people["lena"], BASELINE, DIGEST_A))
        TickRollout(engine)(view.rollout_id)
        clock.advance(plan.stages[0].bake_seconds + 1)
        TickRollout(engine)(view.rollout_id)
        ApproveStage(engine)(view.rollout_id, people["jonas"], "health reviewed")
        yield container, home, requirement.id, view.rollout_id
    finally:
        close_container(container)


def test_the_accountability_names_who_recorded_reviewed_started_and_approved(release):
    container, _, requirement, rollout_id = release
    found = container.describe_accountability()()
    by_kind = {(e.source, e.kind): e for e in found.evidence if e.target == "TC-braking"}
    assert by_kind[(requirement, "test-result")].recorded_by == "erik"
    review = by_kind[(requirement, "review")]
    assert (review.recorded_by, review.independent) == ("amira", True)
    assert found.reviews == (review,)

    decisions = [(d.rollout_id, d.action, d.actor) for d in found.rollouts]
    assert decisions == [(rollout_id, "create", "lena"), (rollout_id, "approve", "jonas")]
    assert {(p.name, p.roles, p.unit) for p in found.principals} == {
        ("erik", ("engineer",), "perception/ml"),
        ("amira", ("safety-reviewer",), "safety/assessment"),
        ("lena", ("release-manager",), "release/vehicle"),
        ("jonas", ("release-manager",), "release/vehicle")}
    assert {(c.subject, c.action, c.actor) for c in found.access_changes} == {
        (f"principal:{name}", "principal-added", "it.admin")
        for name in ("erik", "amira", "lena", "jonas")}


def test_another_models_roll_outs_are_left_out(release):
    container, *_ = release
    assert [d.actor for d in container.describe_accountability()(CANDIDATE).rollouts] == [
        "lena", "jonas"]
    other = container.describe_accountability()(ModelRef.parse("lidar@2.0"))
    assert other.rollouts == ()
    assert other.principals  # who may act is not scoped by model


def test_the_release_report_section_renders_every_name_escaped(release):
    container, *_ = release
    section = accountability_section(container.describe_accountability()())
    captions = [t.caption for t in section.tables]
    assert captions == ["Evidence by whom (trace store)",
                        "Roll-out starts, approvals and stops (decision logs)",
                        "Principals (principal register)",
                        "Changes to who may act (audit log)"]
    rollouts = section.tables[1].rows
    assert [(row[3], row[4]) for row in rollouts] == [("started", "lena"), ("approved", "jonas")]
    reviews = [row for row in section.tables[0].rows if row[1] == "review"]
    assert [(row[3], row[4]) for row in reviews] == [("amira", "yes")]


def test_report_accountability_prints_json_and_writes_html(release, tmp_path):
    container, home, _, rollout_id = release
    close_container(container)  # the CLI opens the on-disk trace store itself
    page = tmp_path / "who.html"
    runner = CliRunner()
    result = runner.invoke(cli, ["report", "accountability", "--html", str(page), "--json"],
                           env={"EDGEDEPLOY_HOME": str(home)})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"] is None and data["html"] == str(page)
    assert [(d["action"], d["actor"]) for d in data["rollouts"]] == [("create", "lena"),
                                                                    ("approve", "jonas")]
    html = page.read_text()
    assert "Who did what" in html and rollout_id in html
    for name in ("erik", "amira", "lena", "jonas", "safety/assessment"):
        assert name in html

    table = runner.invoke(cli, ["report", "accountability", str(CANDIDATE)],
                          env={"EDGEDEPLOY_HOME": str(home)})
    assert table.exit_code == 0, table.output
    assert "amira" in table.stdout and "jonas" in table.stdout and rollout_id in table.stdout


def test_report_accountability_refuses_a_malformed_model_version(release):
    container, home, *_ = release
    close_container(container)
    result = CliRunner().invoke(cli, ["report", "accountability", "aeb"],
                                env={"EDGEDEPLOY_HOME": str(home)})
    assert result.exit_code == 2
