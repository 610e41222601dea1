"""Shared steps and fixtures for the auditor-facing scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_bdd import given, parsers

from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact, ArtifactKind, ItemId, ItemKind, Requirement
from edgedeploy.domain.requirements import RequirementLevel as L
from edgedeploy.domain.traceability import DECOMPOSING, Relation
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.settings import Settings
from tests.builders import ENGINEER

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_REQUIREMENTS = ROOT / "examples" / "aeb" / "requirements.reqif"
FIXTURES = ROOT / "tests" / "fixtures" / "reqif"


def pytest_bdd_apply_tag(tag: str, function):
    """``@req_<ID>`` and ``@asil_<level>`` become requirement/asil markers."""
    if tag.startswith("req_"):
        pytest.mark.requirement(tag[4:])(function)
        return True
    if tag.startswith("asil_"):
        pytest.mark.asil(tag[5:])(function)
        return True
    if tag == "http":
        return True
    return None


class World:
    """What a scenario has done so far."""

    def __init__(self, container):
        self.container = container
        self.report = None
        self.error: Exception | None = None
        self.snapshot = None
        self.response = None
        self.view = None
        self.impact = None
        self.import_result = None

    @property
    def store(self):
        return self.container.trace_store()

    def requirements(self) -> list[Requirement]:
        return [r for r in self.store.items(ItemKind.REQUIREMENT) if isinstance(r, Requirement)]

    def leaves(self) -> list[Requirement]:
        parents = {link.source for link in self.store.links() if link.relation in DECOMPOSING}
        return [r for r in self.requirements() if r.id not in parents]

    def take_snapshot(self):
        return (self.store.items(), self.store.links())


@pytest.fixture(name="world")
def fx_world(tmp_path):
    container = bootstrap(Settings(home=str(tmp_path / "home"), actor="auditor.test"))
    yield World(container)
    close_container(container)


@given("the requirement set of the emergency braking perception function")
def requirement_set(world):
    world.container.import_requirements()(EXAMPLE_REQUIREMENTS.name,
                                          EXAMPLE_REQUIREMENTS.read_bytes(), actor=ENGINEER)
    world.snapshot = world.take_snapshot()


@given(parsers.parse('the model version "{ref}" is registered'))
def model_registered(world, ref):
    world.container.register_model()(ModelRef.parse(ref), f"weights of {ref}".encode(),
                                     "release.engineer")


@given(parsers.parse('every machine learning requirement is implemented by "{ref}"'))
def implemented_by(world, ref):
    link = world.container.link_items()
    dataset = world.container.record_artifact()(
        Artifact(ItemId("DS-digits-v1"), ArtifactKind.DATASET, "digits, stratified split"),
        actor=ENGINEER)
    for req in world.leaves():
        if req.level is L.DATASET:
            link(req.id, Relation.SATISFIED_BY, dataset.id, actor=ENGINEER)
        else:
            link(req.id, Relation.IMPLEMENTED_BY, ItemId(ref), actor=ENGINEER)
