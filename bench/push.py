"""Push of 1k and 10k created rows, and of 1k updated rows with conflict checks.

Every run pushes fresh rows through ``sync_push`` as the user, with a
``last_pulled_at`` cursor so the per-row conflict checks run, a ``push_id`` and
a ``client_id``; beside it, the same number of other rows of the same shape go
through a bare ``insert ... select from jsonb_populate_recordset(...)`` (for
updates, a bare ``update ... from jsonb_populate_recordset(...)``) into the same
table as the same user (same triggers, same RLS). Target: at most 2x.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg.types.json import Jsonb

from bench.harness import (
    COLLECTION,
    Bench,
    Result,
    Section,
    analyze,
    load_rows,
    median,
    pull_all,
    reference,
    sync_push,
    timed,
    user_id,
    warm_up,
)

TITLE = "push"
FULL_CREATED = (1_000, 10_000)
QUICK_CREATED = (100, 1_000)
FULL_UPDATED = 1_000
QUICK_UPDATED = 100
MAX_RATIO = 2.0
NEIGHBOUR_USERS = 9


def new_rows(user: uuid.UUID, count: int, *, label: str) -> list[dict[str, Any]]:
    """``count`` rows as a client would create them (client ids and timestamps)."""
    now = dt.datetime.now(dt.UTC).isoformat()
    return [
        {
            "id": str(uuid.uuid4()),
            "user_id": str(user),
            "title": f"{label} {number}",
            "notes": f"pushed by the benchmark, row {number} of {count}",
            "priority": number % 5,
            "done": False,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }
        for number in range(count)
    ]


def changed_rows(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The client's edit of existing rows (id, title, notes, priority, done)."""
    now = dt.datetime.now(dt.UTC).isoformat()
    return [
        {
            "id": str(row_id),
            "title": f"{title} (edited)",
            "notes": notes,
            "priority": (priority + 1) % 5,
            "done": not done,
            "updated_at": now,
            "deleted_at": None,
        }
        for row_id, title, notes, priority, done in rows
    ]


def push_changes(kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``changes`` payload holding ``rows`` under ``created`` or ``updated``."""
    payload: dict[str, Any] = {"created": [], "updated": [], "deleted": []}
    payload[kind] = rows
    return {COLLECTION: payload}


def run(bench: Bench, section: Section) -> None:
    """Time created-row and updated-row pushes against the bare statements."""
    quick = bench.settings.quick
    me = user_id(3000)
    neighbours = [user_id(3001 + number) for number in range(NEIGHBOUR_USERS)]
    database = bench.new_database("bench_push")
    updated = QUICK_UPDATED if quick else FULL_UPDATED
    device = uuid.uuid4()
    with database.connect() as owner, database.connect() as api:
        # The user's existing rows: the pool the update runs edit (two disjoint sets per run).
        load_rows(owner, users=[me, *neighbours], rows=(1 + NEIGHBOUR_USERS) * 2 * updated * (bench.runs + 1), transactions=10)
        analyze(owner)
        _, cursor = pull_all(api, me)
        warm_up(_push_and_insert, api, me, 10, cursor, device)
        for count in QUICK_CREATED if quick else FULL_CREATED:
            pushes: list[float] = []
            inserts: list[float] = []
            for attempt in range(bench.runs + 1):  # attempt 0 warms the caches and plans
                mine, theirs = new_rows(me, count, label="push"), new_rows(me, count, label="insert")
                push_seconds, response = timed(
                    sync_push,
                    api,
                    me,
                    changes=push_changes("created", mine),
                    last_pulled_at=cursor,
                    push_id=str(uuid.uuid4()),
                    client_id=str(device),
                )
                insert_seconds, inserted = timed(reference, api, me, "reference_insert", {"rows": Jsonb(theirs)})
                _check_applied(response, "created", count)
                if inserted != count:
                    raise AssertionError(f"the reference inserted {inserted} rows, not {count}")
                if attempt:
                    pushes.append(push_seconds)
                    inserts.append(insert_seconds)
            bench.profile(
                f"push of {count} created rows",
                database,
                _push_and_insert,
                me,
                count,
                cursor,
                device,
            )
            section.results.append(
                Result(
                    benchmark=TITLE,
                    case=f"{count:,} created rows",
                    seconds=median(pushes),
                    reference_seconds=median(inserts),
                    max_ratio=MAX_RATIO,
                    note="reference: bare insert from jsonb_populate_recordset",
                )
            )
        pool = owner.execute(
            "select id, title, notes, priority, done from public.bench_task "
            "where user_id = %s and title like 'task %%' order by id",
            [me],
        ).fetchall()
        pushes, updates = [], []
        for attempt in range(bench.runs + 1):
            start = attempt * 2 * updated
            mine = changed_rows(pool[start : start + updated])
            theirs = changed_rows(pool[start + updated : start + 2 * updated])
            _, cursor = pull_all(api, me, cursor)  # a client pushes edits right after a pull
            push_seconds, response = timed(
                sync_push,
                api,
                me,
                changes=push_changes("updated", mine),
                last_pulled_at=cursor,
                push_id=str(uuid.uuid4()),
                client_id=str(device),
            )
            update_seconds, changed = timed(reference, api, me, "reference_update", {"rows": Jsonb(theirs)})
            _check_applied(response, "updated", updated)
            if changed != updated:
                raise AssertionError(f"the reference updated {changed} rows, not {updated}")
            if attempt:
                pushes.append(push_seconds)
                updates.append(update_seconds)
        section.results.append(
            Result(
                benchmark=TITLE,
                case=f"{updated:,} updated rows, conflict checks",
                seconds=median(pushes),
                reference_seconds=median(updates),
                max_ratio=MAX_RATIO,
                note="reference: bare update from jsonb_populate_recordset",
            )
        )


def _check_applied(response: dict[str, Any], kind: str, count: int) -> None:
    applied = response.get("applied", {}).get(COLLECTION, {}).get(kind)
    if applied != count:
        raise AssertionError(f"sync_push applied {applied} {kind} rows, not {count}: {str(response)[:300]}")


def _push_and_insert(conn: Any, me: uuid.UUID, count: int, cursor: int, device: uuid.UUID) -> None:
    """One profiled round: a push of ``count`` created rows, then the bare insert."""
    sync_push(
        conn,
        me,
        changes=push_changes("created", new_rows(me, count, label="profile")),
        last_pulled_at=cursor,
        client_id=str(device),
    )
    reference(conn, me, "reference_insert", {"rows": Jsonb(new_rows(me, count, label="profile"))})
