import pytest

from edgedeploy.application.models import RegisterModel
from edgedeploy.application.traceability import EvaluateGate, ImportRequirements, LinkItems
from tests.fakes.clock import ManualClock
from tests.fakes.model_files import ScriptedModelFileInspector
from tests.fakes.persistence import (
    InMemoryDatabase,
    InMemoryEvidenceStore,
    InMemoryUnitOfWork,
)
from tests.fakes.trace_store import InMemoryTraceStore


class ScriptedReader:
    """Returns whatever document the test put in ``documents`` for a file name."""

    formats = frozenset({".test"})

    def __init__(self):
        self.documents = {}

    def read(self, name, data):
        return self.documents[name]


@pytest.fixture(name="store")
def fx_store():
    return InMemoryTraceStore()


@pytest.fixture(name="database")
def fx_database():
    return InMemoryDatabase()


@pytest.fixture(name="uow")
def fx_uow(database):
    return lambda: InMemoryUnitOfWork(database)


@pytest.fixture(name="clock")
def fx_clock():
    return ManualClock.stepping()


@pytest.fixture(name="reader")
def fx_reader():
    return ScriptedReader()


@pytest.fixture(name="import_requirements")
def fx_import(store, reader):
    return ImportRequirements(store, [reader])


@pytest.fixture(name="link_items")
def fx_link(store):
    return LinkItems(store)


@pytest.fixture(name="register")
def fx_register(uow, store, clock):
    return RegisterModel(uow, InMemoryEvidenceStore(), store, clock,
                         inspector=ScriptedModelFileInspector())


@pytest.fixture(name="gate")
def fx_gate(store, uow, clock):
    return EvaluateGate(store, uow, clock)
