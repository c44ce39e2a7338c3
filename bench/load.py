"""Small syncs under load: pgbench with 16 pushers and 32 pullers, beside their references.

Each pgbench client acts as its own user in a PostgREST-like transaction
(``bench/sql/pgbench/request.sql``: role ``authenticated``, JWT claims, search
path), then runs one statement and commits:

- pushers: ``sync_push`` of 10 new rows with a cursor and a device id, beside a
  bare ``insert ... select from jsonb_populate_recordset`` of 10 rows built the
  same way (``push.sql`` / ``insert.sql``);
- pullers: ``sync_pull`` from a cursor after which exactly 10 of the user's rows
  changed, beside ``select jsonb_agg(t) ... where user_id = ... and id = any(...)``
  for those rows (``pull.sql`` / ``agg.sql``).

Each side runs for the same fixed time (10 s; quick: 2 s) with the same number
of clients. The report's "seconds" are per transaction at that concurrency
(1 / tps), so the ratio is the reference's throughput over ours: the targets of
issue 13 (16 pushers >= 0.4x, 32 pullers >= 0.5x the reference throughput) are
ratios <= 2.5 and <= 2.0. Deadlocks (pg_stat_database) and failed transactions
(pgbench's count, serialization failures included) must be 0.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg

from bench.harness import COLLECTION, SQL_DIR, Bench, Result, Section, analyze, load_rows, log, pull_all, user_id
from supabase_sync import rpc

TITLE = "load (pgbench)"
PUSHERS = 16
PULLERS = 32
FULL_SECONDS = 10
QUICK_SECONDS = 2
TABLE_ROWS_PER_USER = 1_000
QUICK_TABLE_ROWS_PER_USER = 100
CHANGED_ROWS = 10
_CLIENTS = """
create schema bench_load;
create table bench_load.client (
    number integer primary key,
    user_id uuid not null,
    claims text not null,
    device uuid not null,
    cursor bigint,
    changed uuid[]
);
grant usage on schema bench_load to authenticated;
grant select on bench_load.client to authenticated;
"""


def pgbench_binary() -> str:
    """pgbench from PATH, else beside the PostgreSQL server binaries the local backend uses."""
    found = shutil.which("pgbench")
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    raise RuntimeError("pgbench not found: install postgresql-client (Debian: postgresql-15 ships it)")


def _script(directory: Path, name: str) -> Path:
    """request.sql + ``name``.sql as one pgbench script (every transaction is one request)."""
    text = (SQL_DIR / "pgbench" / "request.sql").read_text() + (SQL_DIR / "pgbench" / f"{name}.sql").read_text()
    path = directory / f"{name}.pgbench"
    path.write_text(text, encoding="utf-8")
    return path


def run_pgbench(dsn: str, script: Path, *, clients: int, seconds: int) -> dict[str, float]:
    """Run pgbench; return tps, mean latency (ms) and failed transactions."""
    completed = subprocess.run(
        [pgbench_binary(), "--no-vacuum", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds),
         "-f", str(script), "--failures-detailed", dsn],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"pgbench failed ({completed.returncode}): {completed.stderr.strip()[-500:]}")
    out = completed.stdout
    tps = re.search(r"tps = ([0-9.]+)", out)
    latency = re.search(r"latency average = ([0-9.]+) ms", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    if not tps:
        raise RuntimeError(f"pgbench printed no tps: {out[-500:]}")
    return {
        "tps": float(tps.group(1)),
        "latency_ms": float(latency.group(1)) if latency else 0.0,
        "failed": float(failed.group(1)) if failed else 0.0,
    }


def _deadlocks(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("select deadlocks from pg_stat_database where datname = current_database()").fetchone()
    return int(row[0]) if row else 0


def _prepare_clients(owner: psycopg.Connection[Any], api: psycopg.Connection[Any], clients: int) -> None:
    """One user per client: a cursor from a real pull, then 10 of its rows changed after it."""
    import json

    for number in range(1, clients + 1):
        me = user_id(7000 + number)
        _, cursor = pull_all(api, me)
        changed = [row[0] for row in owner.execute(
            "select id from public.bench_task where user_id = %s order by id limit %s", [me, CHANGED_ROWS]
        )]
        with rpc.as_user(api, user_id=str(me)) as cur:
            cur.execute("update public.bench_task set priority = priority + 1 where id = any(%s)", [changed])
        owner.execute(
            "insert into bench_load.client (number, user_id, claims, device, cursor, changed) "
            "values (%s, %s, %s, %s, %s, %s)",
            [number, me, json.dumps({"sub": str(me), "role": "authenticated"}), uuid.uuid4(), cursor, changed],
        )


def _check_a_pull_returns_the_changes(api: psycopg.Connection[Any]) -> None:
    """What pgbench times must be the real thing: client 1's pull returns its 10 changed rows."""
    me = user_id(7001)
    row = api.execute("select cursor, changed from bench_load.client where number = 1").fetchone()
    assert row is not None
    pages, _ = pull_all(api, me, row[0])
    pulled = {r["id"] for page in pages for kind in ("created", "updated")
              for r in page.get("changes", {}).get(COLLECTION, {}).get(kind, [])}
    missing = {str(changed) for changed in row[1]} - pulled
    if missing:
        raise AssertionError(f"sync_pull missed {len(missing)} of the {CHANGED_ROWS} changed rows")


