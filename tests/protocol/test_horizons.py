"""Retention horizons per table: PT410 only where deletions were lost, and a paged resync always completes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from helpers.protocol import Device, new_id, project, task

from supabase_sync import api, rpc

OLDER_THAN = dt.timedelta(minutes=30)


def _backdate(owner: Any) -> None:
    """Make every deletion so far an hour old (purge decides by data, not by the clock)."""
    owner.execute("update supabase_sync.tombstone set deleted_at = deleted_at - interval '1 hour'")
    for table in ("public.project", "public.task", "public.doc_updates"):
        owner.execute(f"alter table {table} disable trigger supabase_sync_stamp")
        owner.execute(
            f"update {table} set server_updated_at = server_updated_at - interval '1 hour' where deleted_at is not null"
        )
        owner.execute(f"alter table {table} enable trigger supabase_sync_stamp")


def _resync(device: Device, *, page_size: int, collections: list[str] | None = None) -> dict[str, set[str]]:
    """A paged pull from null to the end: live ids per collection. Fails on any error (PT410 included)."""
    device.cursor = None
    live: dict[str, set[str]] = {}
    for _ in range(1000):
        page = device.pull(last_pulled_at=device.cursor, page_size=page_size, collections=collections)
        for collection, change in page["changes"].items():
            ids = live.setdefault(collection, set())
            ids.update(row["id"] for row in change["created"] + change["updated"])
            ids.difference_update(change["deleted"])
        device.cursor = page["timestamp"]
        if not page["has_more"]:
            return live
    raise AssertionError("the resync did not end")


def _old_projects(alice: Device, count: int) -> list[dict]:
    rows = [project() for _ in range(count)]
    for row in rows:  # one transaction each: many versions below the horizon
        alice.push({"public.project": {"created": [row]}})
    return rows


def test_a_paged_resync_from_null_completes_after_a_purge(example_db: Any, alice: Device, owner) -> None:
    kept = _old_projects(alice, 7)
    gone = project()
    alice.push({"public.project": {"created": [gone]}})
    alice.push({"public.project": {"deleted": [gone["id"]]}})
    _backdate(owner)
    api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    newer = _old_projects(alice, 3)
    live = _resync(alice, page_size=2)
    assert live["public.project"] == {row["id"] for row in kept + newer}


def test_a_paged_resync_from_null_completes_after_a_truncate(alice: Device, owner) -> None:
    parent = _old_projects(alice, 5)[0]  # tasks belong to a project (a scope of the example)
    alice.push({"public.task": {"created": [task(parent["id"]) for _ in range(3)]}})
    owner.execute("truncate public.task cascade")
    after = [task(parent["id"]) for _ in range(3)]
    for row in after:
        alice.push({"public.task": {"created": [row]}})
    live = _resync(alice, page_size=2)
    assert live["public.task"] == {row["id"] for row in after}
    assert len(live["public.project"]) == 5


def test_a_cursor_from_before_a_purge_answers_pt410_on_pull_and_push(example_db: Any, alice: Device, owner) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}})
    cursor = alice.pull()["timestamp"]
    alice.push({"public.project": {"deleted": [row["id"]]}})
    _backdate(owner)
    api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    assert alice.pull_error(last_pulled_at=cursor).sqlstate == "PT410"
    before = owner.execute("select count(*) from public.project").fetchone()[0]
    error = alice.push_error({"public.project": {"created": [project(row["id"])]}}, last_pulled_at=cursor)
    assert error.sqlstate == "PT410"
    assert owner.execute("select count(*) from public.project").fetchone()[0] == before


def test_push_changes_below_the_horizon_answers_pt410(alice: Device, owner) -> None:
    cursor = alice.pull()["timestamp"]
    owner.execute("truncate public.project cascade")
    stamp = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=cursor)).isoformat()
    with pytest.raises(rpc.RpcError) as caught:
        rpc.call(
            alice.conn,
            "push_changes",
            {"_changes": {"public.project": {"created": [project()]}}, "last_pulled_at": stamp},
            user_id=alice.user_id,
        )
    assert caught.value.sqlstate == "PT410"


def test_a_truncate_sends_pt410_only_to_pulls_that_include_that_table(alice: Device, owner) -> None:
    alice.push({"public.project": {"created": [project()]}})
    cursor = alice.pull()["timestamp"]
    owner.execute("truncate public.doc_updates")
    assert alice.pull_error(last_pulled_at=cursor).sqlstate == "PT410"
    assert alice.pull_error(last_pulled_at=cursor, collections=["public.doc_updates"]).sqlstate == "PT410"
    other = alice.pull(last_pulled_at=cursor, collections=["public.project", "public.task"])
    assert other["has_more"] is False
    # A push of other tables with that cursor is accepted as well.
    alice.push({"public.project": {"created": [project()]}}, last_pulled_at=cursor)


def test_a_purge_moves_only_the_horizons_of_tables_it_purged(example_db: Any, alice: Device, owner) -> None:
    parent = project()
    row = task(parent["id"])
    alice.push({"public.project": {"created": [parent]}, "public.task": {"created": [row]}})
    cursor = alice.pull()["timestamp"]
    alice.push({"public.task": {"deleted": [row["id"]]}})
    _backdate(owner)
    api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    assert alice.pull_error(last_pulled_at=cursor, collections=["public.task"]).sqlstate == "PT410"
    assert alice.pull(last_pulled_at=cursor, collections=["public.project"])["has_more"] is False


def test_a_resync_started_before_a_truncate_answers_pt410_after_it(alice: Device, owner) -> None:
    # The first page gave the device rows the TRUNCATE then removed: its cursor
    # must not continue, or those rows would stay on the device.
    _old_projects(alice, 6)
    first = alice.pull(page_size=2, collections=["public.project"])
    assert first["has_more"] is True
    owner.execute("truncate public.project cascade")
    assert alice.pull_error(last_pulled_at=first["timestamp"], page_size=2).sqlstate == "PT410"


def test_a_tombstone_belongs_to_its_owner_and_no_other_user_can_overwrite_it(
    example_db: Any, alice: Device, bob: Device, owner
) -> None:
    row_id = new_id()
    alice.push({"public.project": {"created": [project(row_id)]}})
    laptop = Device(example_db.connect(), alice.user_id)
    laptop.pull_all()
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (row_id,))
    before = owner.execute(
        "select to_jsonb(t)::text from supabase_sync.tombstone as t where owner_id = %s", (alice.user_id,)
    ).fetchall()
    # Bob takes the freed id, then hard-deletes it too.
    bob.push({"public.project": {"created": [project(row_id)]}})
    with rpc.as_user(bob.conn, user_id=bob.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (row_id,))
    after = owner.execute(
        "select to_jsonb(t)::text from supabase_sync.tombstone as t where owner_id = %s", (alice.user_id,)
    ).fetchall()
    assert after == before
    assert laptop.pull_all()["public.project"] == {row_id: None}
