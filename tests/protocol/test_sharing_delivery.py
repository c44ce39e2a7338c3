"""What a pull delivers when access changes (issue 14, docs/protocol.md "Sharing (scopes)").

The example's tables: ``public.project`` shared through ``public.project_member``,
``public.task`` and ``public.doc_updates`` following their project. Every user
acts through ``supabase_sync.rpc`` (sync_pull, sync_push, plain PostgREST
statements); the owner connection only sets scenes too big to push and looks.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from helpers.protocol import Device, new_id, project, snapshot, task

from supabase_sync import rpc

KINDS = ("created", "updated", "deleted")


@dataclass
class Pulled:
    """Every entry of one paged pull, per collection and kind, with each page's size."""

    entries: dict[str, dict[str, list[str]]]
    page_sizes: list[int]

    def ids(self, collection: str, kind: str) -> set[str]:
        return set(self.entries.get(collection, {}).get(kind, []))

    def count(self, collection: str, kind: str) -> int:
        return len(self.entries.get(collection, {}).get(kind, []))

    def all_ids(self, kind: str) -> set[str]:
        return {row_id for change in self.entries.values() for row_id in change.get(kind, [])}


def pull(device: Device, *, page_size: int | None = None) -> Pulled:
    """Pull every page from the device's cursor; each id at most once per page."""
    entries: dict[str, dict[str, list[str]]] = {}
    sizes: list[int] = []
    for _page in range(10_000):
        args: dict[str, Any] = {"last_pulled_at": device.cursor}
        if page_size is not None:
            args["page_size"] = page_size
        page = device.pull(**args)
        size = 0
        for collection, change in page["changes"].items():
            in_page = [row["id"] for row in change["created"] + change["updated"]] + list(change["deleted"])
            assert len(in_page) == len(set(in_page)), f"an id twice in one page of {collection}"
            size += len(in_page)
            target = entries.setdefault(collection, {kind: [] for kind in KINDS})
            target["created"] += [row["id"] for row in change["created"]]
            target["updated"] += [row["id"] for row in change["updated"]]
            target["deleted"] += list(change["deleted"])
        sizes.append(size)
        assert device.cursor is None or page["timestamp"] >= device.cursor
        device.cursor = page["timestamp"]
        if not page["has_more"]:
            return Pulled(entries, sizes)
    raise AssertionError("pull did not finish within 10000 pages")


def member(project_id: str, user: Device, role: str = "editor") -> dict[str, Any]:
    """A membership row as a client sends it."""
    return {"id": new_id(), "project_id": project_id, "user_id": str(user.user_id), "role": role}


def doc_update(task_id: str) -> dict[str, Any]:
    """A document update row (its project comes from the task)."""
    return {"id": new_id(), "task_id": task_id, "update_base64": "AAEC"}


def remove_member(by: Device, user: Device, project_id: str) -> None:
    """Delete a membership row through plain PostgREST, as ``by``."""
    with rpc.as_user(by.conn, user_id=by.user_id) as cur:
        cur.execute(
            "delete from public.project_member where project_id = %s and user_id = %s", (project_id, user.user_id)
        )
        assert cur.rowcount == 1


def move_task(by: Device, task_id: str, project_id: str) -> None:
    """Move a task to another project through plain PostgREST, as ``by``."""
    with rpc.as_user(by.conn, user_id=by.user_id) as cur:
        cur.execute("update public.task set project_id = %s where id = %s", (project_id, task_id))
        assert cur.rowcount == 1


@dataclass
class Scene:
    owner: psycopg.Connection
    a: Device
    b: Device
    c: Device
    p: str
    p2: str
    other: str
    p_tasks: list[str]
    p_docs: list[str]
    other_tasks: list[str]


@pytest.fixture
def scene(example_db: Any, owner: psycopg.Connection) -> Scene:
    """A owns P (3 tasks, 2 doc updates), P2 (C a member) and another project; B and C have pulled."""
    a, b, c = (Device(example_db.connect(), example_db.create_user()) for _ in range(3))
    p, p2, other = project(name="P"), project(name="P2"), project(name="other")
    p_tasks = [task(p["id"], title=f"p{n}") for n in range(3)]
    other_tasks = [task(other["id"], title="other")]
    docs = [doc_update(p_tasks[0]["id"]), doc_update(p_tasks[1]["id"])]
    a.push({
        "public.project": {"created": [p, p2, other]},
        "public.task": {"created": p_tasks + other_tasks},
        "public.project_member": {"created": [member(p2["id"], c)]},
    })
    a.push({"public.doc_updates": {"created": docs}})
    for device in (a, b, c):
        pull(device)
    return Scene(
        owner, a, b, c, p["id"], p2["id"], other["id"],
        [t["id"] for t in p_tasks], [d["id"] for d in docs], [t["id"] for t in other_tasks],
    )


