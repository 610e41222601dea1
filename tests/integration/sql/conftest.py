"""Databases for persistence tests: a SQLite file always, PostgreSQL when one is configured.

``database_url`` is parametrized over both back ends; other capabilities' tests can reuse it
(and ``migrated_url``, ``root``, ``engine``, ``new_uow``: the composition root's own engine and
units of work on that database) by living under ``tests/integration/sql`` or by importing these
fixtures in their own ``conftest.py``. PostgreSQL runs when ``EDGEDEPLOY_TEST_POSTGRES_URL``
names a server (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each test gets a
schema of its own, created empty and dropped afterwards, so parallel runs never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from edgedeploy.adapters.sql import SqlAlchemyUnitOfWork, upgrade_to_head
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.settings import Settings

POSTGRES_URL_VARIABLE = "EDGEDEPLOY_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_URL_VARIABLE, "")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not POSTGRES_URL, reason=f"{POSTGRES_URL_VARIABLE} is not set"),
    ]),
]

UnitOfWorkFactory = Callable[[], SqlAlchemyUnitOfWork]


@pytest.fixture(name="postgres_admin", scope="session")
def fx_postgres_admin() -> Iterator[Engine]:
    engine = create_engine(make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"),
                           isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(name="database_url", params=BACKENDS)
def fx_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of the parametrized back end."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'edgedeploy.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = f"edgedeploy_test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg").update_query_dict(
        {"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(name="migrated_url")
def fx_migrated_url(database_url: str) -> str:
    """The URL of a database brought to the newest schema."""
    upgrade_to_head(database_url)
    return database_url


@pytest.fixture(name="root")
def fx_root(migrated_url: str, tmp_path: Path) -> Iterator[Container]:
    """The product's composition root on the migrated database."""
    root = bootstrap(Settings(home=str(tmp_path / "home"), database_url=migrated_url,
                              log_level="error"))
    yield root
    close_container(root)


@pytest.fixture(name="engine")
def fx_engine(root: Container) -> Engine:
    """The root's engine (disposed with the root)."""
    engine: Engine = root.engine()
    return engine


@pytest.fixture(name="new_uow")
def fx_new_uow(root: Container) -> UnitOfWorkFactory:
    """A fresh unit of work per call, from the root's ``uow`` provider."""
    return root.uow
