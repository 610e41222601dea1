"""The SQL audit log appends a verifiable hash chain and refuses to be rewritten."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from edgedeploy.adapters.sql import SqlAlchemyUnitOfWork, create_engine_for, create_session_factory
from edgedeploy.domain.audit import AuditChainBroken, AuditEntry, next_entry, verify_chain
from edgedeploy.domain.errors import Conflict, InvariantViolation

UnitOfWorkFactory = Callable[[], SqlAlchemyUnitOfWork]
START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def record(uow: SqlAlchemyUnitOfWork, subject: str, *, action: str = "gate",
           outcome: str = "passed", details: dict[str, Any] | None = None,
           at: datetime | None = None) -> AuditEntry:
    previous = uow.audit.last()
    sequence = 1 if previous is None else previous.sequence + 1
    entry = next_entry(previous, at or START + timedelta(seconds=sequence), subject, action,
                       outcome, "release-engineer", details or {"asil": "C"})
    uow.audit.append(entry)
    return entry


def test_appended_entries_form_a_chain_that_verifies(new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow:
        written = [record(uow, "aeb@1"), record(uow, "aeb@2", outcome="refused"),
                   record(uow, "aeb@1", action="deploy")]
        uow.commit()

    with new_uow() as uow:
        stored = uow.audit.entries()
        newest = uow.audit.last()

    assert stored == written
    assert verify_chain(stored) == 3
    assert newest == written[-1]


def test_entries_about_one_subject_come_in_sequence_order(new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow:
        for subject in ("aeb@1", "lane@1", "aeb@1", "aeb@2", "aeb@1"):
            record(uow, subject)
        uow.commit()

    with new_uow() as uow:
        about_aeb = uow.audit.entries("aeb@1")

    assert [entry.sequence for entry in about_aeb] == [1, 3, 5]


def test_an_empty_log_has_no_last_entry(new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow:
        assert uow.audit.last() is None
        assert uow.audit.entries() == []


def test_an_uncommitted_append_leaves_no_entry(new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow:
        record(uow, "aeb@1")

    with new_uow() as uow:
        assert uow.audit.entries() == []


def test_a_second_entry_with_a_taken_sequence_is_refused(new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow:
        first = record(uow, "aeb@1")
        uow.commit()
    rival = next_entry(None, START + timedelta(minutes=5), "aeb@1", "gate", "refused",
                       "someone-else", {})

    with new_uow() as uow, pytest.raises(Conflict) as refused:
        uow.audit.append(rival)

    assert refused.value.code == "AUDIT_SEQUENCE_TAKEN"
    with new_uow() as uow:
        assert uow.audit.entries() == [first]


def test_an_entry_whose_hash_does_not_cover_its_content_is_refused(
        new_uow: UnitOfWorkFactory) -> None:
    genuine = next_entry(None, START, "aeb@1", "gate", "refused", "release-engineer", {})
    forged = replace(genuine, outcome="passed")

    with new_uow() as uow, pytest.raises(AuditChainBroken, match="does not match its content"):
        uow.audit.append(forged)


def test_an_entry_recorded_with_a_local_offset_is_refused(new_uow: UnitOfWorkFactory) -> None:
    local = START.astimezone(timezone(timedelta(hours=1)))
    entry = next_entry(None, local, "aeb@1", "gate", "passed", "release-engineer", {})

    with new_uow() as uow, pytest.raises(InvariantViolation, match="in UTC"):
        uow.audit.append(entry)


def test_details_that_are_not_json_are_refused(new_uow: UnitOfWorkFactory) -> None:
    entry = next_entry(None, START, "aeb@1", "drift", "watch", "monitor",
                       {"psi": float("nan")})

    with new_uow() as uow, pytest.raises(InvariantViolation, match="not JSON"):
        uow.audit.append(entry)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET outcome = 'passed'",
    "DELETE FROM audit_log",
])
def test_the_database_refuses_to_rewrite_the_log(new_uow: UnitOfWorkFactory, engine: Engine,
                                                  statement: str) -> None:
    with new_uow() as uow:
        record(uow, "aeb@1", outcome="refused")
        uow.commit()

    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)

    with new_uow() as uow:
        entries = uow.audit.entries()
    assert [entry.outcome for entry in entries] == ["refused"]
    assert verify_chain(entries) == 1


def test_postgresql_also_refuses_to_truncate_the_log(new_uow: UnitOfWorkFactory,
                                                     engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is a PostgreSQL statement")
    with new_uow() as uow:
        record(uow, "aeb@1")
        uow.commit()

    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE audit_log")


def test_concurrent_appenders_never_break_the_chain(migrated_url: str) -> None:
    appenders, appends_each = 3, 12
    engines = [create_engine_for(migrated_url) for _ in range(appenders)]
    start = threading.Barrier(appenders)
    failures: list[BaseException] = []

    def append_many(engine: Engine, name: str) -> None:
        sessions = create_session_factory(engine)
        try:
            start.wait()
            for number in range(appends_each):
                with SqlAlchemyUnitOfWork(sessions) as uow:
                    previous = uow.audit.last()
                    uow.audit.append(next_entry(previous, datetime.now(UTC), f"{name}@{number}",
                                                "gate", "passed", name, {"n": number}))
                    uow.commit()
        except BaseException as failure:
            failures.append(failure)

    threads = [threading.Thread(target=append_many, args=(engine, f"appender-{index}"))
               for index, engine in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        with SqlAlchemyUnitOfWork(create_session_factory(engines[0])) as uow:
            entries = uow.audit.entries()
    finally:
        for engine in engines:
            engine.dispose()

    assert failures == []
    assert verify_chain(entries) == appenders * appends_each


json_scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(details=st.dictionaries(st.text(max_size=12), json_values, max_size=5),
       microsecond=st.integers(0, 999_999))
def test_any_json_details_and_instant_read_back_with_a_verifying_hash(
        new_uow: UnitOfWorkFactory, details: dict[str, Any], microsecond: int) -> None:
    with new_uow() as uow:
        written = record(uow, "aeb@1", details=details,
                         at=START.replace(microsecond=microsecond))
        uow.commit()

    with new_uow() as uow:
        stored = uow.audit.last()
        everything = uow.audit.entries()

    assert stored == written
    verify_chain(everything)


def test_text_longer_than_its_column_is_refused_on_every_database(
        new_uow: UnitOfWorkFactory) -> None:
    entry = next_entry(None, START, "aeb@1", "gate", "passed", "x" * 256, {})

    with new_uow() as uow, pytest.raises(InvariantViolation, match="actor is 256 characters"):
        uow.audit.append(entry)