def _assert_b_cannot_update_a_task_of_p(s: Scene) -> None:
    """B's push of an update to one of P's tasks answers 42501 and changes nothing."""
    before = snapshot(s.owner)
    error = s.b.push_error(
        {"public.task": {"updated": [task(s.p, row_id=s.p_tasks[0], title="after removal")]}},
        last_pulled_at=s.b.cursor,
    )
    assert error.sqlstate == "42501"
    assert snapshot(s.owner) == before


def test_a_new_editor_gets_the_project_with_its_tasks_and_doc_updates_as_created(scene: Scene) -> None:
    s = scene
    grant = member(s.p, s.b)
    s.a.push({"public.project_member": {"created": [grant]}})
    got = pull(s.b)
    assert got.ids("public.project", "created") == {s.p}
    assert got.ids("public.task", "created") == set(s.p_tasks)
    assert got.ids("public.doc_updates", "created") == set(s.p_docs)
    assert got.ids("public.project_member", "created") == {grant["id"]}
    assert got.all_ids("updated") == got.all_ids("deleted") == set()
    # Nothing of A's other projects.
    assert s.other not in got.all_ids("created") and not set(s.other_tasks) & got.all_ids("created")
    # And nothing again on the next pull.
    assert pull(s.b).all_ids("created") == set()


def test_a_removed_member_gets_every_id_of_the_project_as_deleted_and_cannot_write_it(scene: Scene) -> None:
    s = scene
    s.a.push({"public.project_member": {"created": [member(s.p, s.b)]}})
    pull(s.b)
    remove_member(s.a, s.b, s.p)
    got = pull(s.b)
    deleted = got.ids("public.project", "deleted") | got.ids("public.task", "deleted") | got.ids(
        "public.doc_updates", "deleted"
    )
    assert deleted == {s.p, *s.p_tasks, *s.p_docs}
    assert len(deleted) == 6
    assert got.all_ids("created") == got.all_ids("updated") == set()
    _assert_b_cannot_update_a_task_of_p(s)


@pytest.mark.parametrize("how", ["sync_push", "update_deleted_at"])
def test_a_membership_deleted_softly_revokes_like_a_hard_delete(scene: Scene, how: str) -> None:
    # A client deletes a membership through sync_push (a soft delete: deleted_at set, the row kept so
    # devices learn of it) or sets deleted_at through PostgREST: the member must lose the project as
    # if the row were gone (they kept reading and writing it while a soft-deleted row still counted).
    s = scene
    grant = member(s.p, s.b)
    s.a.push({"public.project_member": {"created": [grant]}})
    pull(s.b)
    pull(s.a)
    if how == "sync_push":
        s.a.push({"public.project_member": {"deleted": [grant["id"]]}}, last_pulled_at=s.a.cursor)
    else:
        with rpc.as_user(s.a.conn, user_id=s.a.user_id) as cur:
            cur.execute("update public.project_member set deleted_at = now() where id = %s", (grant["id"],))
            assert cur.rowcount == 1
    got = pull(s.b)
    deleted = got.ids("public.project", "deleted") | got.ids("public.task", "deleted") | got.ids(
        "public.doc_updates", "deleted"
    )
    assert deleted == {s.p, *s.p_tasks, *s.p_docs}
    assert grant["id"] in got.ids("public.project_member", "deleted")
    assert got.all_ids("created") == got.all_ids("updated") == set()
    with rpc.as_user(s.b.conn, user_id=s.b.user_id) as cur:
        cur.execute("select (select count(*) from public.task where project_id = %s), (select count(*) from public.project where id = %s)", (s.p, s.p))
        assert cur.fetchone() == (0, 0)
    _assert_b_cannot_update_a_task_of_p(s)
    # Undeleting the membership (deleted_at back to null, as its owner may) grants the project again.
    with rpc.as_user(s.a.conn, user_id=s.a.user_id) as cur:
        cur.execute("update public.project_member set deleted_at = null where id = %s", (grant["id"],))
    again = pull(s.b)
    assert again.ids("public.task", "created") == set(s.p_tasks)
    assert again.ids("public.project", "created") == {s.p}


