"""One unit of work over every repository: one transaction, events only after the commit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edgedeploy.adapters.sql import SqlAlchemyUnitOfWorkFactory
from edgedeploy.domain.audit import next_entry
from edgedeploy.domain.drift import DriftSeverity
from edgedeploy.domain.drift_policy import EnsembleWeights
from edgedeploy.domain.events import CriticalDriftDetected, RolloutFinished, verdict_events
from edgedeploy.domain.models import ModelRef, ModelVersion
from edgedeploy.domain.rollout import DeviceInfo, RolloutPhase, RolloutPlan, new_rollout
from edgedeploy.domain.safety import ASIL
from tests.integration.sql.test_sql_drift_repository import verdict

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OLD, NEW = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1")


def write_everything(work) -> None:
    """One fact in each repository."""
    work.models.add(ModelVersion(NEW, "sha256:" + "b" * 64, 2048, NOW, "alice"))
    work.audit.append(next_entry(work.audit.last(), NOW, str(NEW), "register", "ok", "alice",
                                 {}))
    work.drift.add_verdict(verdict(0, DriftSeverity.CRITICAL), {"adwin": {"width": 3.0}})
    rollout = new_rollout("r1", "fleet", NEW, "sha256:" + "b" * 64, OLD, "sha256:" + "a" * 64,
                          RolloutPlan.for_asil(ASIL.QM), [DeviceInfo("d0"), DeviceInfo("d1")],
                          1, NOW)
    work.rollouts.create(rollout, next_entry(None, NOW, str(NEW), "create", "pending",
                                             "alice", {}))


def stored(new_uow) -> tuple[int, int, int, int]:
    with new_uow() as work:
        return (len(work.models.list()), len(work.audit.entries()),
                len(work.drift.verdicts()), len(work.rollouts.list_ids()))


def test_work_left_without_a_commit_leaves_no_trace_in_any_repository(new_uow):
    with new_uow() as work:
        write_everything(work)
        work.add_event(*verdict_events(verdict(0, DriftSeverity.CRITICAL)))
    assert stored(new_uow) == (0, 0, 0, 0)
    assert work.collect_events() == []


def test_a_failure_part_way_rolls_back_what_every_repository_wrote(new_uow):
    with pytest.raises(RuntimeError), new_uow() as work:
        write_everything(work)
        raise RuntimeError("the use case failed after writing")
    assert stored(new_uow) == (0, 0, 0, 0)


def test_a_commit_stores_every_repository_together_and_then_hands_out_the_events(new_uow):
    event = RolloutFinished("r1", "fleet", NEW, RolloutPhase.COMPLETED, "", 4)
    with new_uow() as work:
        write_everything(work)
        work.add_event(event, *verdict_events(verdict(0, DriftSeverity.CRITICAL)))
        assert work.collect_events() == []  # nothing is handed out before the commit
        work.commit()
    assert stored(new_uow) == (1, 1, 1, 1)
    events = work.collect_events()
    assert events[0] == event and isinstance(events[1], CriticalDriftDetected)
    assert work.collect_events() == []  # each event is handed out once


def test_a_rollback_drops_the_events_added_since_the_last_commit(new_uow):
    kept = RolloutFinished("r1", "fleet", NEW, RolloutPhase.ABORTED, "recall", 2)
    dropped = RolloutFinished("r2", "fleet", NEW, RolloutPhase.COMPLETED, "", 3)
    with new_uow() as work:
        work.add_event(kept)
        work.commit()
        work.add_event(dropped)
        work.rollback()
    assert work.collect_events() == [kept]


def test_the_factory_counts_every_commit_across_its_units_of_work(migrated_url):
    seen: list[int] = []
    factory = SqlAlchemyUnitOfWorkFactory.for_url(migrated_url, after_write=seen.append)
    with factory() as work:
        write_everything(work)
        work.commit()
    with factory() as work:
        work.drift.save_weights("aeb@1/eu", EnsembleWeights({"mmd": 2.0}))
        work.commit()
    with factory() as work:
        assert work.rollouts.list_ids() == ["r1"]  # a read alone commits nothing
    assert seen == [1, 2] and factory.writes == 2


def test_a_scratch_database_gets_every_table_without_migrations(tmp_path):
    factory = SqlAlchemyUnitOfWorkFactory.for_url(f"sqlite:///{tmp_path / 'scratch.db'}",
                                                  create_tables=True)
    with factory() as work:
        write_everything(work)
        work.commit()
    with factory() as work:
        assert work.rollouts.get("r1").model == NEW
        assert work.drift.detector_state("aeb@1/eu", "adwin") == {"width": 3.0}
