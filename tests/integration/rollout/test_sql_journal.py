"""The roll-out journal on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from edgedeploy.adapters.sql.rollout_journal import RolloutJournalConflict, SqlAlchemyRolloutJournal
from edgedeploy.domain.audit import next_entry, verify_chain
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.health import HealthWindow
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DeviceInfo, RolloutPlan, new_rollout
from edgedeploy.domain.safety import ASIL

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OLD, NEW = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1")
DA, DB = "sha256:" + "a" * 64, "sha256:" + "b" * 64


@pytest.fixture(name="journal")
def fx_journal(tmp_path: Path) -> SqlAlchemyRolloutJournal:
    return SqlAlchemyRolloutJournal(f"sqlite:///{tmp_path / 'rollouts.db'}")


def fresh(rollout_id: str = "r1"):
    devices = [DeviceInfo(f"d{i}", {"hw": "a" if i % 2 else "b"}) for i in range(8)]
    return new_rollout(rollout_id, "fleet", NEW, DB, OLD, DA, RolloutPlan.for_asil(ASIL.C),
                       devices, 3, NOW)


def test_a_rollout_and_its_decisions_survive_a_round_trip(journal, tmp_path):
    r = fresh()
    first = next_entry(None, NOW, str(NEW), "create", "pending", "alice", {"plan": "x"})
    journal.create(r, first)
    started = r.start(NOW)
    promoted = started.passed(NOW, HealthWindow(1000, 1, 0, 0, 2, (), 4))
    second = next_entry(first, NOW, str(NEW), "start_stage", "baking", "controller", {"p": 0.5})
    journal.record(started, second, expected_epoch=r.epoch)
    third = next_entry(second, NOW, str(NEW), "request_approval", "awaiting", "controller", {})
    journal.record(promoted, third, expected_epoch=started.epoch)
    reopened = SqlAlchemyRolloutJournal(f"sqlite:///{tmp_path / 'rollouts.db'}")
    loaded = reopened.get("r1")
    assert loaded == promoted
    assert loaded.reference == HealthWindow(1000, 1, 0, 0, 2, (), 4)
    assert verify_chain(reopened.decisions("r1")) == 3
    assert reopened.active("fleet") == promoted and reopened.max_epoch("fleet") == loaded.epoch


def test_a_write_from_a_stale_epoch_is_refused(journal):
    r = fresh()
    first = next_entry(None, NOW, str(NEW), "create", "pending", "alice", {})
    journal.create(r, first)
    journal.record(r.start(NOW), next_entry(first, NOW, str(NEW), "start", "baking", "a", {}),
                   expected_epoch=r.epoch)
    with pytest.raises(RolloutJournalConflict):
        journal.record(r.start(NOW), next_entry(first, NOW, str(NEW), "start", "baking", "b",
                                                {}), expected_epoch=r.epoch)
    assert len(journal.decisions("r1")) == 2


def test_a_duplicate_rollout_id_is_a_conflict_and_an_unknown_one_is_not_found(journal):
    entry = next_entry(None, NOW, str(NEW), "create", "pending", "alice", {})
    journal.create(fresh(), entry)
    with pytest.raises(RolloutJournalConflict):
        journal.create(fresh(), entry)
    with pytest.raises(NotFound):
        journal.get("missing")


def test_finished_rollouts_are_not_active_but_remain_the_latest(journal):
    r = fresh()
    first = next_entry(None, NOW, str(NEW), "create", "pending", "alice", {})
    journal.create(r, first)
    aborted = r.aborted("recall")
    journal.record(aborted, next_entry(first, NOW, str(NEW), "abort", "aborted", "bob", {}),
                   expected_epoch=r.epoch)
    assert journal.active("fleet") is None
    latest = journal.latest("fleet")
    assert latest is not None and latest.reason == "recall"
