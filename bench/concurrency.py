"""The concurrency probe: can a pull ever miss a change, whatever the transaction timing?

Writer threads act as the same user and write in transactions held open for a
random 0-200 ms (split before and after the write, so xids are taken early and
committed late, out of order): inserts, updates and hard deletes of their own
rows. A puller calls ``sync_pull`` every 50 ms from its last cursor and applies
what it gets to a local copy, as a client does. When the writers stop it pulls
once more; then its copy must equal the server's rows.

Reported: rows written (committed row writes), delivered (row versions and
deletions received), missed (server rows the client never got), stale (client
rows whose version differs from the server's, or that the server deleted), and
duplicated (row versions delivered again, allowed by the protocol). Target:
0 missed and 0 stale; anything else is a correctness bug and fails the run.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.harness import (
    COLLECTION,
    Bench,
    BenchDatabase,
    Section,
    log,
    pull_all,
    user_id,
)
from supabase_sync import rpc

TITLE = "concurrency probe"
PULL_INTERVAL = 0.05
MAX_HOLD = 0.2
FULL_WRITERS, FULL_SECONDS = 4, 20.0
QUICK_WRITERS, QUICK_SECONDS = 2, 3.0


@dataclass
class ClientCopy:
    """What the pulling client holds, and how it got it."""

    rows: dict[str, str] = field(default_factory=dict)  # id -> server_version
    seen: set[tuple[str, str]] = field(default_factory=set)
    delivered: int = 0
    duplicated: int = 0
    pulls: int = 0

    def apply(self, page: dict[str, Any]) -> None:
        """Apply one pull response as a client does: upsert rows, drop deleted ids."""
        changes = page.get("changes", {}).get(COLLECTION, {})
        for row in [*changes.get("created", []), *changes.get("updated", [])]:
            key = (str(row["id"]), str(row["server_version"]))
            self.delivered += 1
            if key in self.seen:
                self.duplicated += 1
            self.seen.add(key)
            self.rows[key[0]] = key[1]
        for deleted in changes.get("deleted", []):
            self.delivered += 1
            row_id = str(deleted["id"] if isinstance(deleted, dict) else deleted)
            self.rows.pop(row_id, None)


@dataclass
class Writers:
    """Counts shared by the writer threads."""

    written: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: list[str] = field(default_factory=list)

    def add(self, rows: int) -> None:
        """Count ``rows`` committed row writes."""
        with self.lock:
            self.written += rows


def writer(database: BenchDatabase, user: uuid.UUID, seed: int, stop: threading.Event, counts: Writers) -> None:
    """Write as ``user`` in transactions held open 0-200 ms until ``stop`` is set."""
    rng = random.Random(seed)
    own: list[str] = []
    try:
        with database.connect() as conn:
            while not stop.is_set():
                hold = rng.uniform(0, MAX_HOLD)
                before = rng.uniform(0, hold)
                with rpc.as_user(conn, user_id=str(user)) as cur:
                    time.sleep(before)
                    written, delete = _write(cur, rng, own, user)
                    time.sleep(hold - before)
                counts.add(written)
                if delete:
                    own.remove(delete)
    except Exception as error:  # noqa: BLE001 - surfaced in the report
        counts.errors.append(f"{type(error).__name__}: {error}")


def _write(cur: Any, rng: random.Random, own: list[str], user: uuid.UUID) -> tuple[int, str | None]:
    """One random write: insert 1-3 rows (60%), update one (30%) or delete one (10%) of this writer's rows."""
    choice = rng.random()
    if own and choice < 0.1:
        victim = rng.choice(own)
        cur.execute("delete from public.bench_task where id = %s", [victim])
        return cur.rowcount, victim
    if own and choice < 0.4:
        cur.execute(
            "update public.bench_task set priority = priority + 1, updated_at = now() where id = %s",
            [rng.choice(own)],
        )
        return cur.rowcount, None
    ids = [str(uuid.uuid4()) for _ in range(rng.randint(1, 3))]
    cur.execute(
        "insert into public.bench_task (id, user_id, title) select id, %s, 'probe' from unnest(%s::uuid[]) as id",
        [user, ids],
    )
    own.extend(ids)
    return len(ids), None


def puller(database: BenchDatabase, user: uuid.UUID, stop: threading.Event, copy: ClientCopy, errors: list[str]) -> None:
    """Pull every 50 ms from the last cursor until ``stop`` is set."""
    cursor: int | None = None
    try:
        with database.connect() as conn:
            while not stop.is_set():
                pages, cursor = pull_all(conn, user, cursor)
                copy.pulls += len(pages)
                for page in pages:
                    copy.apply(page)
                time.sleep(PULL_INTERVAL)
            # Writers are done and committed: one more pull must bring the client up to date.
            pages, cursor = pull_all(conn, user, cursor)
            copy.pulls += len(pages)
            for page in pages:
                copy.apply(page)
    except Exception as error:  # noqa: BLE001 - surfaced in the report
        errors.append(f"{type(error).__name__}: {error}")


def run(bench: Bench, section: Section) -> None:
    """Run writers and a puller for a while, then compare the client's copy with the server."""
    quick = bench.settings.quick
    writers_count, seconds = (QUICK_WRITERS, QUICK_SECONDS) if quick else (FULL_WRITERS, FULL_SECONDS)
    user = user_id(4000)
    database = bench.new_database("bench_concurrency")
    stop_writers, stop_puller = threading.Event(), threading.Event()
    counts, copy, pull_errors = Writers(), ClientCopy(), []
    threads = [
        threading.Thread(target=writer, args=(database, user, seed, stop_writers, counts))
        for seed in range(writers_count)
    ]
    pulling = threading.Thread(target=puller, args=(database, user, stop_puller, copy, pull_errors))
    log(f"probe: {writers_count} writers, puller every {PULL_INTERVAL * 1000:.0f} ms, for {seconds:.0f} s")
    for thread in [*threads, pulling]:
        thread.start()
    time.sleep(seconds)
    stop_writers.set()
    for thread in threads:
        thread.join()
    stop_puller.set()
    pulling.join()
    for error in counts.errors + pull_errors:
        section.failed.append(error)
    with database.connect() as owner:
        server = {
            str(row_id): str(version)
            for row_id, version in owner.execute(
                "select id, server_version from public.bench_task where user_id = %s", [user]
            )
        }
    missed = [row_id for row_id in server if row_id not in copy.rows]
    stale = [row_id for row_id, version in copy.rows.items() if server.get(row_id) != version]
    section.count_headers = [
        "writers",
        "seconds",
        "pulls",
        "rows written",
        "delivered",
        "missed",
        "stale",
        "duplicated",
        "target",
        "met",
    ]
    met = not missed and not stale
    section.count_rows.append(
        [
            str(writers_count),
            f"{seconds:.0f}",
            str(copy.pulls),
            str(counts.written),
            str(copy.delivered),
            str(len(missed)),
            str(len(stale)),
            str(copy.duplicated),
            "0 missed, 0 stale",
            "yes" if met else "**NO**",
        ]
    )
    if not met:
        section.failed.append(
            f"{len(missed)} rows missed and {len(stale)} stale: sync_pull lost changes "
            f"(first ids: {(missed + stale)[:3]})"
        )
