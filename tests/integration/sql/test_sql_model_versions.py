"""Model versions are registered, read and listed through the SQL unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from edgedeploy.adapters.sql import SqlAlchemyUnitOfWork
from edgedeploy.domain.errors import Conflict, InvariantViolation
from edgedeploy.domain.models import ModelRef, ModelVersion

UnitOfWorkFactory = Callable[[], SqlAlchemyUnitOfWork]
REGISTERED_AT = datetime(2026, 11, 22, 8, 30, 15, 123456, tzinfo=UTC)


def model(name: str = "aeb-perception", version: str = "1.0.0", *, fill: str = "a",
          registered_at: datetime = REGISTERED_AT) -> ModelVersion:
    return ModelVersion(ModelRef(name, version), "sha256:" + fill * 64, 2048, registered_at,
                        "release-engineer", source_name="aeb.onnx")


def test_a_registered_version_reads_back_equal(new_uow: UnitOfWorkFactory) -> None:
    registered = model()
    with new_uow() as uow:
        uow.models.add(registered)
        uow.commit()

    with new_uow() as uow:
        found = uow.models.get(registered.ref)

    assert found == registered
    assert found is not None and found.registered_at.utcoffset() == timedelta(0)


def test_an_unknown_version_reads_as_none(new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow:
        assert uow.models.get(ModelRef("aeb-perception", "9.9.9")) is None


def test_an_instant_with_another_offset_is_stored_as_the_same_instant_in_utc(
        new_uow: UnitOfWorkFactory) -> None:
    local = REGISTERED_AT.astimezone(timezone(timedelta(hours=2)))
    with new_uow() as uow:
        uow.models.add(model(registered_at=local))
        uow.commit()

    with new_uow() as uow:
        found = uow.models.get(ModelRef("aeb-perception", "1.0.0"))

    assert found is not None
    assert found.registered_at == REGISTERED_AT
    assert found.registered_at.tzinfo == UTC


def test_listing_returns_versions_oldest_first_and_filters_by_name(
        new_uow: UnitOfWorkFactory) -> None:
    newer = model(version="2.0.0", fill="b", registered_at=REGISTERED_AT + timedelta(days=1))
    older = model(version="1.0.0", fill="a")
    other = model(name="lane-keeping", version="1.0.0", fill="c",
                  registered_at=REGISTERED_AT + timedelta(hours=1))
    with new_uow() as uow:
        for version in (newer, older, other):
            uow.models.add(version)
        uow.commit()

    with new_uow() as uow:
        everything = uow.models.list()
        aeb_only = uow.models.list("aeb-perception")

    assert everything == [older, other, newer]
    assert aeb_only == [older, newer]


def test_a_duplicate_name_and_version_is_refused_as_a_conflict(
        new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow:
        uow.models.add(model())
        uow.commit()

    with new_uow() as uow, pytest.raises(Conflict) as refused:
        uow.models.add(model(fill="f"))

    assert refused.value.code == "MODEL_VERSION_DUPLICATE"
    assert "aeb-perception@1.0.0" in str(refused.value)


def test_the_unit_of_work_stays_usable_after_a_refused_duplicate(
        new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow:
        uow.models.add(model())
        with pytest.raises(Conflict):
            uow.models.add(model(fill="f"))
        uow.models.add(model(version="1.0.1", fill="b"))
        uow.commit()

    with new_uow() as uow:
        assert [m.ref.version for m in uow.models.list()] == ["1.0.0", "1.0.1"]


def test_leaving_without_commit_leaves_nothing(new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow:
        uow.models.add(model())

    with new_uow() as uow:
        assert uow.models.list() == []


def test_an_exception_inside_the_block_rolls_back_and_propagates(
        new_uow: UnitOfWorkFactory) -> None:
    class StepFailed(Exception):
        pass

    with pytest.raises(StepFailed), new_uow() as uow:
        uow.models.add(model())
        raise StepFailed

    with new_uow() as uow:
        assert uow.models.list() == []


def test_an_explicit_rollback_discards_only_the_uncommitted_work(
        new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow:
        uow.models.add(model())
        uow.commit()
        uow.models.add(model(version="2.0.0", fill="b"))
        uow.rollback()
        uow.commit()

    with new_uow() as uow:
        assert [m.ref.version for m in uow.models.list()] == ["1.0.0"]


def test_a_time_without_a_zone_is_refused(new_uow: UnitOfWorkFactory) -> None:
    with new_uow() as uow, pytest.raises(InvariantViolation, match="no time zone"):
        uow.models.add(model(registered_at=datetime(2026, 11, 22, 8, 30)))


def test_the_same_unit_of_work_can_be_entered_again_after_it_closed(
        new_uow: UnitOfWorkFactory) -> None:
    uow = new_uow()
    with uow:
        uow.models.add(model())
        uow.commit()
    with uow:
        assert uow.models.get(ModelRef("aeb-perception", "1.0.0")) is not None
