"""A table below a scoped table copies its parent's scope column (trigger supabase_sync_inherit_scope).

doc_updates -> task -> project: a doc update's project_id is its task's, and moving
the task moves its doc updates. The copy runs on every write of the child, so it
must find the parent by its primary key (and the move the children by their
foreign key's index), whatever the key's type: the tuples each statement reads
from the other table are counted (pg_stat_xact_user_tables of a fresh backend,
as in test_big_pulls.py), never timed.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from helpers.protocol import Device, new_id

from supabase_sync import api, rpc

#: The parent key's type (the types enable accepts for a synced table's key) -> (SQL for a fresh key, Python for one).
KEY_TYPES = {
    "uuid": ("gen_random_uuid()", lambda n: str(uuid.uuid4())),
    "text": ("'t-' || nextval('public.task_key')", lambda n: f"key {n} ' \" x"),
}
BIG = 5_000

TABLES_SQL = """
create sequence public.task_key;
create table public.project (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
    name text not null
);
create table public.task (
    id {key_type} primary key default {key_default},
    user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
    project_id uuid not null references public.project (id) on delete cascade,
    title text not null
);
create table public.doc_updates (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
    task_id {key_type} not null references public.task (id) on delete cascade,
    body text not null
);
create index doc_updates_task_id_idx on public.doc_updates (task_id);
"""


def _reads(conn: psycopg.Connection, table: str) -> int:
    (reads,) = conn.execute(
        "select seq_tup_read + coalesce(idx_tup_fetch, 0) from pg_catalog.pg_stat_xact_user_tables"
        " where relid = %s::regclass",
        (table,),
    ).fetchone()
    return reads


@pytest.fixture(params=sorted(KEY_TYPES))
def shared(request: pytest.FixtureRequest, installed_db: Any) -> tuple[Any, Device, str, str, Any]:
    """Alice owns projects P and Q; public.task (keys of the param's type) holds 5,000 tasks of P."""
    key_type = request.param
    key_default, make_key = KEY_TYPES[key_type]
    owner = installed_db.connect()
    owner.execute(TABLES_SQL.format(key_type=key_type, key_default=key_default))
    api.enable(
        ["public.project"], db_url=installed_db.owner_dsn, add_missing_columns=True,
        members="public.project_member", create_members=True,
    )
    api.enable(["public.task"], db_url=installed_db.owner_dsn, add_missing_columns=True, scope_column="project_id")
    api.enable(["public.doc_updates"], db_url=installed_db.owner_dsn, add_missing_columns=True, scope_column="project_id")
    alice = Device(installed_db.connect(), installed_db.create_user())
    p, q = new_id(), new_id()
    alice.push({"public.project": {"created": [{"id": p, "name": "P"}, {"id": q, "name": "Q"}]}})
    owner.execute(
        "insert into public.task (user_id, project_id, title) select %s, %s, 't' from generate_series(1, %s)",
        (alice.user_id, p, BIG),
    )
    owner.execute("analyze public.task")
    return installed_db, alice, p, q, make_key


def _insert_task(alice: Device, key: str, project_id: str) -> None:
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("insert into public.task (id, project_id, title) values (%s, %s, 'mine')", (key, project_id))


def test_a_doc_update_takes_its_tasks_project_reading_one_task(shared: tuple[Any, Device, str, str, Any]) -> None:
    db, alice, p, q, make_key = shared
    key = make_key(1)
    _insert_task(alice, key, q)
    with psycopg.connect(db.owner_dsn) as fresh, rpc.as_user(fresh, user_id=alice.user_id) as cur:
        # The client names P; the copy trigger gives the row its task's project, Q.
        cur.execute(
            "insert into public.doc_updates (task_id, project_id, body) values (%s, %s, 'b') returning project_id::text",
            (key, p),
        )
        assert cur.fetchone() == (q,)
        # The copy's lookup and the foreign key check, by primary key: not the 5,000 tasks.
        assert _reads(fresh, "public.task") <= 4


def test_moving_a_task_moves_its_doc_updates_reading_only_theirs(shared: tuple[Any, Device, str, str, Any]) -> None:
    db, alice, p, q, make_key = shared
    owner = db.connect()
    owner.execute(
        "insert into public.doc_updates (user_id, task_id, body) select user_id, id, 'b' from public.task"
    )
    owner.execute("analyze public.doc_updates")
    key = make_key(2)
    _insert_task(alice, key, p)
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("insert into public.doc_updates (task_id, body) values (%s, 'b'), (%s, 'c')", (key, key))
    with psycopg.connect(db.owner_dsn) as fresh, rpc.as_user(fresh, user_id=alice.user_id) as cur:
        cur.execute("update public.task set project_id = %s where id = %s", (q, key))
        assert cur.rowcount == 1
        reads = _reads(fresh, "public.doc_updates")
    moved = owner.execute(
        "select project_id::text, count(*) from public.doc_updates where task_id = %s group by 1", (key,)
    ).fetchall()
    assert moved == [(q, 2)]
    assert owner.execute("select count(*) from public.doc_updates where project_id = %s", (q,)).fetchone() == (2,)
    # Its two doc updates (and their new versions), not the 5,000 others.
    assert reads <= 10
