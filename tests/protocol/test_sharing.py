"""Sharing (DESIGN 3.4): scope, scoped and membership tables, as users through supabase_sync.rpc.

The scene: ``public.project`` shared through ``public.project_member`` (created by
``enable --create-members``), ``public.task`` scoped by ``project_id``. Alice owns
project P (3 tasks) and Q (1 task); Bob is an editor of P, Carol a viewer of P,
Dave nobody. What each reads through plain PostgREST ``select`` and what each
may write through ``sync_push`` is checked against the role table of
docs/protocol.md "Sharing".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from helpers.protocol import Device, new_id

from supabase_sync import api, rpc
from supabase_sync.errors import TableError
from supabase_sync.rpc import RpcError

TABLES_SQL = """
create table public.project (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
    name text not null
);
create table public.task (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
    project_id uuid not null references public.project (id) on delete cascade,
    title text not null
);
create table public.doc_updates (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
    task_id uuid not null references public.task (id) on delete cascade,
    body text not null
);
"""


@dataclass
class Scene:
    owner: psycopg.Connection
    alice: Device
    bob: Device
    carol: Device
    dave: Device
    p: str
    q: str
    p_tasks: list[str]
    q_tasks: list[str]


def _task(task_id: str, project: str, title: str) -> dict[str, Any]:
    return {"id": task_id, "project_id": project, "title": title}


def _select_ids(device: Device, table: str) -> set[str]:
    with rpc.as_user(device.conn, user_id=device.user_id, read_only=True) as cur:
        return {str(row[0]) for row in cur.execute(f"select id from {table}").fetchall()}


def _enable_sharing(dsn: str) -> None:
    api.enable(
        ["public.project"],
        db_url=dsn,
        add_missing_columns=True,
        members="public.project_member",
        create_members=True,
    )
    api.enable(["public.task"], db_url=dsn, add_missing_columns=True, scope_column="project_id")
    api.enable(["public.doc_updates"], db_url=dsn, add_missing_columns=True, scope_column="project_id")


@pytest.fixture
def scene(installed_db: Any) -> Scene:
    owner = installed_db.connect()
    owner.execute(TABLES_SQL)
    _enable_sharing(installed_db.owner_dsn)
    alice, bob, carol, dave = (Device(installed_db.connect(), installed_db.create_user()) for _ in range(4))
    p, q = new_id(), new_id()
    p_tasks, q_tasks = [new_id() for _ in range(3)], [new_id()]
    alice.push(
        {
            "public.project": {"created": [{"id": p, "name": "P"}, {"id": q, "name": "Q"}]},
            "public.task": {
                "created": [_task(t, p, f"p{n}") for n, t in enumerate(p_tasks)] + [_task(q_tasks[0], q, "q0")]
            },
            "public.project_member": {
                "created": [
                    {"id": new_id(), "project_id": p, "user_id": str(bob.user_id), "role": "editor"},
                    {"id": new_id(), "project_id": p, "user_id": str(carol.user_id), "role": "viewer"},
                ]
            },
        }
    )
    return Scene(owner, alice, bob, carol, dave, p, q, p_tasks, q_tasks)


def test_enable_registers_the_three_kinds(scene: Scene) -> None:
    rows = scene.owner.execute(
        "select relid::text, kind, members::text, member_column, member_scope_column, scope::text, scope_column"
        " from supabase_sync.synced_table order by relid::text"
    ).fetchall()
    assert rows == [
        ("doc_updates", "scoped", None, None, None, "project", "project_id"),
        ("project", "scope", "project_member", "user_id", "project_id", None, None),
        ("project_member", "scoped", None, None, None, "project", "project_id"),
        ("task", "scoped", None, None, None, "project", "project_id"),
    ]


def test_enabling_the_shared_tables_again_changes_nothing(scene: Scene, installed_db: Any) -> None:
    again = api.enable(
        ["public.project"], db_url=installed_db.owner_dsn, members="public.project_member", dry_run=True
    )
    assert not again.changed, again.sql
    scoped = api.enable(["public.task"], db_url=installed_db.owner_dsn, scope_column="project_id", dry_run=True)
    assert not scoped.changed, scoped.sql


def test_plain_select_returns_exactly_what_each_user_may_see(scene: Scene) -> None:
    s = scene
    everything = {"public.project": {s.p, s.q}, "public.task": {*s.p_tasks, *s.q_tasks}}
    shared = {"public.project": {s.p}, "public.task": set(s.p_tasks)}
    nothing: dict[str, set[str]] = {"public.project": set(), "public.task": set()}
    for device, expected in ((s.alice, everything), (s.bob, shared), (s.carol, shared), (s.dave, nothing)):
        for table, ids in expected.items():
            assert _select_ids(device, table) == ids, (device.user_id, table)
    # Every member sees the member list of P; Dave sees none of it.
    assert len(_select_ids(s.carol, "public.project_member")) == 2
    assert _select_ids(s.dave, "public.project_member") == set()


def test_a_viewer_cannot_write_through_plain_postgrest(scene: Scene) -> None:
    s = scene
    with rpc.as_user(s.carol.conn, user_id=s.carol.user_id) as cur:
        cur.execute("update public.task set title = 'carol was here'")
        assert cur.rowcount == 0
        cur.execute("delete from public.task")
        assert cur.rowcount == 0
    with pytest.raises(RpcError) as caught, rpc.as_user(s.carol.conn, user_id=s.carol.user_id) as cur:
        cur.execute("insert into public.task (project_id, title) values (%s, 'sneaked in')", (s.p,))
    assert caught.value.sqlstate == "42501"
    titles = scene.owner.execute("select title from public.task where project_id = %s order by title", (s.p,))
    assert [row[0] for row in titles] == ["p0", "p1", "p2"]


def test_only_the_owner_and_admins_manage_members_and_delete_the_scope(scene: Scene) -> None:
    s = scene
    # An editor may neither add members nor delete the project through PostgREST.
    with pytest.raises(RpcError), rpc.as_user(s.bob.conn, user_id=s.bob.user_id) as cur:
        cur.execute(
            "insert into public.project_member (project_id, user_id, role) values (%s, %s, 'admin')",
            (s.p, s.dave.user_id),
        )
    with rpc.as_user(s.bob.conn, user_id=s.bob.user_id) as cur:
        cur.execute("delete from public.project_member where user_id = %s", (s.carol.user_id,))
        assert cur.rowcount == 0
        cur.execute("delete from public.project where id = %s", (s.p,))
        assert cur.rowcount == 0
    # Nor soft-delete it (deleted_at is how sync_push deletes: the project would be gone for every device).
    with pytest.raises(RpcError) as caught, rpc.as_user(s.bob.conn, user_id=s.bob.user_id) as cur:
        cur.execute("update public.project set deleted_at = now() where id = %s", (s.p,))
    assert caught.value.sqlstate == "42501" and "cannot be deleted" in caught.value.message
    assert s.owner.execute("select deleted_at from public.project where id = %s", (s.p,)).fetchone() == (None,)
    # An editor may not take the project either (the owner column).
    with pytest.raises(RpcError) as caught, rpc.as_user(s.bob.conn, user_id=s.bob.user_id) as cur:
        cur.execute("update public.project set user_id = %s where id = %s", (s.bob.user_id, s.p))
    assert caught.value.sqlstate == "42501"
    # The owner makes Bob an admin; then Bob manages members and deletes the project.
    with rpc.as_user(s.alice.conn, user_id=s.alice.user_id) as cur:
        cur.execute("update public.project_member set role = 'admin' where user_id = %s", (s.bob.user_id,))
        assert cur.rowcount == 1
    with rpc.as_user(s.bob.conn, user_id=s.bob.user_id) as cur:
        cur.execute(
            "insert into public.project_member (project_id, user_id, role) values (%s, %s, 'viewer')",
            (s.p, s.dave.user_id),
        )
        cur.execute("delete from public.project where id = %s", (s.p,))
        assert cur.rowcount == 1
    assert scene.owner.execute("select count(*) from public.task where project_id = %s", (s.p,)).fetchone() == (0,)


def test_editors_write_the_rows_of_their_scope_through_sync_push(scene: Scene) -> None:
    s = scene
    created = new_id()
    response = s.bob.push(
        {
            "public.task": {
                "created": [_task(created, s.p, "by bob")],
                "updated": [_task(s.p_tasks[0], s.p, "edited by bob")],
                "deleted": [s.p_tasks[1]],
            }
        }
    )
    assert response["applied"]["public.task"] == {"created": 1, "updated": 1, "deleted": 1}
    rows = dict(
        scene.owner.execute(
            "select id::text, (title, user_id::text, deleted_at is not null)::text from public.task where project_id = %s",
            (s.p,),
        ).fetchall()
    )
    assert rows[created] == f'("by bob",{s.bob.user_id},f)'
    assert rows[s.p_tasks[0]] == f'("edited by bob",{s.alice.user_id},f)'
    assert rows[s.p_tasks[1]].endswith(",t)")


def _task_state(owner: psycopg.Connection) -> list[tuple[Any, ...]]:
    return owner.execute(
        "select id, project_id, title, deleted_at, server_version::text from public.task order by id"
    ).fetchall()


@pytest.mark.parametrize("change", ["created", "updated", "deleted"])
def test_a_viewers_push_answers_42501_per_row_and_changes_nothing(scene: Scene, change: str) -> None:
    s = scene
    before = _task_state(s.owner)
    target = new_id() if change == "created" else s.p_tasks[2]
    entry: Any = target if change == "deleted" else _task(target, s.p, "viewer write")
    error = s.carol.push_error({"public.task": {change: [entry]}})
    assert error.sqlstate == "42501"
    assert "public.task" in error.message and target in error.message
    assert _task_state(s.owner) == before


def test_nobody_creates_a_row_in_a_scope_they_cannot_see(scene: Scene) -> None:
    s = scene
    before = _task_state(s.owner)
    hidden = s.dave.push_error({"public.task": {"created": [_task(new_id(), s.q, "into Q")]}})
    missing = s.dave.push_error({"public.task": {"created": [_task(new_id(), new_id(), "into nowhere")]}})
    assert hidden.sqlstate == missing.sqlstate == "42501"
    # The same answer for a scope that exists and one that does not (the ids aside).
    assert hidden.message.rsplit(" row ", 1)[0] == missing.message.rsplit(" row ", 1)[0]
    assert hidden.detail == missing.detail
    # Bob, an editor of P only, cannot move a task of P into Q either.
    moved = s.bob.push_error({"public.task": {"updated": [_task(s.p_tasks[0], s.q, "to Q")]}})
    assert moved.sqlstate == "42501" and s.p_tasks[0] in moved.message
    assert _task_state(s.owner) == before


def test_only_the_owner_and_admins_delete_the_scope_row_and_editors_are_told_per_row(scene: Scene) -> None:
    s = scene
    before = _task_state(s.owner)
    error = s.bob.push_error({"public.project": {"deleted": [s.p]}})
    assert error.sqlstate == "42501" and f"public.project row {s.p} cannot be written" in error.message
    assert _task_state(s.owner) == before
    assert s.owner.execute("select deleted_at from public.project where id = %s", (s.p,)).fetchone() == (None,)
    # Bob edits the project row itself (an editor may), in the same push as a task.
    response = s.bob.push({
        "public.project": {"updated": [{"id": s.p, "name": "P by bob"}]},
        "public.task": {"updated": [_task(s.p_tasks[0], s.p, "by bob")]},
    })
    assert response["applied"]["public.project"]["updated"] == 1
    with rpc.as_user(s.alice.conn, user_id=s.alice.user_id) as cur:
        cur.execute("update public.project_member set role = 'admin' where user_id = %s", (s.bob.user_id,))
    assert s.bob.push({"public.project": {"deleted": [s.p]}})["applied"]["public.project"]["deleted"] == 1


def test_membership_rows_are_written_through_sync_push_by_owner_and_admins_only(scene: Scene) -> None:
    s = scene
    grant = {"id": new_id(), "project_id": s.p, "user_id": str(s.dave.user_id), "role": "viewer"}
    error = s.bob.push_error({"public.project_member": {"created": [grant]}})
    assert error.sqlstate == "42501" and "public.project_member" in error.message
    assert _select_ids(s.dave, "public.task") == set()
    s.alice.push({"public.project_member": {"created": [grant]}})
    assert _select_ids(s.dave, "public.task") == set(s.p_tasks)
    granted_by = s.owner.execute(
        "select granted_by from public.project_member where id = %s", (grant["id"],)
    ).fetchone()
    assert granted_by == (s.alice.user_id,)


def test_access_events_record_grants_revokes_moves_and_deletes(scene: Scene) -> None:
    s = scene
    s.owner.execute("delete from supabase_sync.access_event")
    with rpc.as_user(s.alice.conn, user_id=s.alice.user_id) as cur:
        cur.execute("update public.project_member set role = 'admin' where user_id = %s", (s.bob.user_id,))
        cur.execute("update public.task set project_id = %s where id = %s", (s.q, s.p_tasks[0]))
        cur.execute("delete from public.project_member where user_id = %s", (s.carol.user_id,))
        cur.execute("delete from public.project where id = %s", (s.q,))
    events = s.owner.execute(
        "select event, scope::text, scope_id, user_id, relid::text, row_id, to_scope_id"
        " from supabase_sync.access_event order by event_id"
    ).fetchall()
    assert events == [
        # The role change records nothing: visibility did not change.
        ("moved", "project", s.p, None, "task", s.p_tasks[0], s.q),
        ("lost", "project", s.p, s.carol.user_id, None, None, None),
        ("lost", "project", s.q, s.alice.user_id, None, None, None),
    ]
    versions = s.owner.execute("select count(distinct version) from supabase_sync.access_event").fetchone()
    assert versions == (1,)


def test_ownership_transfer_is_a_loss_and_a_gain(scene: Scene) -> None:
    s = scene
    s.owner.execute("delete from supabase_sync.access_event")
    with rpc.as_user(s.alice.conn, user_id=s.alice.user_id) as cur:
        cur.execute("update public.project set user_id = %s where id = %s", (s.dave.user_id, s.q))
    events = s.owner.execute("select event, scope_id, user_id from supabase_sync.access_event order by event_id")
    assert events.fetchall() == [("lost", s.q, s.alice.user_id), ("gained", s.q, s.dave.user_id)]
    assert _select_ids(s.dave, "public.task") == set(s.q_tasks)
    assert _select_ids(s.alice, "public.task") == set(s.p_tasks)


def test_a_user_reads_only_their_own_access_events(scene: Scene) -> None:
    s = scene
    with rpc.as_user(s.bob.conn, user_id=s.bob.user_id, read_only=True) as cur:
        rows = cur.execute("select event, user_id from supabase_sync.access_event").fetchall()
    assert rows == [("gained", s.bob.user_id)]


def test_visible_scopes_is_an_initplan_in_the_policies(scene: Scene) -> None:
    s = scene
    with rpc.as_user(s.bob.conn, user_id=s.bob.user_id, read_only=True) as cur:
        plan = "\n".join(row[0] for row in cur.execute("explain select * from public.task").fetchall())
    assert "InitPlan" in plan, plan


def test_a_table_below_a_scoped_table_copies_and_follows_its_scope(scene: Scene) -> None:
    s = scene
    update = new_id()
    s.bob.push({"public.doc_updates": {"created": [{"id": update, "task_id": s.p_tasks[0], "body": "yjs"}]}})
    assert s.owner.execute("select project_id::text from public.doc_updates where id = %s", (update,)).fetchone() == (
        s.p,
    )
    assert _select_ids(s.carol, "public.doc_updates") == {update}
    with rpc.as_user(s.alice.conn, user_id=s.alice.user_id) as cur:
        cur.execute("update public.task set project_id = %s where id = %s", (s.q, s.p_tasks[0]))
    assert s.owner.execute("select project_id::text from public.doc_updates where id = %s", (update,)).fetchone() == (
        s.q,
    )
    assert _select_ids(s.carol, "public.doc_updates") == set()
    moved = s.owner.execute(
        "select relid::text, row_id from supabase_sync.access_event where event = 'moved' order by event_id"
    ).fetchall()
    assert sorted(moved) == [("doc_updates", update), ("task", s.p_tasks[0])]


def test_enable_without_the_scope_column_says_how_to_add_it(scene: Scene, installed_db: Any) -> None:
    scene.owner.execute(
        "create table public.comment (id uuid primary key, user_id uuid not null references auth.users,"
        " task_id uuid not null references public.task (id))"
    )
    with pytest.raises(TableError, match="comment has no scope column project_id.*--add-missing-columns"):
        api.enable(["public.comment"], db_url=installed_db.owner_dsn, scope_column="project_id")


def test_status_shows_each_tables_kind_and_a_fix_that_names_the_sharing_options(scene: Scene, installed_db: Any) -> None:
    scene.owner.execute("drop trigger supabase_sync_scope_move on public.task")
    report = api.status(installed_db.owner_dsn)
    by_table = {table.table: table for table in report.tables}
    assert by_table["public.project"].kind == "scope"
    assert by_table["public.project"].shared_with == "members in public.project_member"
    assert by_table["public.project_member"].shared_with == "membership of public.project through project_id"
    task = by_table["public.task"]
    assert task.kind == "scoped" and task.shared_with == "scoped by public.project through project_id"
    (gap,) = task.gaps
    assert gap.key == "trigger.scope_move"
    assert "--scope-column project_id" in gap.fix
    scene.owner.execute(gap.sql)
    assert api.status(installed_db.owner_dsn).passed