def test_a_task_moved_to_a_project_the_member_does_not_see_is_deleted_for_them_and_created_for_the_other(
    scene: Scene,
) -> None:
    s = scene
    s.a.push({"public.project_member": {"created": [member(s.p, s.b)]}})
    pull(s.b)
    pull(s.c)
    move_task(s.a, s.p_tasks[0], s.p2)
    got_b = pull(s.b)
    # The task and its doc update left P for P2, which B does not see.
    assert got_b.ids("public.task", "deleted") == {s.p_tasks[0]}
    assert got_b.ids("public.doc_updates", "deleted") == {s.p_docs[0]}
    assert got_b.all_ids("created") == got_b.all_ids("updated") == set()
    got_c = pull(s.c)
    assert got_c.ids("public.task", "created") == {s.p_tasks[0]}
    assert got_c.ids("public.doc_updates", "created") == {s.p_docs[0]}
    assert got_c.all_ids("deleted") == set()
    # A sees both projects: an update, nothing deleted.
    got_a = pull(s.a)
    assert got_a.ids("public.task", "updated") == {s.p_tasks[0]}
    assert got_a.all_ids("deleted") == set()


def test_a_viewer_pulls_everything_of_the_project_and_every_write_answers_42501_per_row(scene: Scene) -> None:
    s = scene
    s.a.push({"public.project_member": {"created": [member(s.p, s.b, role="viewer")]}})
    got = pull(s.b)
    assert got.ids("public.task", "created") == set(s.p_tasks)
    assert got.ids("public.doc_updates", "created") == set(s.p_docs)
    before = snapshot(s.owner)
    new_task, new_doc = task(s.p, title="viewer"), doc_update(s.p_tasks[0])
    writes = (
        ("public.project", s.p, {"updated": [{"id": s.p, "name": "viewer"}]}),
        ("public.project", s.p, {"deleted": [s.p]}),
        ("public.task", new_task["id"], {"created": [new_task]}),
        ("public.task", s.p_tasks[1], {"updated": [task(s.p, row_id=s.p_tasks[1], title="viewer")]}),
        ("public.task", s.p_tasks[2], {"deleted": [s.p_tasks[2]]}),
        ("public.doc_updates", new_doc["id"], {"created": [new_doc]}),
        ("public.doc_updates", s.p_docs[0], {"updated": [{"id": s.p_docs[0], "update_base64": "AAED"}]}),
        ("public.doc_updates", s.p_docs[1], {"deleted": [s.p_docs[1]]}),
    )
    for table, row_id, change in writes:
        for since in (None, s.b.cursor):
            error = s.b.push_error({table: change}, last_pulled_at=since)
            assert error.sqlstate == "42501", (table, change, error)
            assert error.message.startswith("supabase_sync: sync_push: "), error.message
            assert f"{table} row {row_id}" in error.message, error.message
    assert snapshot(s.owner) == before


def test_a_row_below_a_task_belongs_to_the_tasks_project_whatever_scope_column_it_sends(scene: Scene) -> None:
    s = scene
    # B edits P and only views P2: a doc update of a P2 task is a write in P2, even when it claims P.
    s.a.push({"public.project_member": {"created": [member(s.p, s.b), member(s.p2, s.b, role="viewer")]}})
    in_p2 = task(s.p2, title="in p2")
    s.a.push({"public.task": {"created": [in_p2]}})
    pull(s.b)
    before = snapshot(s.owner)
    spoofed = {**doc_update(in_p2["id"]), "project_id": s.p}
    allowed = doc_update(s.p_tasks[0])
    error = s.b.push_error({"public.doc_updates": {"created": [allowed, spoofed]}}, last_pulled_at=s.b.cursor)
    assert error.sqlstate == "42501"
    assert f"public.doc_updates row {spoofed['id']} cannot be written" in error.message, error.message
    # Moving B's own doc update of P under the P2 task is refused the same way.
    s.b.push({"public.doc_updates": {"created": [allowed]}})
    before = snapshot(s.owner)
    moved = s.b.push_error({"public.doc_updates": {"updated": [{"id": allowed["id"], "task_id": in_p2["id"]}]}})
    assert moved.sqlstate == "42501" and f"public.doc_updates row {allowed['id']}" in moved.message
    assert snapshot(s.owner) == before


