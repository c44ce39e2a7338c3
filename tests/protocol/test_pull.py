"""sync_pull: what a pull returns, to whom, and when it asks for a full resync."""

from __future__ import annotations

import pytest
from helpers.protocol import SYNCED, Device, new_id, project, task

from supabase_sync import rpc
from supabase_sync.rpc import RpcError


def _ids(response: dict, collection: str, kind: str) -> set[str]:
    entries = response["changes"][collection][kind]
    return {entry if isinstance(entry, str) else entry["id"] for entry in entries}


def test_first_pull_returns_every_row_of_the_user_as_created(alice: Device) -> None:
    parent = project()
    alice.push({"public.project": {"created": [parent]}, "public.task": {"created": [task(parent["id"])]}})
    response = alice.pull()
    assert set(response["changes"]) == set(SYNCED)
    assert _ids(response, "public.project", "created") == {parent["id"]}
    assert len(response["changes"]["public.task"]["created"]) == 1
    assert response["has_more"] is False
    row = response["changes"]["public.project"]["created"][0]
    assert row["user_id"] == str(alice.user_id)
    assert {"server_version", "server_created_version", "instance_id", "deleted_at"} <= set(row)


def test_pull_never_returns_another_users_rows(alice: Device, bob: Device) -> None:
    alice.push({"public.project": {"created": [project()]}})
    bobs = project()
    bob.push({"public.project": {"created": [bobs]}})
    assert _ids(alice.pull(), "public.project", "created") != set()
    assert bobs["id"] not in _ids(alice.pull(), "public.project", "created")


def test_pull_classifies_rows_created_updated_and_deleted_since_the_cursor(alice: Device) -> None:
    old, changed, removed = project(), project(), project()
    alice.push({"public.project": {"created": [old, changed, removed]}})
    cursor = alice.pull()["timestamp"]
    fresh = project()
    alice.push(
        {"public.project": {"created": [fresh], "updated": [{"id": changed["id"], "name": "new"}], "deleted": [removed["id"]]}}
    )
    response = alice.pull(last_pulled_at=cursor)
    assert _ids(response, "public.project", "created") == {fresh["id"]}
    assert _ids(response, "public.project", "updated") == {changed["id"]}
    assert _ids(response, "public.project", "deleted") == {removed["id"]}
    assert response["timestamp"] >= cursor


def test_pull_reports_rows_deleted_outside_sync_from_tombstones(alice: Device) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}})
    cursor = alice.pull()["timestamp"]
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (row["id"],))
    response = alice.pull(last_pulled_at=cursor)
    assert response["changes"]["public.project"]["deleted"] == [row["id"]]


def test_pull_does_not_report_a_tombstone_of_a_row_that_lives_again(alice: Device) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}})
    cursor = alice.pull()["timestamp"]
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (row["id"],))
    alice.push({"public.project": {"created": [row]}})
    response = alice.pull(last_pulled_at=cursor)
    assert response["changes"]["public.project"]["deleted"] == []
    assert _ids(response, "public.project", "created") == {row["id"]}


def test_pull_with_client_id_leaves_out_own_writes_on_incremental_pulls_only(alice: Device) -> None:
    cursor = alice.pull()["timestamp"]
    mine, theirs = project(), project()
    alice.push({"public.project": {"created": [mine]}}, client_id=str(alice.client_id))
    alice.push({"public.project": {"created": [theirs]}}, client_id=new_id())
    incremental = alice.pull(last_pulled_at=cursor, client_id=str(alice.client_id))
    assert _ids(incremental, "public.project", "created") == {theirs["id"]}
    everything = alice.pull(client_id=str(alice.client_id))
    assert _ids(everything, "public.project", "created") == {mine["id"], theirs["id"]}


def test_pull_of_some_collections_returns_only_those(alice: Device) -> None:
    alice.push({"public.project": {"created": [project()]}})
    response = alice.pull(collections=["public.task"])
    assert list(response["changes"]) == ["public.task"]


@pytest.mark.parametrize("name", ["public.nope", "auth.users", "task", 'public.task"; drop table public.task; --'])
def test_pull_of_an_unknown_collection_names_it_and_lists_the_synced_tables(alice: Device, name: str) -> None:
    error = alice.pull_error(collections=["public.task", name])
    assert error.sqlstate == "22023"
    assert error.status == 400
    assert error.message.startswith("supabase_sync:")
    assert name[:40] in error.message
    assert error.hint is not None and "public.task" in error.hint and "public.project" in error.hint


def test_cursor_is_an_integer_below_2_to_the_53_and_never_decreases(alice: Device) -> None:
    first = alice.pull()["timestamp"]
    alice.push({"public.project": {"created": [project()]}})
    second = alice.pull(last_pulled_at=first)["timestamp"]
    assert isinstance(first, int) and 0 < first <= second < 2**53


@pytest.mark.parametrize("cursor", [-1, 2**53, 2**53 + 1])
def test_pull_rejects_a_cursor_out_of_range(alice: Device, cursor: int) -> None:
    error = alice.pull_error(last_pulled_at=cursor)
    assert error.sqlstate == "22023"
    assert error.hint


def test_pull_with_a_cursor_from_another_database_requires_a_full_resync(alice: Device) -> None:
    error = alice.pull_error(last_pulled_at=2**52)
    assert error.sqlstate == "PT410"
    assert error.status == 410
    assert error.message == "supabase_sync: cursor too old, full resync required"
    assert error.detail and "last_pulled_at null" in (error.hint or "")


def test_pull_with_a_cursor_older_than_the_retention_horizon_requires_a_full_resync(alice: Device, owner) -> None:
    cursor = alice.pull()["timestamp"]
    alice.push({"public.project": {"created": [project()]}})
    owner.execute("update supabase_sync.synced_table set horizon = pg_current_xact_id() where relid = 'public.project'::regclass")
    assert alice.pull_error(last_pulled_at=cursor).sqlstate == "PT410"
    assert alice.pull()["changes"]["public.project"]["created"]


def test_truncate_of_a_synced_table_makes_older_cursors_resync(alice: Device, owner) -> None:
    alice.push({"public.project": {"created": [project()]}})
    cursor = alice.pull()["timestamp"]
    owner.execute("truncate public.doc_updates")
    assert alice.pull_error(last_pulled_at=cursor).sqlstate == "PT410"


def test_pull_page_size_must_be_between_1_and_100000(alice: Device) -> None:
    assert alice.pull_error(page_size=0).sqlstate == "22023"
    assert alice.pull_error(page_size=100_001).sqlstate == "22023"


def test_pull_by_a_caller_without_a_user_is_refused(alice: Device) -> None:
    with pytest.raises(RpcError) as caught:
        rpc.call(alice.conn, "sync_pull", {}, role="authenticated")
    assert caught.value.sqlstate == "42501"
    assert caught.value.message.startswith("supabase_sync:")


@pytest.mark.parametrize(
    ("function", "args"),
    [
        ("sync_pull", {}),
        ("sync_push", {"changes": {}}),
        ("pull_changes", {"collections": None, "last_pulled_at": None}),
        ("push_changes", {"_changes": {}, "last_pulled_at": None}),
    ],
)
def test_anon_cannot_call_the_sync_functions(alice: Device, function: str, args: dict) -> None:
    with pytest.raises(RpcError) as caught:
        rpc.call(alice.conn, function, args)
    assert caught.value.sqlstate == "42501"
    assert caught.value.status == 401

