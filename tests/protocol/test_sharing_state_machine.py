"""Random sharing histories (issue 14): every device ends with exactly what RLS lets its user see.

Several users, two devices each, share projects of the example (projects,
members, tasks, doc updates). Users grant and revoke memberships, create,
edit, move, soft- and hard-delete rows, give projects away and delete them,
all through ``supabase_sync.rpc`` (sync_push and plain PostgREST statements),
while devices pull at random times, some in pages of 2 rows. Every page a
device receives holds only rows its user can select at that moment, and is
the page the generic path gives (the shared tables' compiled functions run);
after a final pull, each device's replica equals what its user selects under RLS.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from helpers.protocol import Device, new_id

from supabase_sync import api, rpc
from supabase_sync.rpc import RpcError

USERS = 3
DEVICES_PER_USER = 2
TABLES = ("public.project", "public.project_member", "public.task", "public.doc_updates")

#: About a minute on this machine at most: few examples of 60 steps (a member's device holding a
#: task the owner then moves away, or a revoke after a sync, needs steps in that order).
SHARING_HISTORIES = settings(
    max_examples=10,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _selectable(conn: psycopg.Connection, user_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """Every live row the user reads through plain PostgREST select, per table, id -> row."""
    seen: dict[str, dict[str, Any]] = {}
    with rpc.as_user(conn, user_id=user_id, read_only=True) as cur:
        for table in TABLES:
            rows = cur.execute(f"select to_jsonb(t) from {table} as t where t.deleted_at is null").fetchall()  # noqa: S608 - fixed names
            seen[table] = {row[0]["id"]: row[0] for row in rows}
    return seen


class Replica:
    """One device: its cursor and local copy of the four tables."""

    def __init__(self, remote: Device) -> None:
        self.remote = remote
        self.rows: dict[str, dict[str, Any]] = {table: {} for table in TABLES}

    def sync(self, page_size: int | None) -> None:
        for _page in range(5_000):
            args: dict[str, Any] = {"last_pulled_at": self.remote.cursor}
            if page_size is not None:
                args["page_size"] = page_size
            page = self.remote.pull(**args)
            # The generic (dynamic) path gives the same page in the same state as the tables'
            # compiled functions (the test compiles them; docs/protocol.md "Compiled functions").
            assert _comparable(page) == _comparable(_generic_pull(self.remote, args), page)
            # What the user may select right now (no other writer runs meanwhile).
            allowed = _selectable(self.remote.conn, self.remote.user_id)
            for table, change in page["changes"].items():
                ids = [row["id"] for row in change["created"] + change["updated"]] + list(change["deleted"])
                assert len(ids) == len(set(ids)), f"an id twice in one page of {table}"
                for row in change["created"] + change["updated"]:
                    assert row["id"] in allowed[table], f"{table} row {row['id']} sent to a user who cannot see it"
                    self.rows[table][row["id"]] = row
                for row_id in change["deleted"]:
                    self.rows[table].pop(row_id, None)
            self.remote.cursor = page["timestamp"]
            if not page["has_more"]:
                return
        raise AssertionError("pull did not finish")


class SharingHistory(RuleBasedStateMachine):
    """A random history of shared projects; ``db`` is set by the test before it runs."""

    db: Any = None

    @initialize()
    def users_sign_up(self) -> None:
        conn = self.db.connect()
        self.owner = self.db.connect()
        self.users = [self.db.create_user() for _ in range(USERS)]
        self.conns = [self.db.connect() for _ in range(USERS)]
        self.devices = [
            Replica(Device(self.conns[user], self.users[user]))
            for user in range(USERS)
            for _device in range(DEVICES_PER_USER)
        ]
        conn.close()
        # Each user starts with two projects, one with two tasks (one with a doc update).
        for user in range(USERS):
            project_id, tasks = new_id(), [new_id(), new_id()]
            self._push(user, {
                "public.project": {"created": [{"id": project_id, "name": f"p{user}"}, {"id": new_id(), "name": "q"}]},
                "public.task": {"created": [{"id": t, "project_id": project_id, "title": "t"} for t in tasks]},
            })
            self._push(user, {"public.doc_updates": {"created": [{"id": new_id(), "task_id": tasks[0], "update_base64": "AA=="}]}})

    # Helpers --------------------------------------------------------------

    def _ids(self, table: str) -> list[str]:
        """Ids of the rows of this example's users in a table (the others belong to earlier examples)."""
        rows = self.owner.execute(
            f"select t.id::text from {table} as t join public.project as p on p.id = "  # noqa: S608 - fixed names
            + ("t.id" if table == "public.project" else "t.project_id")
            + " where p.user_id = any(%s) order by t.server_created_at, t.id",
            (self.users,),
        ).fetchall()
        return [row[0] for row in rows]

    def _pick(self, table: str, slot: int) -> str | None:
        ids = self._ids(table)
        return ids[slot % len(ids)] if ids else None

    def _owner_of(self, project_id: str) -> int:
        owner_id = self.owner.execute("select user_id from public.project where id = %s", (project_id,)).fetchone()[0]
        return self.users.index(owner_id)

    def _as(self, user: int, statement: str, params: tuple[Any, ...]) -> None:
        """A plain PostgREST statement as the user; refusals by RLS or the pack are part of the game."""
        try:
            with rpc.as_user(self.conns[user], user_id=self.users[user]) as cur:
                cur.execute(statement, params)
        except RpcError as error:
            assert error.sqlstate in {"42501", "23503", "23505", "P0001"}, error

    def _push(self, user: int, changes: dict[str, Any]) -> None:
        try:
            rpc.call(self.conns[user], "sync_push", {"changes": changes}, user_id=self.users[user])
        except RpcError as error:
            assert error.sqlstate in {"42501", "23503"}, error

    # Rules ----------------------------------------------------------------

    @rule(user=st.integers(0, USERS - 1))
    def create_project(self, user: int) -> None:
        self._push(user, {"public.project": {"created": [{"id": new_id(), "name": "p"}]}})

    @rule(slot=st.integers(0, 20), member=st.integers(0, USERS - 1), role=st.sampled_from(["viewer", "editor", "admin"]))
    def owner_grants(self, slot: int, member: int, role: str) -> None:
        project_id = self._pick("public.project", slot)
        if project_id is None:
            return
        by = self._owner_of(project_id)
        other = (by + 1 + member % (USERS - 1)) % USERS
        self._as(by, "insert into public.project_member (project_id, user_id, role) values (%s, %s, %s)",
                 (project_id, self.users[other], role))

    @rule(slot=st.integers(0, 20))
    def owner_revokes(self, slot: int) -> None:
        member_id = self._pick("public.project_member", slot)
        if member_id is not None:
            project_id = self.owner.execute(
                "select project_id::text from public.project_member where id = %s", (member_id,)
            ).fetchone()[0]
            self._as(self._owner_of(project_id), "delete from public.project_member where id = %s", (member_id,))

    @rule(by=st.integers(0, USERS - 1), slot=st.integers(0, 20), member=st.integers(0, USERS - 1))
    def anyone_grants_or_revokes(self, by: int, slot: int, member: int) -> None:
        project_id = self._pick("public.project", slot)
        if project_id is None:
            return
        self._as(by, "insert into public.project_member (project_id, user_id, role) values (%s, %s, 'admin')",
                 (project_id, self.users[member]))
        self._as(by, "delete from public.project_member where project_id = %s and user_id <> %s",
                 (project_id, self.users[member]))

    @rule(by=st.integers(0, USERS - 1), slot=st.integers(0, 20))
    def create_task(self, by: int, slot: int) -> None:
        project_id = self._pick("public.project", slot)
        if project_id is not None:
            task_id = new_id()
            self._push(by, {"public.task": {"created": [{"id": task_id, "project_id": project_id, "title": "t"}]}})
            self._push(by, {"public.doc_updates": {"created": [{"id": new_id(), "task_id": task_id, "update_base64": "AA=="}]}})

    @rule(by=st.integers(0, USERS - 1), slot=st.integers(0, 20), title=st.sampled_from(["x", "y"]))
    def edit_task(self, by: int, slot: int, title: str) -> None:
        task_id = self._pick("public.task", slot)
        if task_id is not None:
            self._as(by, "update public.task set title = %s where id = %s", (title, task_id))

    @rule(by=st.integers(0, USERS - 1), slot=st.integers(0, 20), into=st.integers(0, 20))
    def move_task(self, by: int, slot: int, into: int) -> None:
        task_id, project_id = self._pick("public.task", slot), self._pick("public.project", into)
        if task_id is not None and project_id is not None:
            self._as(by, "update public.task set project_id = %s where id = %s", (project_id, task_id))

    @rule(slot=st.integers(0, 20), into=st.integers(0, 20))
    def owner_moves_task_between_own_projects(self, slot: int, into: int) -> None:
        task_id = self._pick("public.task", slot)
        if task_id is None:
            return
        mover = self._owner_of(self.owner.execute(
            "select project_id::text from public.task where id = %s", (task_id,)
        ).fetchone()[0])
        others = [
            row[0] for row in self.owner.execute(
                "select id::text from public.project where user_id = %s"
                " and id <> (select project_id from public.task where id = %s) order by server_created_at, id",
                (self.users[mover], task_id),
            )
        ]
        if others:
            self._as(mover, "update public.task set project_id = %s where id = %s", (others[into % len(others)], task_id))

    @rule(by=st.integers(0, USERS - 1), slot=st.integers(0, 20), hard=st.booleans())
    def delete_task(self, by: int, slot: int, hard: bool) -> None:
        task_id = self._pick("public.task", slot)
        if task_id is None:
            return
        if hard:
            self._as(by, "delete from public.task where id = %s", (task_id,))
        else:
            self._push(by, {"public.task": {"deleted": [task_id]}})

    @rule(by=st.integers(0, USERS - 1), slot=st.integers(0, 20), to=st.integers(0, USERS - 1), often=st.integers(0, 2))
    def give_project_away(self, by: int, slot: int, to: int, often: int) -> None:
        project_id = self._pick("public.project", slot)
        if project_id is not None and often == 0:
            self._as(by, "update public.project set user_id = %s where id = %s", (self.users[to], project_id))

    @rule(by=st.integers(0, USERS - 1), slot=st.integers(0, 20), often=st.integers(0, 3))
    def delete_project(self, by: int, slot: int, often: int) -> None:
        project_id = self._pick("public.project", slot)
        if project_id is not None and often == 0:
            self._as(by, "delete from public.project where id = %s", (project_id,))

    @rule(device=st.integers(0, USERS * DEVICES_PER_USER - 1), page_size=st.sampled_from([2, 2, 5, None]))
    def sync(self, device: int, page_size: int | None) -> None:
        self.devices[device].sync(page_size)

    @rule(page_size=st.sampled_from([2, None]))
    def everyone_syncs(self, page_size: int | None) -> None:
        for replica in self.devices:
            replica.sync(page_size)

    def teardown(self) -> None:
        if not getattr(self, "devices", None):
            return
        # A new device of each user, pulling from null, too.
        newcomers = [Replica(Device(self.conns[user], self.users[user])) for user in range(USERS)]
        for replica in (*self.devices, *newcomers):
            replica.sync(page_size=2)
            expected = _selectable(replica.remote.conn, replica.remote.user_id)
            for table in TABLES:
                assert _normalised(replica.rows[table]) == _normalised(expected[table]), (
                    f"{table}: device of {replica.remote.user_id} differs from what its user selects"
                )
        for conn in (*self.conns, self.owner):
            conn.close()


