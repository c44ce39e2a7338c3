"""Small syncs: a 10-row push and a 10-row incremental pull, statement by statement.

Most syncs are small, so the protocol's fixed cost per call matters more than
its cost per row. This benchmark times, at the statement level, the two small
calls beside the SQL they wrap, on a big table (1M rows over 100 users; quick:
20k), and then again after 5,000 unrelated tables (quick: 300) were created in
the same database, so that any per-call catalog work shows:

- push: ``sync_push`` of 10 new rows with a cursor (conflict checks run), a
  ``push_id`` and a ``client_id``, beside a bare ``insert ... select from
  jsonb_populate_recordset(...)`` of 10 other rows of the same shape;
- pull: ``sync_pull`` of the 10 rows the user changed since its cursor, beside
  ``select jsonb_agg(t) ... where user_id = $1 and id = any($2)``.

"Statement level" is the executor time PostgreSQL reports for the statement
(``explain (analyze, timing off, summary on)``'s Execution Time), run as the
user in a PostgREST-like transaction (role ``authenticated``, JWT claims): the
client round trip and the planning of the outer statement (which PostgREST's
prepared statements avoid) count on neither side; everything the sync
function does inside (its own planning included) counts. Targets (issue 13):
each call within 2x its reference; with the unrelated tables, each call within
1.2x of its own figure without them.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench.harness import (
    COLLECTION,
    WARM_UP_CALLS,
    Bench,
    Result,
    Section,
    analyze,
    bench_sql,
    load_rows,
    log,
    median,
    pull_all,
    user_id,
)
from bench.push import new_rows, push_changes
from supabase_sync import rpc

TITLE = "small calls"
ROWS = 10
FULL_TABLE_ROWS = 1_000_000
QUICK_TABLE_ROWS = 20_000
USERS = 100
FULL_UNRELATED_TABLES = 5_000
QUICK_UNRELATED_TABLES = 300
MAX_RATIO = 2.0
MAX_CATALOG_GROWTH = 1.2
#: Rows per load transaction, so a user's rows come from many transactions.
ROWS_PER_TRANSACTION = 50_000

PUSH_CALL = (
    "select public.sync_push(changes => %(changes)s, last_pulled_at => %(cursor)s, "
    "push_id => %(push_id)s, client_id => %(client_id)s)"
)
_PULL = (
    "select public.sync_pull(last_pulled_at => %(cursor)s, collections => %(collections)s, "
    "client_id => %(client_id)s)"
)
_CHANGE_ROWS = "update public.bench_task set priority = priority + 1, updated_at = now() where id = any(%s)"


def statement_seconds(conn: psycopg.Connection[Any], me: uuid.UUID, statement: str, params: dict[str, Any]) -> tuple[float, Any]:
    """Run ``statement`` as ``me`` under EXPLAIN ANALYZE; return (executor seconds, explain output).

    The statement really runs (an insert inserts, a push applies): EXPLAIN
    ANALYZE executes it, in the same PostgREST-like transaction as an RPC.
    """
    with rpc.as_user(conn, user_id=str(me)) as cur:
        cur.execute("explain (analyze, timing off, summary on, format json) " + statement, params)
        row = cur.fetchone()
    plan = row[0] if row else None
    document = plan if isinstance(plan, list) else json.loads(plan)
    return float(document[0]["Execution Time"]) / 1000.0, document


def _measure(bench: Bench, api: psycopg.Connection[Any], me: uuid.UUID, mine: list[Any], rng: random.Random) -> dict[str, float]:
    """Medians (seconds) of push, insert, pull and jsonb_agg, each run interleaved with the others."""
    device = uuid.uuid4()
    _, cursor = pull_all(api, me)
    samples: dict[str, list[float]] = {"push": [], "insert": [], "pull": [], "agg": []}
    for attempt in range(WARM_UP_CALLS + bench.runs):
        push_seconds, _ = statement_seconds(
            api,
            me,
            PUSH_CALL,
            {
                "changes": Jsonb(push_changes("created", new_rows(me, ROWS, label="small push"))),
                "cursor": cursor,
                "push_id": uuid.uuid4(),
                "client_id": device,
            },
        )
        insert_seconds, _ = statement_seconds(
            api, me, bench_sql("reference_insert"), {"rows": Jsonb(new_rows(me, ROWS, label="small insert"))}
        )
        # The user's edit of 10 rows, then the pull of exactly those (from the cursor taken before).
        _, cursor = pull_all(api, me, cursor)
        changed = rng.sample(mine, ROWS)
        with rpc.as_user(api, user_id=str(me)) as cur:
            cur.execute(_CHANGE_ROWS, [changed])
        pull_seconds, _ = statement_seconds(
            api, me, _PULL, {"cursor": cursor, "collections": [COLLECTION], "client_id": device}
        )
        agg_seconds, _ = statement_seconds(
            api, me, bench_sql("reference_incremental"), {"user_id": me, "ids": changed}
        )
        if attempt >= WARM_UP_CALLS:
            samples["push"].append(push_seconds)
            samples["insert"].append(insert_seconds)
            samples["pull"].append(pull_seconds)
            samples["agg"].append(agg_seconds)
    return {name: median(values) for name, values in samples.items()}


def _check_pull_returns_the_changes(api: psycopg.Connection[Any], me: uuid.UUID, mine: list[Any], rng: random.Random) -> None:
    """The timed pull must be the real thing: it returns the 10 changed rows."""
    _, cursor = pull_all(api, me)
    changed = rng.sample(mine, ROWS)
    with rpc.as_user(api, user_id=str(me)) as cur:
        cur.execute(_CHANGE_ROWS, [changed])
    pages, _ = pull_all(api, me, cursor)
    pulled = {
        row["id"]
        for page in pages
        for kind in ("created", "updated")
        for row in page.get("changes", {}).get(COLLECTION, {}).get(kind, [])
    }
    missing = {str(row_id) for row_id in changed} - pulled
    if missing:
        raise AssertionError(f"sync_pull missed {len(missing)} of the {ROWS} changed rows")


def create_unrelated_tables(owner: psycopg.Connection[Any], count: int) -> None:
    """``count`` ordinary tables (a primary key, an index, RLS on) that nothing syncs."""
    batch = 250
    for first in range(0, count, batch):
        with owner.transaction():
            for number in range(first, min(count, first + batch)):
                name = f"unrelated_{number:05d}"
                owner.execute(
                    psycopg.sql.SQL(
                        "create table public.{table} (id uuid primary key, user_id uuid not null, body text);"
                        "create index on public.{table} (user_id);"
                        "alter table public.{table} enable row level security"
                    ).format(table=psycopg.sql.Identifier(name))
                )


def run(bench: Bench, section: Section) -> None:
    """Measure the small calls on a big table, then again with thousands of unrelated tables."""
    quick = bench.settings.quick
    table_rows = QUICK_TABLE_ROWS if quick else FULL_TABLE_ROWS
    unrelated = QUICK_UNRELATED_TABLES if quick else FULL_UNRELATED_TABLES
    users = [user_id(5000 + number) for number in range(USERS)]
    me = users[0]
    rng = random.Random(13)
    database = bench.new_database("bench_small_calls")
    with database.connect() as owner, database.connect() as api:
        transactions = max(10, table_rows // ROWS_PER_TRANSACTION)
        seconds = load_rows(owner, users=users, rows=table_rows, transactions=transactions)
        log(f"loaded {table_rows} rows in {transactions} transactions in {seconds:.1f} s")
        analyze(owner)
        mine = [row[0] for row in owner.execute("select id from public.bench_task where user_id = %s", [me])]
        _check_pull_returns_the_changes(api, me, mine, rng)
        before = _measure(bench, api, me, mine, rng)
        log(f"creating {unrelated} unrelated tables")
        create_unrelated_tables(owner, unrelated)
        owner.execute("analyze")
    # New sessions: with a big catalog, what a call reads about tables is read afresh.
    with database.connect() as api:
        after = _measure(bench, api, me, mine, rng)
    size = f"{table_rows:,}-row table"
    tables = f"{unrelated:,} unrelated tables"
    section.results += [
        Result(TITLE, f"push of {ROWS} new rows, {size}", before["push"], before["insert"], MAX_RATIO,
               note="reference: bare insert from jsonb_populate_recordset; executor time"),
        Result(TITLE, f"pull of {ROWS} changed rows, {size}", before["pull"], before["agg"], MAX_RATIO,
               note="reference: jsonb_agg by user and ids; executor time"),
        Result(TITLE, f"push of {ROWS} new rows, {tables}", after["push"], after["insert"], MAX_RATIO,
               note="reference: bare insert, same catalog"),
        Result(TITLE, f"pull of {ROWS} changed rows, {tables}", after["pull"], after["agg"], MAX_RATIO,
               note="reference: jsonb_agg, same catalog"),
        Result(f"{TITLE} catalog growth", f"push, {tables} vs none", after["push"], before["push"], MAX_CATALOG_GROWTH,
               note="reference = the push without the unrelated tables"),
        Result(f"{TITLE} catalog growth", f"pull, {tables} vs none", after["pull"], before["pull"], MAX_CATALOG_GROWTH,
               note="reference = the pull without the unrelated tables"),
    ]
