"""Conflicts are decided per row: reject (PT409) and last-writer-wins."""

from __future__ import annotations

import json

import pytest
from helpers.protocol import Device, project

from supabase_sync import rpc


def _use_lww(owner) -> None:
    owner.execute("update supabase_sync.synced_table set conflict_strategy = 'lww' where relid = 'public.project'::regclass")


def _name(owner, row_id: str) -> str:
    return owner.execute("select name from public.project where id = %s", (row_id,)).fetchone()[0]


def test_reject_push_of_a_row_changed_since_the_cursor_raises_pt409_naming_the_row(
    alice: Device, owner
) -> None:
    phone, laptop = alice, Device(alice.conn, alice.user_id)
    contested, untouched = project(), project()
    phone.push({"public.project": {"created": [contested, untouched]}})
    cursor = laptop.pull()["timestamp"]
    phone.push({"public.project": {"updated": [{"id": contested["id"], "name": "phone"}]}}, client_id=str(phone.client_id))
    error = laptop.push_error(
        {"public.project": {"updated": [{"id": contested["id"], "name": "laptop"}, {"id": untouched["id"], "name": "ok"}]}},
        last_pulled_at=cursor,
        client_id=str(laptop.client_id),
    )
    assert error.sqlstate == "PT409"
    assert error.status == 409
    assert json.loads(error.detail) == {"conflicts": {"public.project": [contested["id"]]}}
    assert error.hint == "pull, then push again"
    assert (_name(owner, contested["id"]), _name(owner, untouched["id"])) == ("phone", "project")
    # Pull, then push again: accepted.
    cursor = laptop.pull(last_pulled_at=cursor)["timestamp"]
    laptop.push({"public.project": {"updated": [{"id": contested["id"], "name": "laptop"}]}}, last_pulled_at=cursor)
    assert _name(owner, contested["id"]) == "laptop"


def test_reject_conflict_check_covers_deleted_ids(alice: Device, owner) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}})
    cursor = alice.pull()["timestamp"]
    alice.push({"public.project": {"updated": [{"id": row["id"], "name": "elsewhere"}]}}, client_id=str(alice.client_id))
    error = alice.push_error({"public.project": {"deleted": [row["id"]]}}, last_pulled_at=cursor)
    assert error.sqlstate == "PT409"
    assert owner.execute("select deleted_at from public.project where id = %s", (row["id"],)).fetchone()[0] is None


def test_reject_a_row_last_written_by_the_same_client_never_conflicts(alice: Device, owner) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}})
    cursor = alice.pull()["timestamp"]
    same = str(alice.client_id)
    alice.push({"public.project": {"updated": [{"id": row["id"], "name": "one"}]}}, last_pulled_at=cursor, client_id=same)
    alice.push({"public.project": {"updated": [{"id": row["id"], "name": "two"}]}}, last_pulled_at=cursor, client_id=same)
    assert _name(owner, row["id"]) == "two"


def test_reject_without_a_cursor_skips_the_conflict_check(alice: Device, owner) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}})
    alice.push({"public.project": {"updated": [{"id": row["id"], "name": "again"}]}})
    assert _name(owner, row["id"]) == "again"


def test_reject_push_of_a_row_deleted_outside_sync_since_the_cursor_conflicts(alice: Device, owner) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}})
    cursor = alice.pull()["timestamp"]
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (row["id"],))
    error = alice.push_error({"public.project": {"updated": [{"id": row["id"], "name": "edit"}]}}, last_pulled_at=cursor)
    assert error.sqlstate == "PT409"
    assert owner.execute("select count(*) from public.project where id = %s", (row["id"],)).fetchone()[0] == 0


def test_conflicts_are_per_row_not_per_table(alice: Device, owner) -> None:
    changed, other = project(), project()
    alice.push({"public.project": {"created": [changed, other]}})
    cursor = alice.pull()["timestamp"]
    alice.push({"public.project": {"updated": [{"id": changed["id"], "name": "elsewhere"}]}}, client_id=str(alice.client_id))
    alice.push({"public.project": {"updated": [{"id": other["id"], "name": "fine"}]}}, last_pulled_at=cursor)
    assert _name(owner, other["id"]) == "fine"


def test_lww_newer_client_row_wins_and_older_loses_listed_as_conflict(alice: Device, owner) -> None:
    _use_lww(owner)
    row = project(updated_at="2020-01-01T00:00:00Z")
    alice.push({"public.project": {"created": [row]}})
    cursor = alice.pull()["timestamp"]
    alice.push(
        {"public.project": {"updated": [{"id": row["id"], "name": "server", "updated_at": "2020-01-02T00:00:00Z"}]}},
        client_id=str(alice.client_id),
    )
    stale = alice.push(
        {"public.project": {"updated": [{"id": row["id"], "name": "stale", "updated_at": "2020-01-01T12:00:00Z"}]}},
        last_pulled_at=cursor,
    )
    assert stale["conflicts"] == [{"table": "public.project", "id": row["id"], "reason": "server row is newer"}]
    assert stale["applied"]["public.project"]["updated"] == 0
    assert _name(owner, row["id"]) == "server"
    newer = alice.push(
        {"public.project": {"updated": [{"id": row["id"], "name": "newer", "updated_at": "2020-01-03T00:00:00Z"}]}},
        last_pulled_at=cursor,
    )
    assert newer["conflicts"] == []
    assert _name(owner, row["id"]) == "newer"


def test_lww_row_last_written_by_the_same_client_always_wins(alice: Device, owner) -> None:
    _use_lww(owner)
    row = project(updated_at="2020-01-02T00:00:00Z")
    same = str(alice.client_id)
    alice.push({"public.project": {"created": [row]}}, client_id=same)
    response = alice.push(
        {"public.project": {"updated": [{"id": row["id"], "name": "older clock", "updated_at": "2020-01-01T00:00:00Z"}]}},
        client_id=same,
    )
    assert response["conflicts"] == []
    assert _name(owner, row["id"]) == "older clock"


def test_lww_a_row_unchanged_since_the_cursor_is_not_a_conflict(alice: Device, owner) -> None:
    # The client saw the server's latest version: its edit wins whatever the clocks say.
    _use_lww(owner)
    row = project(updated_at="2020-01-02T00:00:00Z")
    alice.push({"public.project": {"created": [row]}})
    cursor = alice.pull()["timestamp"]
    response = alice.push(
        {"public.project": {"updated": [{"id": row["id"], "name": "skewed", "updated_at": "2020-01-01T00:00:00Z"}]}},
        last_pulled_at=cursor,
    )
    assert response["conflicts"] == []
    assert _name(owner, row["id"]) == "skewed"


@pytest.mark.parametrize("strategy", ["reject", "lww"])
def test_conflict_strategy_does_not_relax_ownership(alice: Device, bob: Device, owner, strategy: str) -> None:
    owner.execute("update supabase_sync.synced_table set conflict_strategy = %s", (strategy,))
    bobs = project()
    bob.push({"public.project": {"created": [bobs]}})
    response = alice.push({"public.project": {"updated": [{"id": bobs["id"], "name": "x"}]}})
    assert response["conflicts"] == [{"table": "public.project", "id": bobs["id"], "reason": "deleted on the server"}]
    assert owner.execute("select name from public.project where id = %s", (bobs["id"],)).fetchone() == (bobs["name"],)
