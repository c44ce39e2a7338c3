"""Incremental pull of 10 changed rows on a scoped table, beside the same on an owner table (issue 14).

One database holds ``public.bench_task`` (an owner table) and
``public.bench_shared_task``, a scoped table of ``public.bench_project``
shared through ``public.bench_project_member`` (``enable --members
--create-members``, then ``enable --scope-column project_id``), both loaded
with the same number of rows. Every user owns PROJECTS_PER_USER projects and is
an editor of MEMBER_OF other users' projects. Each run changes 10 of the user's
visible rows in each table (one transaction per table, as the user), then times
``sync_pull`` from the cursor taken before, on each table, beside the
hand-written indexed reference for each (``bench/sql/reference_incremental*.sql``).
No membership changes between pulls: the scoped pull should cost what the owner
pull costs (target 1.5x) and at most 3x its own reference.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import psycopg
from psycopg import sql

from bench.harness import (
    COLLECTION,
    WARM_UP_CALLS,
    Bench,
    BenchDatabase,
    Result,
    Section,
    analyze,
    bench_sql,
    load_rows,
    log,
    median,
    reference,
    sync_pull,
    timed,
    user_id,
)
from supabase_sync import rpc

TITLE = "sharing"
CHANGED_ROWS = 10
FULL_ROWS, QUICK_ROWS = 100_000, 5_000
FULL_USERS, QUICK_USERS = 100, 10
PROJECTS_PER_USER = 4
MEMBER_OF = 4
ROWS_PER_TRANSACTION = 20_000
MIN_TRANSACTIONS = 10
SHARED = "public.bench_shared_task"
#: A scoped pull with no membership change against the owner pull of the same changes.
MAX_RATIO_TO_OWNER = 1.5
MAX_RATIO_TO_REFERENCE = 3.0
CHANGE_ROWS = "update {table} set priority = priority + 1, updated_at = now() where id = any(%s)"
VISIBLE_SHARED = """
select t.id from public.bench_shared_task as t
where t.project_id in (
    select p.id from public.bench_project as p where p.user_id = %(me)s
    union all
    select m.bench_project_id from public.bench_project_member as m where m.user_id = %(me)s
)
"""


def run(bench: Bench, section: Section) -> None:
    """Load both tables, then time the two pulls and the two references over ``bench.runs`` runs."""
    quick = bench.settings.quick
    users = [user_id(9000 + number) for number in range(QUICK_USERS if quick else FULL_USERS)]
    rows = QUICK_ROWS if quick else FULL_ROWS
    me = users[0]
    database = bench.new_database("bench_sharing")
    projects = _share(database, users)
    rng = random.Random(14)
    with database.connect() as owner, database.connect() as api:
        transactions = max(MIN_TRANSACTIONS, rows // ROWS_PER_TRANSACTION)
        seconds = load_rows(owner, users=users, rows=rows, transactions=transactions)
        seconds += _load_shared_tasks(owner, users=users, projects=projects, rows=rows, transactions=transactions)
        log(f"loaded {rows} rows into each table in {seconds:.1f} s")
        analyze(owner)
        owner.execute("vacuum analyze public.bench_project, public.bench_project_member, public.bench_shared_task")
        mine = [row[0] for row in owner.execute("select id from public.bench_task where user_id = %s", [me])]
        visible = [row[0] for row in owner.execute(VISIBLE_SHARED, {"me": me})]
        section.notes.append(
            f"{rows:,} rows in each table, {len(users)} users, {projects:,} projects ({PROJECTS_PER_USER} per user,"
            f" each user an editor of {MEMBER_OF} more): the user sees {len(mine):,} owner rows and"
            f" {len(visible):,} scoped rows; load {seconds:.1f} s"
        )
        cursors = {COLLECTION: _pull_all(api, me, None, COLLECTION)[1], SHARED: _pull_all(api, me, None, SHARED)[1]}
        candidates = {COLLECTION: mine, SHARED: visible}
        references = {COLLECTION: "reference_incremental", SHARED: "reference_incremental_scoped"}
        timings: dict[str, list[float]] = {"owner": [], "scoped": [], "owner reference": [], "scoped reference": []}
        for attempt in range(WARM_UP_CALLS + bench.runs):  # the first ones warm caches and plans
            for collection, label in ((COLLECTION, "owner"), (SHARED, "scoped")):
                changed = rng.sample(candidates[collection], CHANGED_ROWS)
                _change(api, me, collection, changed)
                pull_seconds, (pulled, cursor) = timed(_pull_all, api, me, cursors[collection], collection)
                reference_seconds, found = timed(
                    reference, api, me, references[collection], {"user_id": me, "ids": changed}, read_only=True
                )
                if not {str(row_id) for row_id in changed} <= pulled:
                    raise AssertionError(f"sync_pull of {collection} missed some of the {CHANGED_ROWS} changed rows")
                if len(found or []) != CHANGED_ROWS:
                    raise AssertionError(f"the {label} reference returned {len(found or [])} rows, not {CHANGED_ROWS}")
                cursors[collection] = cursor
                if attempt >= WARM_UP_CALLS:
                    timings[label].append(pull_seconds)
                    timings[f"{label} reference"].append(reference_seconds)
        bench.profile("incremental pull, scoped table", database, _change_and_pull, me, visible, cursors[SHARED], rng)
    owner_pull, scoped_pull = median(timings["owner"]), median(timings["scoped"])
    section.results += [
        Result(
            benchmark=TITLE,
            case=f"scoped vs owner table, {CHANGED_ROWS} changed of {rows:,} rows",
            seconds=scoped_pull,
            reference_seconds=owner_pull,
            max_ratio=MAX_RATIO_TO_OWNER,
            note="reference = sync_pull of the owner table, same run",
        ),
        Result(
            benchmark=TITLE,
            case=f"scoped table vs reference, {CHANGED_ROWS} changed of {rows:,} rows",
            seconds=scoped_pull,
            reference_seconds=median(timings["scoped reference"]),
            max_ratio=MAX_RATIO_TO_REFERENCE,
            note="reference: id lookups within the user's projects",
        ),
        Result(
            benchmark=TITLE,
            case=f"owner table vs reference, {CHANGED_ROWS} changed of {rows:,} rows",
            seconds=owner_pull,
            reference_seconds=median(timings["owner reference"]),
            max_ratio=MAX_RATIO_TO_REFERENCE,
            note="as the incremental pull benchmark, in this run",
        ),
    ]


def _share(database: BenchDatabase, users: list[uuid.UUID]) -> int:
    """Create and enable the shared tables, the projects and the memberships; return the number of projects."""
    from supabase_sync import api

    with database.connect(superuser=True) as conn:
        # The membership table's user column references auth.users.
        conn.execute("insert into auth.users (id) select unnest(%s::uuid[]) on conflict do nothing", [users])
    with database.connect() as conn:
        conn.execute(bench_sql("sharing_tables"))
    api.enable(
        ["public.bench_project"], members="public.bench_project_member", create_members=True, db_url=database.owner_dsn
    )
    api.enable([SHARED], scope_column="project_id", db_url=database.owner_dsn)
    projects = len(users) * PROJECTS_PER_USER
    with database.connect() as conn:
        conn.execute(bench_sql("sharing_load_projects"), {"users": users, "projects": projects})
        # User i is an editor of the first project of each of the next MEMBER_OF users (project k: users[k mod n]).
        memberships = [
            ((index + step) % len(users), member, users[(index + step) % len(users)])
            for index, member in enumerate(users)
            for step in range(1, MEMBER_OF + 1)
        ]
        with conn.cursor() as cur:
            cur.executemany(
                "insert into public.bench_project_member (bench_project_id, user_id, role, granted_by)"
                " values (md5('bench-project-' || %s)::uuid, %s, 'editor', %s)",
                memberships,
            )
    return projects


def _load_shared_tasks(
    conn: psycopg.Connection[Any], *, users: list[uuid.UUID], projects: int, rows: int, transactions: int
) -> float:
    """Insert ``rows`` scoped tasks round-robin over the projects in ``transactions`` transactions; seconds spent."""
    statement = bench_sql("sharing_load_tasks")
    seconds = 0.0
    done = 0
    for batch in range(transactions):
        count = rows * (batch + 1) // transactions - done
        with conn.transaction():
            spent, _ = timed(
                conn.execute, statement, {"users": users, "projects": projects, "first": done, "row_count": count}
            )
        seconds += spent
        done += count
    return seconds


def _change(conn: psycopg.Connection[Any], me: uuid.UUID, collection: str, changed: list[Any]) -> None:
    schema, table = collection.split(".")
    statement = sql.SQL(CHANGE_ROWS).format(table=sql.Identifier(schema, table))
    with rpc.as_user(conn, user_id=str(me)) as cur:
        cur.execute(statement, [changed])


def _pull_all(
    conn: psycopg.Connection[Any], me: uuid.UUID, cursor: int | None, collection: str
) -> tuple[set[str], int]:
    """Pull every page of ``collection`` from ``cursor``; return the ids of the created and updated rows, the cursor."""
    pulled: set[str] = set()
    while True:
        page = sync_pull(conn, me, last_pulled_at=cursor, collections=[collection])
        changes = page.get("changes", {}).get(collection, {})
        pulled.update(str(row["id"]) for kind in ("created", "updated") for row in changes.get(kind, []))
        cursor = int(page["timestamp"])
        if not page.get("has_more"):
            return pulled, cursor


def _change_and_pull(
    conn: psycopg.Connection[Any], me: uuid.UUID, visible: list[Any], cursor: int | None, rng: random.Random
) -> None:
    """One profiled round on the scoped table: change 10 rows, pull them, run the reference for them."""
    changed = rng.sample(visible, CHANGED_ROWS)
    _change(conn, me, SHARED, changed)
    sync_pull(conn, me, last_pulled_at=cursor, collections=[SHARED])
    reference(conn, me, "reference_incremental_scoped", {"user_id": me, "ids": changed}, read_only=True)