def run(bench: Bench, section: Section) -> None:
    """pgbench the push and the pull beside their references, same clients, same time."""
    quick = bench.settings.quick
    seconds = QUICK_SECONDS if quick else FULL_SECONDS
    per_user = QUICK_TABLE_ROWS_PER_USER if quick else TABLE_ROWS_PER_USER
    users = [user_id(7000 + number) for number in range(1, PULLERS + 1)]
    database = bench.new_database("bench_load")
    with database.connect() as owner, database.connect() as api, tempfile.TemporaryDirectory() as tmp:
        load_rows(owner, users=users, rows=per_user * len(users), transactions=10)
        analyze(owner)
        owner.execute(_CLIENTS)
        _prepare_clients(owner, api, PULLERS)
        _check_a_pull_returns_the_changes(api)
        directory = Path(tmp)
        figures: dict[str, dict[str, float]] = {}
        deadlocks_before = _deadlocks(owner)
        for name, clients in (("pull", PULLERS), ("agg", PULLERS), ("push", PUSHERS), ("insert", PUSHERS)):
            log(f"pgbench {name}: {clients} clients, {seconds} s")
            figures[name] = run_pgbench(database.owner_dsn, _script(directory, name), clients=clients, seconds=seconds)
        deadlocks = _deadlocks(owner) - deadlocks_before
    for ours, theirs, clients, max_ratio, what in (
        ("push", "insert", PUSHERS, 2.5, "pushers (10 new rows)"),
        ("pull", "agg", PULLERS, 2.0, "pullers (10 changed rows)"),
    ):
        section.results.append(
            Result(
                benchmark=TITLE,
                case=f"{clients} {what}",
                seconds=1.0 / figures[ours]["tps"],
                reference_seconds=1.0 / figures[theirs]["tps"],
                max_ratio=max_ratio,
                note=(
                    f"{figures[ours]['tps']:.0f} vs {figures[theirs]['tps']:.0f} tps "
                    f"({figures[ours]['tps'] / figures[theirs]['tps']:.2f}x throughput), "
                    f"latency {figures[ours]['latency_ms']:.1f} vs {figures[theirs]['latency_ms']:.1f} ms; "
                    f"seconds = 1/tps"
                ),
            )
        )
    failed = int(sum(figure["failed"] for figure in figures.values()))
    section.count_headers = ["runs", "seconds each", "deadlocks", "failed transactions", "target", "met"]
    section.count_rows = [[
        str(len(figures)), str(seconds), str(deadlocks), str(failed), "0 deadlocks, 0 failures",
        "yes" if deadlocks == 0 and failed == 0 else "**NO**",
    ]]
    if deadlocks or failed:
        section.failed.append(f"{deadlocks} deadlocks and {failed} failed transactions under pgbench")