def test_an_update_of_a_task_another_member_hard_deleted_since_the_cursor_is_a_conflict(scene: Scene) -> None:
    s = scene
    s.a.push({"public.project_member": {"created": [member(s.p, s.b)]}})
    pull(s.b)
    gone = s.p_tasks[0]
    with rpc.as_user(s.a.conn, user_id=s.a.user_id) as cur:
        cur.execute("delete from public.task where id = %s", (gone,))
        assert cur.rowcount == 1
    before = snapshot(s.owner)
    error = s.b.push_error(
        {"public.task": {"updated": [task(s.p, row_id=gone, title="edited offline")]}},
        last_pulled_at=s.b.cursor,
        client_id=str(s.b.client_id),
    )
    assert error.sqlstate == "PT409"
    assert json.loads(error.detail or "") == {"conflicts": {"public.task": [gone]}}
    assert snapshot(s.owner) == before
    # After a pull (which tells B of the delete) the same push re-creates the task: B's choice.
    assert gone in pull(s.b).ids("public.task", "deleted")
    s.b.push({"public.task": {"updated": [task(s.p, row_id=gone, title="edited offline")]}}, last_pulled_at=s.b.cursor)


def test_an_update_of_a_project_its_owner_hard_deleted_since_the_cursor_is_a_conflict(scene: Scene) -> None:
    s = scene
    s.a.push({"public.project_member": {"created": [member(s.p, s.b)]}})
    pull(s.b)
    with rpc.as_user(s.a.conn, user_id=s.a.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (s.p,))
        assert cur.rowcount == 1
    before = snapshot(s.owner)
    error = s.b.push_error(
        {"public.project": {"updated": [{"id": s.p, "name": "edited offline"}]}}, last_pulled_at=s.b.cursor
    )
    assert error.sqlstate == "PT409"
    assert json.loads(error.detail or "") == {"conflicts": {"public.project": [s.p]}}
    assert snapshot(s.owner) == before


def test_a_grant_revoked_within_one_pull_window_delivers_nothing(scene: Scene) -> None:
    s = scene
    s.a.push({"public.project_member": {"created": [member(s.p, s.b)]}})
    remove_member(s.a, s.b, s.p)
    got = pull(s.b)
    assert got.all_ids("created") == got.all_ids("updated") == set()
    # Ids of P go out as deleted (harmless to a device that never held them), never rows.
    assert got.all_ids("deleted") <= {s.p, *s.p_tasks, *s.p_docs, *got.ids("public.project_member", "deleted")}


def test_a_revoke_of_someone_who_still_sees_the_project_removes_nothing(scene: Scene) -> None:
    s = scene
    # A is the owner and also listed as a member: removing the membership changes nothing A sees.
    own = member(s.p, s.a, role="admin")
    s.a.push({"public.project_member": {"created": [own]}})
    pull(s.a)
    remove_member(s.a, s.a, s.p)
    got = pull(s.a)
    assert got.all_ids("deleted") == {own["id"]}


def test_hard_deletes_by_one_member_reach_every_member(example_db: Any, scene: Scene) -> None:
    s = scene
    s.a.push({"public.project_member": {"created": [member(s.p, s.b), member(s.p, s.c)]}})
    by_b = task(s.p, title="by b")
    s.b.push({"public.task": {"created": [by_b]}})
    for device in (s.a, s.b, s.c):
        pull(device)
    # B hard-deletes A's task (with its doc update, by cascade); A hard-deletes B's.
    with rpc.as_user(s.b.conn, user_id=s.b.user_id) as cur:
        cur.execute("delete from public.task where id = %s", (s.p_tasks[0],))
        assert cur.rowcount == 1
    with rpc.as_user(s.a.conn, user_id=s.a.user_id) as cur:
        cur.execute("delete from public.task where id = %s", (by_b["id"],))
        assert cur.rowcount == 1
    for device in (s.a, s.b, s.c):
        got = pull(device)
        assert got.ids("public.task", "deleted") == {s.p_tasks[0], by_b["id"]}, device.user_id
        assert got.ids("public.doc_updates", "deleted") == {s.p_docs[0]}
    # A user outside P learns nothing of it.
    dave = Device(example_db.connect(), example_db.create_user())
    assert pull(dave).all_ids("deleted") == set()
    assert pull(dave).all_ids("deleted") == set()


def test_an_outsider_reusing_a_deleted_id_rewrites_nothing_members_are_told(example_db: Any, scene: Scene) -> None:
    s = scene
    s.a.push({"public.project_member": {"created": [member(s.p, s.b)]}})
    pull(s.b)
    dave = Device(example_db.connect(), example_db.create_user())
    gone = s.p_tasks[2]
    with rpc.as_user(s.a.conn, user_id=s.a.user_id) as cur:
        cur.execute("delete from public.task where id = %s", (gone,))
    # Dave takes the freed id in his own project and deletes it again.
    mine = project()
    dave.push({"public.project": {"created": [mine]}, "public.task": {"created": [task(mine["id"], row_id=gone)]}})
    with rpc.as_user(dave.conn, user_id=dave.user_id) as cur:
        cur.execute("delete from public.task where id = %s", (gone,))
    assert pull(s.b).ids("public.task", "deleted") == {gone}
    tombstones = s.owner.execute(
        "select scope_id, owner_id from supabase_sync.tombstone where row_id = %s order by scope_id", (gone,)
    ).fetchall()
    assert sorted(tombstones) == sorted([(s.p, s.a.user_id), (mine["id"], dave.user_id)])
    # Dave's devices hear only of his own row.
    dave.cursor = None
    pull(dave)
    assert pull(dave).all_ids("deleted") == set()


