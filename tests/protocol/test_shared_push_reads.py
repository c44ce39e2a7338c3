"""What a push to a shared table reads (issue 14 with issue 13's stale-statistics rule).

A push checks, before it writes, that the caller may write every row it
sends (supabase_sync.check_writable, under RLS as the caller). That check
must read the pushed rows by primary key, not every row the caller's scope
rows hold: under RLS the planner, with statistics taken when the table was
small, joined the pushed ids to a scan of all the caller's tasks, so a push
of 10 rows read every task of the user's projects. Counted with
PostgreSQL's own counters for the push's transaction
(pg_stat_xact_user_tables); no timings.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from helpers.protocol import Device, new_id, tuples_read

from supabase_sync import rpc


def _push_counting_reads(dsn: str, device: Device, changes: dict[str, Any], tables: list[str]) -> tuple[Any, int]:
    """One sync_push as the device's user on a connection of its own; the response and the tuples it read."""
    with psycopg.connect(dsn, autocommit=True) as conn, rpc.as_user(conn, user_id=device.user_id) as cur:
        cur.execute("select public.sync_push(changes => %s::jsonb)", (json.dumps(changes),))
        (response,) = cur.fetchone()
        reads = tuples_read(cur, tables)
    return response, reads


@pytest.mark.parametrize("statistics", ["stale", "fresh"])
def test_a_push_of_10_tasks_reads_about_10_tasks_however_many_the_users_projects_hold(
    alice: Device, owner: psycopg.Connection, example_db: Any, statistics: str
) -> None:
    project_id = new_id()
    alice.push({"public.project": {"created": [{"id": project_id, "name": "big"}]}})
    with example_db.connect(superuser=True) as su:
        su.execute("alter table public.task set (autovacuum_enabled = off)")
        if statistics == "stale":
            # Analyzed while the project was empty: the planner believes the table is tiny.
            su.execute("analyze public.task")
    owner.execute(
        "insert into public.task (user_id, project_id, title) select %s, %s, 't' || n from generate_series(1, 20000) as n",
        (alice.user_id, project_id),
    )
    if statistics == "fresh":
        with example_db.connect(superuser=True) as su:
            su.execute("analyze public.task")
    edited = [row[0] for row in owner.execute("select id::text from public.task limit 5").fetchall()]
    created = [{"id": new_id(), "project_id": project_id, "title": "new"} for _ in range(5)]
    changes = {
        "public.task": {
            "created": created,
            "updated": [{"id": row_id, "project_id": project_id, "title": "edited"} for row_id in edited],
        }
    }
    response, reads = _push_counting_reads(example_db.owner_dsn, alice, changes, ["public.task"])
    assert response["applied"]["public.task"] == {"created": 5, "updated": 5, "deleted": 0}, response
    print(f"statistics={statistics}: a push of 10 tasks read {reads} task tuples")
    # A probe per pushed id by the check, the conflict check and the write: tens, not 20,000.
    assert reads <= 200, "the push read far more tasks than it wrote"


def test_a_push_to_a_scope_table_and_deletes_of_tasks_read_about_what_they_write(
    alice: Device, owner: psycopg.Connection, example_db: Any
) -> None:
    # 10 projects of alice with 2,000 tasks each, analyzed while empty (stale statistics). (What
    # grows with the number of projects a user sees is the policies' visible_scopes, once per
    # statement by design: docs/protocol.md "Sharing (scopes)".)
    with example_db.connect(superuser=True) as su:
        su.execute("analyze public.project, public.task")
    owner.execute(
        "insert into public.project (user_id, name) select %s, 'p' || n from generate_series(1, 10) as n",
        (alice.user_id,),
    )
    owner.execute(
        "insert into public.task (user_id, project_id, title) select p.user_id, p.id, 't'"
        " from public.project as p cross join generate_series(1, 2000)"
    )
    projects = [row[0] for row in owner.execute("select id::text from public.project limit 5").fetchall()]
    tasks = [row[0] for row in owner.execute("select id::text from public.task limit 5").fetchall()]
    changes = {
        "public.project": {
            "created": [{"id": new_id(), "name": "new"} for _ in range(5)],
            "updated": [{"id": row_id, "name": "renamed"} for row_id in projects],
        },
        "public.task": {"deleted": tasks},
    }
    response, reads = _push_counting_reads(example_db.owner_dsn, alice, changes, ["public.project", "public.task"])
    assert response["applied"]["public.project"] == {"created": 5, "updated": 5, "deleted": 0}, response
    assert response["applied"]["public.task"]["deleted"] == 5, response
    print(f"a push of 10 projects and 5 task deletions read {reads} tuples")
    assert reads <= 400, "the push read far more than it wrote"
