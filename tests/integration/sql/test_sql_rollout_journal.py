"""The roll-out journal on SQLite (and PostgreSQL when configured), through the unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edgedeploy.adapters.sql import RolloutJournalConflict
from edgedeploy.domain.audit import next_entry, verify_chain
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DeviceInfo, RolloutPlan, new_rollout
from edgedeploy.domain.safety import ASIL

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OLD, NEW = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1")
DA, DB = "sha256:" + "a" * 64, "sha256:" + "b" * 64


def fresh(rollout_id: str = "r1"):
    devices = [DeviceInfo(f"d{i}", {"hw": "a" if i % 2 else "b"}) for i in range(8)]
    return new_rollout(rollout_id, "fleet", NEW, DB, OLD, DA, RolloutPlan.for_asil(ASIL.C),
                       devices, 3, NOW)


def test_a_rollout_and_its_decisions_survive_a_round_trip(new_uow):
    r = fresh()
    first = next_entry(None, NOW, str(NEW), "create", "pending", "alice", {"plan": "x"})
    started = r.start(NOW)
    promoted = started.passed(NOW, HealthWindow(1000, 1, 0, 0, 2, (), 4))
    second = next_entry(first, NOW, str(NEW), "start_stage", "baking", "controller", {"p": 0.5})
    third = next_entry(second, NOW, str(NEW), "request_approval", "awaiting", "controller", {})
    with new_uow() as work:
        work.rollouts.create(r, first)
        work.commit()
    with new_uow() as work:
        work.rollouts.record(started, second, expected_epoch=r.epoch)
        work.rollouts.record(promoted, third, expected_epoch=started.epoch)
        work.commit()
    with new_uow() as work:
        loaded = work.rollouts.get("r1")
        assert loaded == promoted
        assert loaded.reference == HealthWindow(1000, 1, 0, 0, 2, (), 4)
        assert verify_chain(work.rollouts.decisions("r1")) == 3
        assert work.rollouts.active("fleet") == promoted
        assert work.rollouts.max_epoch("fleet") == loaded.epoch
        assert work.rollouts.list_ids("fleet") == ["r1"]


def test_a_write_from_a_stale_epoch_is_refused(new_uow):
    r = fresh()
    first = next_entry(None, NOW, str(NEW), "create", "pending", "alice", {})
    with new_uow() as work:
        work.rollouts.create(r, first)
        work.rollouts.record(r.start(NOW),
                             next_entry(first, NOW, str(NEW), "start", "baking", "a", {}),
                             expected_epoch=r.epoch)
        work.commit()
    with new_uow() as work, pytest.raises(RolloutJournalConflict):
        work.rollouts.record(r.start(NOW), next_entry(first, NOW, str(NEW), "start", "baking",
                                                      "b", {}), expected_epoch=r.epoch)
    with new_uow() as work:
        assert len(work.rollouts.decisions("r1")) == 2


def test_a_duplicate_rollout_id_is_a_conflict_and_an_unknown_one_is_not_found(new_uow):
    entry = next_entry(None, NOW, str(NEW), "create", "pending", "alice", {})
    with new_uow() as work:
        work.rollouts.create(fresh(), entry)
        with pytest.raises(RolloutJournalConflict):
            work.rollouts.create(fresh(), entry)
        with pytest.raises(NotFound):
            work.rollouts.get("missing")
        work.commit()
    with new_uow() as work:
        assert work.rollouts.list_ids() == ["r1"]


def test_finished_rollouts_are_not_active_but_remain_the_latest(new_uow):
    r = fresh()
    first = next_entry(None, NOW, str(NEW), "create", "pending", "alice", {})
    aborted = r.aborted("recall")
    with new_uow() as work:
        work.rollouts.create(r, first)
        work.rollouts.record(aborted,
                             next_entry(first, NOW, str(NEW), "abort", "aborted", "bob", {}),
                             expected_epoch=r.epoch)
        work.commit()
    with new_uow() as work:
        assert work.rollouts.active("fleet") is None
        latest = work.rollouts.latest("fleet")
        assert latest is not None and latest.reason == "recall"