def test_a_pull_from_null_lists_no_deleted_ids_and_pull_changes_from_null_does(scene: Scene) -> None:
    s = scene
    s.a.push({"public.project_member": {"created": [member(s.p, s.b)]}})
    with rpc.as_user(s.a.conn, user_id=s.a.user_id) as cur:
        cur.execute("delete from public.task where id = %s", (s.p_tasks[2],))
    move_task(s.a, s.p_tasks[1], s.p2)
    s.b.cursor = None
    fresh = pull(s.b)
    assert fresh.ids("public.task", "created") == {s.p_tasks[0]}
    assert fresh.all_ids("deleted") == set()
    # Paged, later pages carry a cursor and may name deletions (harmless), never rows B cannot see.
    s.b.cursor = None
    paged = pull(s.b, page_size=2)
    assert paged.ids("public.task", "created") == {s.p_tasks[0]}
    assert paged.all_ids("deleted") <= {s.p_tasks[1], s.p_tasks[2], s.p_docs[1]}
    wrapped = rpc.call(
        s.b.conn, "pull_changes", {"collections": None, "last_pulled_at": None}, user_id=s.b.user_id
    )
    # The Drift wrapper lists deletions from null too: the hard delete and the task moved away.
    assert set(wrapped["changes"]["public.task"]["deleted"]) == {s.p_tasks[1], s.p_tasks[2]}


def test_a_granted_scope_of_10k_rows_arrives_in_bounded_pages_each_row_once(scene: Scene) -> None:
    s = scene
    big = project(name="big")
    s.a.push({"public.project": {"created": [big]}})
    s.owner.execute(
        "insert into public.task (user_id, project_id, title) select %s, %s, 't' || g from generate_series(1, 10000) as g",
        (s.a.user_id, big["id"]),
    )
    pull(s.b)
    grant = member(big["id"], s.b)
    s.a.push({"public.project_member": {"created": [grant]}})
    got = pull(s.b, page_size=500)
    tasks = got.entries["public.task"]["created"]
    assert len(tasks) == 10_000 and len(set(tasks)) == 10_000
    assert Counter(tasks).most_common(1)[0][1] == 1
    assert got.ids("public.project", "created") == {big["id"]}
    assert got.ids("public.project_member", "created") == {grant["id"]}
    assert got.all_ids("updated") == got.all_ids("deleted") == set()
    assert max(got.page_sizes) <= 500
    assert len(got.page_sizes) >= 10_002 // 500
    expected = {str(row[0]) for row in s.owner.execute("select id from public.task where project_id = %s", (big["id"],))}
    assert set(tasks) == expected


def test_losing_a_scope_of_10k_rows_deletes_them_in_bounded_pages(scene: Scene) -> None:
    s = scene
    big = project(name="big")
    s.a.push({"public.project": {"created": [big]}, "public.project_member": {"created": [member(big["id"], s.b)]}})
    s.owner.execute(
        "insert into public.task (user_id, project_id, title) select %s, %s, 't' || g from generate_series(1, 10000) as g",
        (s.a.user_id, big["id"]),
    )
    pull(s.b)
    remove_member(s.a, s.b, big["id"])
    got = pull(s.b, page_size=500)
    deleted = got.entries["public.task"]["deleted"]
    assert len(deleted) == len(set(deleted)) == 10_000
    assert max(got.page_sizes) <= 500
    assert got.all_ids("created") == got.all_ids("updated") == set()


def test_an_ownership_transfer_of_a_project_moves_all_of_it(example_db: Any, scene: Scene) -> None:
    s = scene
    with rpc.as_user(s.a.conn, user_id=s.a.user_id) as cur:
        cur.execute("update public.project set user_id = %s where id = %s", (s.b.user_id, s.p))
    got_a = pull(s.a)
    assert {s.p, *s.p_tasks, *s.p_docs} <= got_a.all_ids("deleted")
    assert got_a.all_ids("created") == set()
    got_b = pull(s.b)
    assert got_b.ids("public.project", "created") | got_b.ids("public.project", "updated") == {s.p}
    assert got_b.ids("public.task", "created") == set(s.p_tasks)
