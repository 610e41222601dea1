"""A database that cannot be reached is reported as unavailable, naming it without a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgedeploy.adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    current_revision,
    upgrade_to_head,
)
from edgedeploy.application.errors import BackendUnavailable, InvalidInput
from edgedeploy.domain.models import ModelRef

# Port 1 on loopback: nothing listens there, so the connection is refused at once.
UNREACHABLE = "postgresql+psycopg://release:s3cret-pw@127.0.0.1:1/edgedeploy"


def assert_names_database_without_password(error: BackendUnavailable) -> None:
    message = str(error)
    assert "127.0.0.1:1/edgedeploy" in message
    assert "release" in message
    assert "s3cret-pw" not in message


def test_a_unit_of_work_on_an_unreachable_server_reports_it_unavailable() -> None:
    engine = create_engine_for(UNREACHABLE)
    try:
        with (pytest.raises(BackendUnavailable) as failure,
              SqlAlchemyUnitOfWork(create_session_factory(engine)) as uow):
            uow.models.get(ModelRef("aeb-perception", "1.0.0"))
    finally:
        engine.dispose()

    assert_names_database_without_password(failure.value)


def test_migrating_an_unreachable_server_reports_it_unavailable() -> None:
    with pytest.raises(BackendUnavailable) as failure:
        upgrade_to_head(UNREACHABLE)

    assert_names_database_without_password(failure.value)


def test_asking_an_unreachable_server_for_its_revision_reports_it_unavailable() -> None:
    with pytest.raises(BackendUnavailable) as failure:
        current_revision(UNREACHABLE)

    assert_names_database_without_password(failure.value)


def test_a_sqlite_file_that_cannot_be_created_is_reported_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")

    with pytest.raises(BackendUnavailable, match="not-a-folder"):
        upgrade_to_head(f"sqlite:///{blocker / 'home' / 'edgedeploy.db'}")


@pytest.mark.parametrize("url", ["mysql://root@localhost/edgedeploy", "not a url"])
def test_an_unsupported_or_malformed_url_is_refused_as_invalid_input(url: str) -> None:
    with pytest.raises(InvalidInput):
        create_engine_for(url)


def test_a_plain_postgresql_url_is_served_by_psycopg() -> None:
    engine = create_engine_for("postgresql://release@127.0.0.1:1/edgedeploy")
    try:
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


def test_a_database_that_was_never_migrated_is_reported_with_the_remedy(
        database_url: str) -> None:
    engine = create_engine_for(database_url)
    try:
        with (pytest.raises(BackendUnavailable, match="edgedeploy db upgrade"),
              SqlAlchemyUnitOfWork(create_session_factory(engine)) as uow):
            uow.audit.last()
    finally:
        engine.dispose()


def test_a_password_with_url_escapes_reaches_the_driver_and_stays_hidden() -> None:
    url = "postgresql+psycopg://release:p%40ss%25word@127.0.0.1:1/edgedeploy"

    with pytest.raises(BackendUnavailable) as failure:
        upgrade_to_head(url)

    assert "is unavailable" in str(failure.value)
    assert "p@ss" not in str(failure.value)
    assert "p%40ss" not in str(failure.value)
