"""pull_changes / push_changes: the Drift-compatible wrappers, and a replay of a Drift client's loop."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from helpers.protocol import Device, new_id, project, task

from supabase_sync import rpc
from supabase_sync.rpc import RpcError

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def as_time(cursor: int) -> str:
    """What a Drift client sends back: the `timestamp` (epoch ms) as a DateTime."""
    return (EPOCH + dt.timedelta(milliseconds=cursor)).isoformat()


def pull_changes(device: Device, last_pulled_at: str | None, collections: list[str] | None = None) -> dict[str, Any]:
    return rpc.call(
        device.conn, "pull_changes", {"collections": collections, "last_pulled_at": last_pulled_at}, user_id=device.user_id
    )


def push_changes(device: Device, changes: dict[str, Any], last_pulled_at: str | None) -> str:
    return rpc.call(device.conn, "push_changes", {"_changes": changes, "last_pulled_at": last_pulled_at}, user_id=device.user_id)


def test_pull_changes_answers_changes_and_an_epoch_millisecond_timestamp_without_has_more(alice: Device) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}})
    response = pull_changes(alice, None, ["public.project"])
    assert set(response) == {"changes", "timestamp"}
    assert [r["id"] for r in response["changes"]["public.project"]["created"]] == [row["id"]]
    assert isinstance(response["timestamp"], int)


def test_the_timestamp_converts_back_to_the_same_cursor(alice: Device) -> None:
    first = pull_changes(alice, None)
    row = project()
    alice.push({"public.project": {"created": [row]}})
    again = pull_changes(alice, as_time(first["timestamp"]))
    assert [r["id"] for r in again["changes"]["public.project"]["created"]] == [row["id"]]
    same = alice.pull(last_pulled_at=first["timestamp"])
    assert same["changes"]["public.project"] == again["changes"]["public.project"]


@pytest.mark.parametrize("start", [None, "1970-01-01T00:00:00Z"])
def test_pull_changes_from_null_or_the_epoch_returns_everything(alice: Device, start: str | None) -> None:
    alice.push({"public.project": {"created": [project(), project()]}})
    assert len(pull_changes(alice, start)["changes"]["public.project"]["created"]) == 2


def test_pull_changes_pages_by_the_default_page_size_and_its_cursor_continues(alice: Device, owner) -> None:
    owner.execute("update supabase_sync.meta set value = '2' where key = 'default_page_size'")
    rows = [project() for _ in range(5)]
    alice.push({"public.project": {"created": rows}})
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        answer = pull_changes(alice, None if cursor is None else as_time(cursor), ["public.project"])
        page = [row["id"] for row in answer["changes"]["public.project"]["created"]]
        page += [row["id"] for row in answer["changes"]["public.project"]["updated"]]
        assert len(page) <= 2
        seen += page
        if answer["timestamp"] == cursor:
            break
        cursor = answer["timestamp"]
    assert sorted(set(seen)) == sorted(row["id"] for row in rows)


def test_push_changes_returns_the_cursor_it_was_given_or_the_epoch(alice: Device) -> None:
    cursor = pull_changes(alice, None)["timestamp"]
    answered = push_changes(alice, {"public.project": {"created": [project()]}}, as_time(cursor))
    assert dt.datetime.fromisoformat(answered) == EPOCH + dt.timedelta(milliseconds=cursor)
    assert dt.datetime.fromisoformat(push_changes(alice, {}, None)) == EPOCH


def test_push_changes_applies_the_same_security_rules(alice: Device, bob: Device, owner) -> None:
    bobs = project()
    bob.push({"public.project": {"created": [bobs]}})
    push_changes(alice, {"public.project": {"updated": [{"id": bobs["id"], "name": "x"}]}}, None)
    assert owner.execute("select name from public.project where id = %s", (bobs["id"],)).fetchone() == (bobs["name"],)
    with pytest.raises(RpcError) as caught:
        push_changes(alice, {"auth.users": {"created": [{"id": new_id()}]}}, None)
    assert caught.value.sqlstate == "22023"


def test_push_changes_reports_reject_conflicts_as_pt409(alice: Device) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}})
    cursor = pull_changes(alice, None)["timestamp"]
    alice.push({"public.project": {"updated": [{"id": row["id"], "name": "other device"}]}}, client_id=new_id())
    with pytest.raises(RpcError) as caught:
        push_changes(alice, {"public.project": {"updated": [{"id": row["id"], "name": "stale"}]}}, as_time(cursor))
    assert caught.value.sqlstate == "PT409"


def test_pull_changes_answers_a_wall_clock_cursor_with_everything_and_a_real_cursor(alice: Device) -> None:
    # A Drift client upgraded from hand-written functions still holds a wall-clock
    # time. It knows no PT410, so the wrappers resync it: everything, then our cursor.
    kept, deleted = project(), project()
    alice.push({"public.project": {"created": [kept, deleted]}})
    alice.push({"public.project": {"deleted": [deleted["id"]]}})
    answer = pull_changes(alice, "2024-05-01T00:00:00Z")
    assert [row["id"] for row in answer["changes"]["public.project"]["created"]] == [kept["id"]]
    assert answer["changes"]["public.project"]["deleted"] == [deleted["id"]]
    assert answer["timestamp"] == pull_changes(alice, None)["timestamp"]


def test_push_changes_with_a_wall_clock_cursor_applies_without_a_conflict_check(alice: Device) -> None:
    row = project()
    alice.push({"public.project": {"created": [row]}}, client_id=new_id())
    answered = push_changes(
        alice, {"public.project": {"updated": [{"id": row["id"], "name": "from drift"}]}}, "2024-05-01T00:00:00Z"
    )
    assert dt.datetime.fromisoformat(answered) == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    assert pull_changes(alice, None)["changes"]["public.project"]["created"][0]["name"] == "from drift"


def test_sync_pull_still_answers_a_cursor_from_the_future_with_pt410(alice: Device) -> None:
    with pytest.raises(RpcError) as caught:
        alice.pull(last_pulled_at=1_714_521_600_000)  # a wall-clock time in ms, not one of our cursors
    assert caught.value.sqlstate == "PT410"


class DriftClient:
    """A replay of what the seed's Drift client does: local tables, pull-apply-push.

    Local rows carry Drift's bookkeeping (`isRemote`); a local delete is sent
    both in `updated` and in `deleted`, as whole row objects.
    """

    def __init__(self, device: Device) -> None:
        self.device = device
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}
        self.pending: dict[str, dict[str, dict[str, Any]]] = {}
        self.deleted: dict[str, dict[str, dict[str, Any]]] = {}
        self.last_pulled_at: str | None = None

    def write(self, collection: str, row: dict[str, Any]) -> None:
        local = {**self.rows.get(collection, {}).get(row["id"], {}), **row, "isRemote": False}
        self.rows.setdefault(collection, {})[row["id"]] = local
        self.pending.setdefault(collection, {})[row["id"]] = local

    def delete(self, collection: str, row_id: str) -> None:
        local = {**self.rows[collection].pop(row_id), "deleted_at": dt.datetime.now(dt.UTC).isoformat()}
        self.pending.setdefault(collection, {})[row_id] = local
        self.deleted.setdefault(collection, {})[row_id] = local

    def sync(self) -> None:
        response = pull_changes(self.device, self.last_pulled_at)
        for collection, change in response["changes"].items():
            table = self.rows.setdefault(collection, {})
            for row in change["created"] + change["updated"]:
                if row["id"] not in self.pending.get(collection, {}):
                    table[row["id"]] = {**row, "isRemote": True}
            for row_id in change["deleted"]:
                table.pop(row_id, None)
        pulled_at = as_time(response["timestamp"])
        changes: dict[str, Any] = {}
        for collection in set(self.pending) | set(self.deleted):
            created = [r for r in self.pending.get(collection, {}).values() if "server_version" not in r]
            updated = [r for r in self.pending.get(collection, {}).values() if "server_version" in r]
            changes[collection] = {"created": created, "updated": updated, "deleted": list(self.deleted.get(collection, {}).values())}
        answered = push_changes(self.device, changes, pulled_at)
        assert dt.datetime.fromisoformat(answered) == dt.datetime.fromisoformat(pulled_at)
        self.pending.clear()
        self.deleted.clear()
        self.last_pulled_at = pulled_at


def test_a_drift_client_pull_apply_push_loop_converges_with_the_server(alice: Device, owner) -> None:
    phone, tablet = DriftClient(alice), DriftClient(Device(alice.conn, alice.user_id))
    parent = project(name="groceries")
    phone.write("public.project", parent)
    milk, bread = task(parent["id"], title="milk"), task(parent["id"], title="bread")
    phone.write("public.task", milk)
    phone.write("public.task", bread)
    phone.sync()
    tablet.sync()
    tablet.sync()  # now it holds the server versions
    assert set(tablet.rows["public.task"]) == {milk["id"], bread["id"]}
    # Edits on both sides, a delete sent Drift-style (in updated and in deleted, whole rows).
    tablet.write("public.task", {**tablet.rows["public.task"][milk["id"]], "done": True})
    tablet.delete("public.task", bread["id"])
    tablet.sync()
    phone.sync()
    phone.sync()
    stored = owner.execute(
        "select id::text, done, deleted_at is not null from public.task where user_id = %s", (alice.user_id,)
    ).fetchall()
    assert sorted(stored) == sorted([(milk["id"], True, False), (bread["id"], False, True)])
    assert set(phone.rows["public.task"]) == {milk["id"]}
    assert phone.rows["public.task"][milk["id"]]["done"] is True
    assert set(tablet.rows["public.task"]) == {milk["id"]}
