"""Throughput of the relational audit log and the evidence store, against raw baselines.

Each figure is measured in the same run as its baseline, on the same files:

* audit append: one decision per transaction through ``SqlAlchemyUnitOfWork`` (lock, read the
  newest entry, hash, insert, commit), against a raw driver insert of the same row, one per
  transaction, on an identically configured database (what the chain and the layers cost);
* audit read and verify: ``entries()`` + ``verify_chain`` over the whole log, against a raw
  driver ``SELECT`` of the baseline rows (what conversion and re-hashing cost);
* evidence put: ``FileEvidenceStore.put`` (hash, temp file, fsync, rename, folder fsync),
  against ``Path.write_bytes`` without fsync (what durability and atomicity cost);
* evidence get: ``get`` (read and re-hash), against ``Path.read_bytes``.

Run: ``.venv/bin/python benchmarks/bench_persistence.py [--appends N] [--blobs N]
[--blob-kib K] [--postgres URL] [--write docs/benchmarks/persistence.md]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from edgedeploy.adapters.files import FileEvidenceStore
from edgedeploy.adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_to_head,
)
from edgedeploy.domain.audit import next_entry, verify_chain


@dataclass(frozen=True)
class Figure:
    what: str
    rate: float
    unit: str
    baseline: str
    baseline_rate: float

    @property
    def ratio(self) -> float:
        return self.rate / self.baseline_rate if self.baseline_rate else float("nan")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def append_through_unit_of_work(url: str, appends: int) -> float:
    engine = create_engine_for(url)
    sessions = create_session_factory(engine)

    def run() -> None:
        for number in range(appends):
            with SqlAlchemyUnitOfWork(sessions) as uow:
                entry = next_entry(uow.audit.last(), datetime.now(UTC), f"aeb@{number}",
                                   "gate", "passed", "bench", {"n": number, "asil": "C"})
                uow.audit.append(entry)
                uow.commit()

    try:
        return appends / timed(run)
    finally:
        engine.dispose()


def read_and_verify(url: str, expected: int) -> float:
    engine = create_engine_for(url)
    counted = 0

    def run() -> None:
        nonlocal counted
        with SqlAlchemyUnitOfWork(create_session_factory(engine)) as uow:
            counted = verify_chain(uow.audit.entries())

    try:
        seconds = timed(run)
    finally:
        engine.dispose()
    assert counted == expected, (counted, expected)
    return counted / seconds


ROW_SQL = ("INSERT INTO baseline_log (sequence, recorded_at, subject, action, outcome, actor, "
           "details, previous_hash, entry_hash) VALUES ({})")
ROW_DDL = ("CREATE TABLE baseline_log (sequence INTEGER PRIMARY KEY, recorded_at TEXT, "
           "subject TEXT, action TEXT, outcome TEXT, actor TEXT, details TEXT, "
           "previous_hash TEXT, entry_hash TEXT UNIQUE)")


def row(number: int) -> tuple[object, ...]:
    digest = "sha256:" + hashlib.sha256(str(number).encode()).hexdigest()
    return (number + 1, datetime.now(UTC).isoformat(), f"aeb@{number}", "gate", "passed",
            "bench", json.dumps({"n": number, "asil": "C"}), digest, digest + str(number))


def raw_sqlite(path: Path, appends: int) -> tuple[float, float]:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(ROW_DDL)
    statement = ROW_SQL.format(", ".join("?" * 9))

    def run() -> None:
        for number in range(appends):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(statement, row(number))
            connection.execute("COMMIT")

    def read() -> None:
        connection.execute("SELECT * FROM baseline_log ORDER BY sequence").fetchall()

    try:
        return appends / timed(run), appends / timed(read)
    finally:
        connection.close()


def raw_postgres(url: str, appends: int) -> tuple[float, float]:
    import psycopg

    parsed = make_url(url)
    arguments = parsed.translate_connect_args(username="user", database="dbname")
    arguments.update(parsed.query)
    with psycopg.connect(**arguments) as connection:
        connection.execute(ROW_DDL.replace("recorded_at TEXT", "recorded_at TIMESTAMPTZ")
                           .replace("details TEXT", "details JSON"))
        connection.commit()
        statement = ROW_SQL.format(", ".join(["%s"] * 9))

        def run() -> None:
            for number in range(appends):
                connection.execute(statement, row(number))
                connection.commit()

        def read() -> None:
            connection.execute("SELECT * FROM baseline_log ORDER BY sequence").fetchall()

        return appends / timed(run), appends / timed(read)


def evidence_round(folder: Path, payloads: list[bytes]) -> dict[str, float]:
    """Seconds for plain writes, ``put``, plain reads and ``get`` of ``payloads``."""
    plain = folder / "plain"
    plain.mkdir(parents=True)
    files = [plain / f"{index}.bin" for index in range(len(payloads))]
    store = FileEvidenceStore(folder / "store")
    digests: list[str] = []

    def write_plain() -> None:
        for path, payload in zip(files, payloads, strict=True):
            path.write_bytes(payload)

    return {
        "write": timed(write_plain),
        "put": timed(lambda: digests.extend(store.put(payload) for payload in payloads)),
        "read": timed(lambda: [path.read_bytes() for path in files]),
        "get": timed(lambda: [store.get(digest) for digest in digests]),
    }


def evidence_figures(root: Path, blobs: int, blob_kib: int, rounds: int = 3) -> list[Figure]:
    """Best of ``rounds`` rounds, each on fresh folders, plain writes first in each."""
    payloads = [os.urandom(blob_kib * 1024) for _ in range(blobs)]
    megabytes = blobs * blob_kib / 1024
    fastest: dict[str, float] = {}
    for number in range(rounds):
        for name, seconds in evidence_round(root / f"round-{number}", payloads).items():
            fastest[name] = min(fastest.get(name, seconds), seconds)
    return [
        Figure(f"evidence put ({blob_kib} KiB blobs)", megabytes / fastest["put"], "MiB/s",
               "Path.write_bytes, no fsync", megabytes / fastest["write"]),
        Figure(f"evidence get + verify ({blob_kib} KiB blobs)", megabytes / fastest["get"],
               "MiB/s", "Path.read_bytes", megabytes / fastest["read"]),
    ]


def postgres_schema(admin_url: str) -> tuple[str, Callable[[], None]]:
    admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    schema = f"edgedeploy_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(admin_url).set(drivername="postgresql+psycopg").update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, drop


def audit_figures(label: str, url: str, appends: int,
                  baseline: Callable[[], tuple[float, float]], driver: str) -> list[Figure]:
    upgrade_to_head(url)
    raw_insert, raw_select = baseline()
    chained = append_through_unit_of_work(url, appends)
    verified = read_and_verify(url, appends)
    return [
        Figure(f"audit append, {label}", chained, "entries/s",
               f"raw {driver} insert, one transaction each", raw_insert),
        Figure(f"audit read + verify, {label}", verified, "entries/s",
               f"raw {driver} select", raw_select),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=500)
    parser.add_argument("--blobs", type=int, default=64)
    parser.add_argument("--blob-kib", type=int, default=1024)
    parser.add_argument("--postgres", default=os.environ.get("EDGEDEPLOY_TEST_POSTGRES_URL"))
    parser.add_argument("--write", type=Path, help="also write the figures as Markdown here")
    arguments = parser.parse_args()

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        sqlite_url = f"sqlite:///{root / 'edgedeploy.db'}"
        figures += audit_figures(
            "SQLite (WAL, synchronous=FULL)", sqlite_url, arguments.appends,
            lambda: raw_sqlite(root / "baseline.db", arguments.appends), "sqlite3")
        if arguments.postgres:
            url, drop = postgres_schema(arguments.postgres)
            try:
                figures += audit_figures(
                    "PostgreSQL", url, arguments.appends,
                    lambda: raw_postgres(url, arguments.appends), "psycopg")
            finally:
                drop()
        figures += evidence_figures(root, arguments.blobs, arguments.blob_kib)

    from_environment = arguments.postgres and "--postgres" not in sys.argv
    command = "EDGEDEPLOY_TEST_POSTGRES_URL=<url> " if from_environment else ""
    command += ".venv/bin/python benchmarks/bench_persistence.py " + " ".join(sys.argv[1:])
    lines = [
        "## Persistence: audit log and evidence store",
        "",
        f"Command: `{command.strip()}`  ",
        f"Machine: {os.cpu_count()} CPU cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        f"{arguments.appends} audit appends, {arguments.blobs} blobs of "
        f"{arguments.blob_kib} KiB.",
        "",
        "| measurement | rate | baseline (same run) | baseline rate | ratio |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    lines += [f"| {f.what} | {f.rate:,.0f} {f.unit} | {f.baseline} | "
              f"{f.baseline_rate:,.0f} {f.unit} | {f.ratio:.2f}x |" for f in figures]
    lines += [
        "",
        "Reading the ratios: an audit append is one transaction of its own (serialising lock, "
        "read of the newest entry, hash check, insert under a savepoint, durable commit; on "
        "PostgreSQL also a pool pre-ping), against one bare insert per transaction on the same "
        "settings. Where flushing to disk is slow, both are bound by the flush and the ratio "
        "nears 1; where it is fast, the extra round trips and Python work show. Reading "
        "converts every row and re-computes every hash. Evidence writes add hashing and an "
        "fsync of the file and its folder (no partial or unnamed file after a crash); reads "
        "re-hash every byte. Evidence figures are the best of 3 rounds on fresh folders.",
    ]
    report = "\n".join(lines) + "\n"
    if arguments.write:
        arguments.write.parent.mkdir(parents=True, exist_ok=True)
        arguments.write.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
