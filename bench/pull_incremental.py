"""Incremental pull of 10 changed rows for one user while the table grows.

The table grows to 10k, 100k and 1M rows spread over 100 users (each user's
rows come from many transactions). At each size, each run changes 10 of the
user's rows in one transaction, as the user, then times ``sync_pull`` from the
cursor taken before the change, beside the hand-written indexed reference
``select jsonb_agg(t) from t where user_id = $1 and id = any($2)`` for the same
10 rows. Target: at most 3x the reference, and flat as the table grows.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import psycopg

from bench.harness import (
    COLLECTION,
    WARM_UP_CALLS,
    Bench,
    Result,
    Section,
    analyze,
    load_rows,
    log,
    median,
    page_rows,
    pull_all,
    reference,
    sync_pull,
    timed,
    user_id,
)
from supabase_sync import rpc

TITLE = "incremental pull"
CHANGED_ROWS = 10
FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
FULL_USERS = 100
QUICK_USERS = 10
#: Rows per load transaction: a user's rows come from many transactions.
ROWS_PER_TRANSACTION = 50_000
MIN_TRANSACTIONS = 10
#: "Flat": the pull at the largest size within this factor of the smallest.
MAX_GROWTH = 2.0
#: The user's edit of the rows a run pulls (one transaction, as the user).
CHANGE_ROWS = "update public.bench_task set priority = priority + 1, updated_at = now() where id = any(%s)"


def run(bench: Bench, section: Section) -> None:
    """Grow the table size by size; at each, time pull vs reference over ``bench.runs`` runs."""
    sizes = QUICK_SIZES if bench.settings.quick else FULL_SIZES
    users = [user_id(number) for number in range(QUICK_USERS if bench.settings.quick else FULL_USERS)]
    me = users[0]
    database = bench.new_database("bench_pull_incremental")
    rng = random.Random(1)
    pull_medians: dict[int, float] = {}
    with database.connect() as owner, database.connect() as api:
        loaded = 0
        cursor: int | None = None
        for size in sizes:
            batch = size - loaded
            transactions = max(MIN_TRANSACTIONS, batch // ROWS_PER_TRANSACTION)
            seconds = load_rows(owner, users=users, rows=batch, transactions=transactions)
            loaded = size
            log(f"loaded {batch} rows in {transactions} transactions in {seconds:.1f} s (table: {size} rows)")
            section.notes.append(
                f"load to {size:,} rows ({len(users)} users): +{batch:,} rows in {transactions} "
                f"transactions, {seconds:.1f} s"
            )
            analyze(owner)
            _, cursor = pull_all(api, me, cursor)  # catch up: the next pulls see only the 10 changes
            mine = [row[0] for row in owner.execute("select id from public.bench_task where user_id = %s", [me])]
            pulls: list[float] = []
            references: list[float] = []
            for attempt in range(WARM_UP_CALLS + bench.runs):  # the first ones warm caches and plans
                changed = rng.sample(mine, CHANGED_ROWS)
                with rpc.as_user(api, user_id=str(me)) as cur:
                    cur.execute(CHANGE_ROWS, [changed])
                pull_seconds, (pages, next_cursor) = timed(pull_all, api, me, cursor)
                reference_seconds, rows = timed(
                    reference, api, me, "reference_incremental", {"user_id": me, "ids": changed}, read_only=True
                )
                pulled = {row["id"] for page in pages for row in page_rows(page)}
                expected = {str(row_id) for row_id in changed}
                if not expected <= pulled:
                    raise AssertionError(f"sync_pull missed {len(expected - pulled)} of the {CHANGED_ROWS} changed rows")
                if len(rows or []) != CHANGED_ROWS:
                    raise AssertionError(f"the reference returned {len(rows or [])} rows, not {CHANGED_ROWS}")
                cursor = next_cursor
                if attempt >= WARM_UP_CALLS:
                    pulls.append(pull_seconds)
                    references.append(reference_seconds)
            bench.profile(
                f"incremental pull, {size} rows", database, _change_and_pull, me, mine, cursor, rng
            )
            pull_medians[size] = median(pulls)
            section.results.append(
                Result(
                    benchmark=TITLE,
                    case=f"{CHANGED_ROWS} changed of {size:,} rows",
                    seconds=pull_medians[size],
                    reference_seconds=median(references),
                    max_ratio=3.0,
                    note=f"{len(pulled)} rows pulled",
                )
            )
    smallest, largest = sizes[0], sizes[-1]
    section.results.append(
        Result(
            benchmark=f"{TITLE} growth",
            case=f"{largest:,} vs {smallest:,} rows",
            seconds=pull_medians[largest],
            reference_seconds=pull_medians[smallest],
            max_ratio=MAX_GROWTH,
            note=f"reference = the pull at {smallest:,} rows (flat = within {MAX_GROWTH:g}x)",
        )
    )


def _change_and_pull(conn: psycopg.Connection[Any], me: uuid.UUID, mine: list[Any], cursor: int | None, rng: random.Random) -> None:
    """One profiled round: change 10 rows, pull them, run the reference for them."""
    changed = rng.sample(mine, CHANGED_ROWS)
    with rpc.as_user(conn, user_id=str(me)) as cur:
        cur.execute(CHANGE_ROWS, [changed])
    sync_pull(conn, me, last_pulled_at=cursor, collections=[COLLECTION])
    reference(conn, me, "reference_incremental", {"user_id": me, "ids": changed}, read_only=True)
