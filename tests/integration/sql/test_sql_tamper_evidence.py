"""Tampering with the evidence chains is refused while the triggers stand, and detected after.

Runs on SQLite and, when ``EDGEDEPLOY_TEST_POSTGRES_URL`` is set, PostgreSQL. Each test writes
through the product's composition root (whose units of work sign a checkpoint per commit),
then tampers the way someone with database access would: drop the trigger, edit or delete
rows, re-hash what follows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from edgedeploy.adapters.signing import Ed25519EvidenceSigner
from edgedeploy.adapters.sql import SqlAlchemyUnitOfWorkFactory
from edgedeploy.domain.audit import AuditChainBroken, entry_hash, next_entry
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import DeviceInfo, RolloutPlan, new_rollout
from edgedeploy.domain.safety import ASIL
from edgedeploy.entrypoints.container import Container

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OLD, NEW = ModelRef("aeb", "1.0"), ModelRef("aeb", "1.1")
DA, DB = "sha256:" + "a" * 64, "sha256:" + "b" * 64


def decide(root: Container, count: int) -> None:
    """Append ``count`` gate decisions, one commit (and one checkpoint) each."""
    for number in range(count):
        with root.uow() as work:
            work.audit.append(next_entry(work.audit.last(), NOW + timedelta(minutes=number),
                                         f"aeb@{number}", "trace-gate", "passed", "ci",
                                         {"n": number}))
            work.commit()


def roll_out(root: Container | SqlAlchemyUnitOfWorkFactory, rollout_id: str = "r1",
             decisions: int = 4) -> None:
    """A roll-out with ``decisions`` decisions, each committed on its own."""
    devices = [DeviceInfo(f"d{i}", {}) for i in range(4)]
    rollout = new_rollout(rollout_id, "fleet", NEW, DB, OLD, DA, RolloutPlan.for_asil(ASIL.B),
                          devices, 1, NOW)
    entry = next_entry(None, NOW, str(NEW), "create", "pending", "alice",
                       {"rollout": rollout_id})
    new_uow = root if isinstance(root, SqlAlchemyUnitOfWorkFactory) else root.uow
    with new_uow() as work:
        work.rollouts.create(rollout, entry)
        work.commit()
    for number in range(1, decisions):
        entry = next_entry(entry, NOW, str(NEW), "note", "pending", "controller",
                           {"rollout": rollout_id, "n": number})
        with new_uow() as work:
            work.rollouts.record(rollout, entry, expected_epoch=rollout.epoch)
            work.commit()


def drop_triggers(engine: Engine, table: str) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"DROP TRIGGER {table}_refuse_change ON {table}")
        else:
            connection.exec_driver_sql(f"DROP TRIGGER {table}_refuse_update")
            connection.exec_driver_sql(f"DROP TRIGGER {table}_refuse_delete")


def rehash(engine: Engine, table: str, where: str, start: int) -> None:
    """Recompute every hash from entry ``start`` on, as a forger covering an edit would."""
    with engine.begin() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT sequence, recorded_at, subject, action, outcome, actor, details, "
            f"previous_hash FROM {table} WHERE {where} ORDER BY sequence").all()
        previous = None
        for row in rows:
            sequence, recorded_at, subject, action, outcome, actor, details, prev = row
            if isinstance(recorded_at, str):
                recorded_at = datetime.fromisoformat(recorded_at)
            recorded_at = (recorded_at.replace(tzinfo=UTC) if recorded_at.tzinfo is None
                           else recorded_at.astimezone(UTC))
            if isinstance(details, str):
                details = json.loads(details)
            if sequence < start:
                previous = connection.exec_driver_sql(
                    f"SELECT entry_hash FROM {table} WHERE {where} AND sequence = {sequence}"
                ).scalar_one()
                continue
            forged = entry_hash(sequence, recorded_at, subject, action, outcome, actor, details,
                                previous or prev)
            connection.exec_driver_sql(
                f"UPDATE {table} SET previous_hash = '{previous or prev}', "
                f"entry_hash = '{forged}' WHERE {where} AND sequence = {sequence}")
            previous = forged


def refusal_of(root: Container) -> str:
    """What the deploy path says: the release readiness refuses before looking at anything."""
    with pytest.raises(AuditChainBroken) as refused:
        root.release_readiness().check(NEW)
    with pytest.raises(AuditChainBroken):
        root.evaluate_gate()(NEW, record=False)
    return refused.value.message


def test_intact_chains_verify_with_a_signed_checkpoint_per_commit(root: Container) -> None:
    decide(root, 3)
    roll_out(root)

    result = root.verify_evidence()()

    assert result.intact, result.problems
    assert {(c.chain, c.entries, c.checkpoints) for c in result.chains} == {
        ("audit", 3, 3), ("rollout:r1", 4, 4)}
    assert root.evaluate_gate().require_intact_evidence() == 7


@pytest.mark.parametrize("table", ["audit_log", "rollout_decisions", "chain_checkpoints"])
def test_update_and_delete_are_refused_while_the_triggers_stand(
        root: Container, engine: Engine, table: str) -> None:
    decide(root, 1)
    roll_out(root, decisions=1)

    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE {table} SET head_hash = 'x'" if table ==
                                   "chain_checkpoints" else f"UPDATE {table} SET outcome = 'x'")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM {table}")
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {table} CASCADE")
    assert root.verify_evidence()().intact


def test_an_edited_audit_entry_is_named_and_deploy_refuses(root: Container,
                                                           engine: Engine) -> None:
    decide(root, 4)
    drop_triggers(engine, "audit_log")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_log SET outcome = 'blocked' WHERE sequence = 2")

    result = root.verify_evidence()()

    assert not result.intact
    first = result.problems[0]
    assert (first.chain, first.sequence) == ("audit", 2)
    assert "audit entry 2" in refusal_of(root)


def test_re_hashing_the_audit_log_after_an_edit_is_caught_by_the_checkpoints(
        root: Container, engine: Engine) -> None:
    decide(root, 4)
    drop_triggers(engine, "audit_log")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_log SET outcome = 'blocked' WHERE sequence = 2")
    rehash(engine, "audit_log", "1 = 1", start=2)

    result = root.verify_evidence()()

    first = result.problems[0]
    assert (first.chain, first.sequence) == ("audit", 2)
    assert "rewritten" in first.problem
    assert "rewritten" in refusal_of(root)


def test_cutting_the_tail_of_the_audit_log_is_detected(root: Container,
                                                      engine: Engine) -> None:
    decide(root, 5)
    drop_triggers(engine, "audit_log")
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM audit_log WHERE sequence >= 4")

    result = root.verify_evidence()()

    first = result.problems[0]
    assert (first.chain, first.sequence) == ("audit", 4)
    assert "tail was cut" in first.problem
    assert "tail was cut" in refusal_of(root)


def test_an_edited_rollout_decision_is_named_and_deploy_refuses(root: Container,
                                                                engine: Engine) -> None:
    decide(root, 1)
    roll_out(root, "r1")
    roll_out(root, "r2")
    drop_triggers(engine, "rollout_decisions")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE rollout_decisions SET outcome = 'approved' "
                                   "WHERE rollout_id = 'r2' AND sequence = 3")

    result = root.verify_evidence()()

    assert [(p.chain, p.sequence) for p in result.problems] == [("rollout:r2", 3)]
    assert "rollout:r2 entry 3" in refusal_of(root)


def test_re_hashing_a_rollout_decision_log_is_caught_by_the_checkpoints(
        root: Container, engine: Engine) -> None:
    roll_out(root, "r1")
    drop_triggers(engine, "rollout_decisions")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE rollout_decisions SET actor = 'mallory' "
                                   "WHERE rollout_id = 'r1' AND sequence = 2")
    rehash(engine, "rollout_decisions", "rollout_id = 'r1'", start=2)

    first = root.verify_evidence()().problems[0]

    assert (first.chain, first.sequence) == ("rollout:r1", 2)
    assert "rewritten" in first.problem
    refusal_of(root)


def test_cutting_the_tail_of_a_rollout_decision_log_is_detected(root: Container,
                                                                engine: Engine) -> None:
    roll_out(root, "r1", decisions=5)
    drop_triggers(engine, "rollout_decisions")
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM rollout_decisions "
                                   "WHERE rollout_id = 'r1' AND sequence = 5")

    first = root.verify_evidence()().problems[0]

    assert (first.chain, first.sequence) == ("rollout:r1", 5)
    assert "tail was cut" in first.problem
    refusal_of(root)


def test_a_forged_checkpoint_does_not_verify(root: Container, engine: Engine) -> None:
    decide(root, 2)
    drop_triggers(engine, "chain_checkpoints")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE chain_checkpoints SET signed_at = signed_at + INTERVAL '1 hour'"
            if engine.dialect.name == "postgresql" else
            "UPDATE chain_checkpoints SET signed_at = '2020-01-01 00:00:00.000000'")

    first = root.verify_evidence()().problems[0]

    assert first.chain == "audit"
    assert "does not verify" in first.problem
    refusal_of(root)


def test_a_scratch_database_gets_the_same_triggers(database_url: str, tmp_path: Path) -> None:
    signer = Ed25519EvidenceSigner.load_or_create(tmp_path / "keys" / "signing.pem")
    factory = SqlAlchemyUnitOfWorkFactory.for_url(database_url, create_tables=True,
                                                  signer=signer)
    SqlAlchemyUnitOfWorkFactory.for_url(database_url, create_tables=True)  # idempotent
    with factory() as work:
        work.audit.append(next_entry(None, NOW, "aeb@1", "trace-gate", "passed", "ci", {}))
        work.commit()
    roll_out(factory, decisions=2)
    from edgedeploy.adapters.sql import create_engine_for

    engine = create_engine_for(database_url)
    try:
        for table in ("audit_log", "rollout_decisions", "chain_checkpoints"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.exec_driver_sql(f"DELETE FROM {table}")
    finally:
        engine.dispose()