def _generic_pull(device: Device, args: dict[str, Any]) -> dict[str, Any]:
    """The same sync_pull with the compiled functions switched off (supabase_sync.compiled_functions)."""
    with rpc.as_user(device.conn, user_id=device.user_id, read_only=True) as cur:
        cur.execute("set local supabase_sync.compiled_functions = 'off'")
        cur.execute(
            "select public.sync_pull(last_pulled_at => %(last_pulled_at)s, page_size => %(page_size)s)",
            {"page_size": None, **args},
        )
        row = cur.fetchone()
    assert row is not None
    return row[0]


def _comparable(page: dict[str, Any], like: dict[str, Any] | None = None) -> dict[str, Any]:
    """The page with each kind's entries sorted; a last page's cursor (its snapshot's watermark) as ``like``'s."""
    changes = {
        table: {
            "created": sorted(json.dumps(row, sort_keys=True) for row in change["created"]),
            "updated": sorted(json.dumps(row, sort_keys=True) for row in change["updated"]),
            "deleted": sorted(change["deleted"]),
        }
        for table, change in page["changes"].items()
    }
    timestamp = page["timestamp"]
    if like is not None and not page["has_more"] and not like["has_more"]:
        timestamp = like["timestamp"]
    return {"changes": changes, "timestamp": timestamp, "has_more": page["has_more"]}


def _normalised(rows: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {row_id: json.dumps(row, sort_keys=True) for row_id, row in rows.items()}


@pytest.mark.slow
def test_every_device_ends_with_exactly_what_rls_lets_its_user_see(example_db: Any) -> None:
    # The example's migrations compile nothing (written without a database): enable compiles the
    # shared tables' functions, so every pull runs them and is compared with the generic path.
    api.enable(list(TABLES), db_url=example_db.owner_dsn)
    with example_db.connect() as conn:
        compiled = conn.execute(
            "select relid::regclass::text from supabase_sync.compiled_function where purpose = 'pull_keys'"
            " and fingerprint = supabase_sync.compiled_fingerprint(relid) order by 1"
        ).fetchall()
    assert compiled == [("doc_updates",), ("project_member",), ("task",)]
    SharingHistory.db = example_db
    try:
        run_state_machine_as_test(SharingHistory, settings=SHARING_HISTORIES)
    finally:
        SharingHistory.db = None
