"""sync_push: validation, allow-list, ownership, merging, dependency order, idempotency."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from helpers.protocol import Device, new_id, project, snapshot, task

from supabase_sync import rpc
from supabase_sync.rpc import RpcError


def _row(owner, table: str, row_id: str) -> dict[str, Any] | None:
    found = owner.execute(f"select to_jsonb(t) from {table} as t where id = %s", (row_id,)).fetchone()  # noqa: S608
    return None if found is None else found[0]


def test_push_creates_updates_and_soft_deletes_rows(alice: Device, owner) -> None:
    kept, renamed, removed = project(), project(), project()
    alice.push({"public.project": {"created": [kept, renamed, removed]}})
    response = alice.push(
        {"public.project": {"updated": [{"id": renamed["id"], "name": "renamed"}], "deleted": [removed["id"]]}}
    )
    assert response == {
        "applied": {"public.project": {"created": 0, "updated": 1, "deleted": 1}},
        "conflicts": [],
        "ignored": {},
        "ignored_columns": {},
    }
    assert _row(owner, "public.project", renamed["id"])["name"] == "renamed"
    assert _row(owner, "public.project", removed["id"])["deleted_at"] is not None
    assert _row(owner, "public.project", kept["id"])["deleted_at"] is None


def test_push_forces_the_owner_column_to_the_caller(alice: Device, bob: Device, owner) -> None:
    row = project(user_id=str(bob.user_id))
    response = alice.push({"public.project": {"created": [row]}})
    assert response["ignored_columns"] == {}
    assert _row(owner, "public.project", row["id"])["user_id"] == str(alice.user_id)


def test_push_stamps_the_server_columns_and_instance_id_whatever_the_client_sends(alice: Device, owner) -> None:
    row = project(server_version="1", server_created_at="2000-01-01T00:00:00Z", instance_id=new_id())
    response = alice.push({"public.project": {"created": [row]}}, client_id=str(alice.client_id))
    assert response["ignored_columns"] == {"public.project": ["instance_id", "server_created_at", "server_version"]}
    stored = _row(owner, "public.project", row["id"])
    assert stored["instance_id"] == str(alice.client_id)
    assert stored["server_version"] != "1"
    assert not stored["server_created_at"].startswith("2000")


def test_push_refuses_row_owned_by_another_user_per_row(alice: Device, bob: Device, owner) -> None:
    bobs = project(name="bob's")
    bob.push({"public.project": {"created": [bobs]}})
    for part in ("created", "updated"):
        before = owner.execute("select to_jsonb(t) from public.project as t where id = %s", (bobs["id"],)).fetchone()
        mine = project()
        response = alice.push({"public.project": {part: [mine, {"id": bobs["id"], "name": "mine now"}]}})
        assert response["conflicts"] == [{"table": "public.project", "id": bobs["id"], "reason": "deleted on the server"}]
        assert response["applied"]["public.project"]["created"] == 1
        assert str(bob.user_id) not in str(response)
        assert _row(owner, "public.project", mine["id"])["user_id"] == str(alice.user_id)
        after = owner.execute("select to_jsonb(t) from public.project as t where id = %s", (bobs["id"],)).fetchone()
        assert after == before


def test_push_ignores_and_counts_deletes_of_rows_not_owned_or_missing(alice: Device, bob: Device, owner) -> None:
    bobs = project()
    bob.push({"public.project": {"created": [bobs]}})
    response = alice.push({"public.project": {"deleted": [bobs["id"], new_id()]}})
    assert response["applied"]["public.project"]["deleted"] == 0
    assert response["ignored"] == {"public.project": {"deleted": 2}}
    assert _row(owner, "public.project", bobs["id"])["deleted_at"] is None


@pytest.mark.parametrize(
    "collection",
    [
        "public.nope",
        "auth.users",
        "public.unsynced",
        "PUBLIC.PROJECT",
        "public.project; drop table public.task; --",
        'public."project"',
        "supabase_sync.meta",
    ],
)
def test_push_rejects_a_table_that_is_not_synced_and_changes_nothing(
    alice: Device, owner, collection: str
) -> None:
    owner.execute("create table if not exists public.unsynced (id uuid primary key, user_id uuid)")
    before = snapshot(owner)
    error = alice.push_error({"public.project": {"created": [project()]}, collection: {"created": [{"id": new_id()}]}})
    assert error.sqlstate == "22023"
    assert error.status == 400
    assert collection[:40] in error.message
    assert "public.project" in (error.hint or "")
    assert snapshot(owner) == before
    assert owner.execute("select to_regclass('public.task') is not null").fetchone()[0]


def test_push_ignores_keys_that_are_not_columns_and_never_interpolates_them(alice: Device, owner) -> None:
    hostile = 'name" = null; drop table public.task; --'
    row = project(**{"isRemote": True, "_status": "created", hostile: "x", "Name": "other"})
    response = alice.push({"public.project": {"created": [row]}})
    assert response["ignored_columns"] == {"public.project": sorted(["isRemote", "_status", hostile, "Name"])}
    assert _row(owner, "public.project", row["id"])["name"] == "project"
    assert owner.execute("select to_regclass('public.task') is not null").fetchone()[0]


@pytest.mark.parametrize(
    ("value", "column"),
    [({"done": "maybe"}, "done"), ({"position": "first"}, "position"), ({"due_on": "yesterday-ish"}, "due_on")],
)
def test_push_rejects_a_wrong_type_naming_the_table_row_and_column(
    alice: Device, owner, value: dict, column: str
) -> None:
    parent = project()
    good, bad = task(parent["id"]), task(parent["id"], **value)
    before = snapshot(owner)
    error = alice.push_error({"public.project": {"created": [parent]}, "public.task": {"created": [good, bad]}})
    assert error.sqlstate == "22P02"
    assert error.message.startswith(f"supabase_sync: sync_push: public.task row {bad['id']} column {column}:")
    assert snapshot(owner) == before


def test_push_rejects_a_malformed_id(alice: Device, owner) -> None:
    before = snapshot(owner)
    error = alice.push_error({"public.project": {"created": [project("not-a-uuid")]}})
    assert error.sqlstate == "22P02"
    assert "public.project row not-a-uuid column id" in error.message
    error = alice.push_error({"public.project": {"deleted": ["not-a-uuid"]}})
    assert error.sqlstate == "22P02"
    assert "not-a-uuid" in error.message
    assert snapshot(owner) == before


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([], "changes must be a JSON object"),
        ("public.project", "changes must be a JSON object"),
        (None, "changes must be a JSON object"),
        ({"public.project": []}, "must be a JSON object"),
        ({"public.project": {"created": {}}}, "created must be an array"),
        ({"public.project": {"upserted": []}}, "unknown key 'upserted'"),
        ({"public.project": {"created": [None]}}, "created[0] must be a row (JSON object), not null"),
        ({"public.project": {"updated": [{"name": "x"}]}}, "updated[0] has no id"),
        ({"public.project": {"created": [{"id": None}]}}, "created[0] has no id"),
        ({"public.project": {"created": [{"id": {"a": 1}}]}}, "created[0] has an id of type object"),
        ({"public.project": {"created": [[1]]}}, "created[0] must be a row (JSON object), not array"),
        ({"public.project": {"deleted": [None]}}, "deleted[0] must be an id or a row"),
        ({"public.project": {"deleted": [{"name": "x"}]}}, "deleted[0] has no id"),
    ],
)
def test_push_rejects_a_malformed_payload_naming_the_entry(
    alice: Device, owner, changes: Any, expected: str
) -> None:
    before = snapshot(owner)
    error = alice.push_error(changes)
    assert error.sqlstate == "22023"
    assert error.message.startswith("supabase_sync: sync_push: ")
    assert expected in error.message
    assert error.hint
    assert snapshot(owner) == before


def test_push_rejects_more_entries_than_the_limit(alice: Device, owner) -> None:
    owner.execute("update supabase_sync.meta set value = '5' where key = 'max_push_rows'")
    before = snapshot(owner)
    rows = [project() for _ in range(4)]
    error = alice.push_error({"public.project": {"created": rows, "deleted": [new_id(), new_id()]}})
    assert error.sqlstate == "22023"
    assert "push has 6 entries, the limit is 5" in error.message
    assert snapshot(owner) == before
    assert alice.push({"public.project": {"created": rows}})["applied"]["public.project"]["created"] == 4


def test_push_merges_the_same_id_sent_twice_later_entries_winning(alice: Device, owner) -> None:
    row = project(name="first", color="red")
    response = alice.push(
        {"public.project": {"created": [row], "updated": [{"id": row["id"], "name": "second"}, {"id": row["id"], "name": "third"}]}}
    )
    assert response["applied"]["public.project"] == {"created": 1, "updated": 0, "deleted": 0}
    stored = _row(owner, "public.project", row["id"])
    assert (stored["name"], stored["color"]) == ("third", "red")


def test_push_writes_tables_in_dependency_order_whatever_the_key_order(alice: Device, owner) -> None:
    parent = project()
    child = task(parent["id"])
    note = {"id": new_id(), "task_id": child["id"], "update_base64": "AAEC"}
    changes = {"public.doc_updates": {"created": [note]}, "public.task": {"created": [child]}, "public.project": {"created": [parent]}}
    assert alice.push(changes)["applied"]["public.doc_updates"]["created"] == 1
    # Hard-deleting a parent cascades; soft deletes go children first, and all succeed in one push.
    response = alice.push(
        {"public.project": {"deleted": [parent["id"]]}, "public.task": {"deleted": [child["id"]]}, "public.doc_updates": {"deleted": [note["id"]]}}
    )
    assert {name: counts["deleted"] for name, counts in response["applied"].items()} == {
        "public.project": 1,
        "public.task": 1,
        "public.doc_updates": 1,
    }


def test_push_fills_absent_keys_of_new_rows_with_column_defaults(alice: Device, owner) -> None:
    parent = project()
    alice.push({"public.project": {"created": [parent]}})
    child = {"id": new_id(), "project_id": parent["id"], "title": "only a title"}
    alice.push({"public.task": {"created": [child]}})
    stored = _row(owner, "public.task", child["id"])
    assert (stored["done"], stored["position"], stored["notes"]) == (False, 0, None)
    assert stored["created_at"] is not None and stored["updated_at"] is not None


def test_push_update_writes_only_the_keys_sent(alice: Device, owner) -> None:
    parent = project()
    child = task(parent["id"], notes="keep me", position=7)
    alice.push({"public.project": {"created": [parent]}, "public.task": {"created": [child]}})
    alice.push({"public.task": {"updated": [{"id": child["id"], "done": True}]}})
    stored = _row(owner, "public.task", child["id"])
    assert (stored["done"], stored["notes"], stored["position"], stored["title"]) == (True, "keep me", 7, "task")


def test_push_can_set_a_column_to_null_explicitly(alice: Device, owner) -> None:
    parent = project()
    child = task(parent["id"], notes="to clear")
    alice.push({"public.project": {"created": [parent]}, "public.task": {"created": [child]}})
    alice.push({"public.task": {"updated": [{"id": child["id"], "notes": None}]}})
    assert _row(owner, "public.task", child["id"])["notes"] is None


def test_push_of_null_into_a_not_null_column_names_the_row(alice: Device, owner) -> None:
    before = snapshot(owner)
    row = project(name=None)
    error = alice.push_error({"public.project": {"created": [project(), row]}})
    assert error.sqlstate == "23502"
    assert f"public.project row {row['id']} column name must not be null" in error.message
    assert snapshot(owner) == before


def test_push_with_a_push_id_applies_once_and_replays_the_first_response(alice: Device, owner) -> None:
    push_id = str(uuid.uuid4())
    row = project()
    first = alice.push({"public.project": {"created": [row]}}, push_id=push_id)
    version = _row(owner, "public.project", row["id"])["server_version"]
    again = alice.push({"public.project": {"created": [row]}}, push_id=push_id)
    assert again == first
    stored = _row(owner, "public.project", row["id"])
    assert (stored["server_version"], stored["name"]) == (version, "project")


def test_push_ids_are_per_user(alice: Device, bob: Device) -> None:
    push_id = str(uuid.uuid4())
    alice.push({"public.project": {"created": [project()]}}, push_id=push_id)
    response = bob.push({"public.project": {"created": [project()]}}, push_id=push_id)
    assert response["applied"]["public.project"]["created"] == 1


def test_a_failed_push_changes_nothing(alice: Device, owner) -> None:
    parent = project()
    alice.push({"public.project": {"created": [parent]}})
    before = snapshot(owner)
    error = alice.push_error(
        {
            "public.project": {"created": [project()], "updated": [{"id": parent["id"], "name": "changed"}]},
            "public.task": {"created": [task(parent["id"], done="not a boolean")]},
        }
    )
    assert error.sqlstate == "22P02"
    assert snapshot(owner) == before


def test_push_by_a_caller_without_a_user_is_refused(alice: Device) -> None:
    with pytest.raises(RpcError) as caught:
        rpc.call(alice.conn, "sync_push", {"changes": {}}, role="authenticated")
    assert caught.value.sqlstate == "42501"


def test_push_with_a_cursor_from_another_database_requires_a_full_resync(alice: Device) -> None:
    assert alice.push_error({"public.project": {"created": [project()]}}, last_pulled_at=2**52).sqlstate == "PT410"


def test_push_response_is_json_serialisable_and_stable(alice: Device) -> None:
    response = alice.push({"public.project": {"created": [project(isRemote=False)]}})
    assert json.loads(json.dumps(response)) == response
    assert set(response) == {"applied", "conflicts", "ignored", "ignored_columns"}


@pytest.fixture
def orders(example_db: Any) -> str:
    """A synced table keyed by ``order_no`` (no column ``id``), enabled as the project owner would."""
    import psycopg

    from supabase_sync import api

    with psycopg.connect(example_db.owner_dsn, autocommit=True) as conn:
        conn.execute(
            "create table public.purchase (order_no uuid primary key,"
            " user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,"
            " item text not null default '', quantity integer)"
        )
    api.enable(["public.purchase"], db_url=example_db.owner_dsn, add_missing_columns=True)
    return "public.purchase"


def _order(owner, order_no: str) -> tuple[Any, ...] | None:
    return owner.execute(
        "select item, quantity, deleted_at is not null from public.purchase where order_no = %s", (order_no,)
    ).fetchone()


def test_push_reads_each_row_by_the_tables_id_column(alice: Device, bob: Device, owner, orders: str) -> None:
    tea, cake, upper = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()).upper()
    created = alice.push({orders: {"created": [{"order_no": tea, "item": "tea"}, {"order_no": cake, "item": "cake"}]}})
    assert created["applied"] == {orders: {"created": 2, "updated": 0, "deleted": 0}}
    assert created["ignored_columns"] == {}
    # The same id twice (created and updated, one of them upper-case) is one row, merged.
    merged = alice.push(
        {orders: {"created": [{"order_no": upper, "item": "jam"}], "updated": [{"order_no": upper.lower(), "quantity": 3}]}}
    )
    assert merged["applied"][orders]["created"] == 1
    assert _order(owner, upper.lower()) == ("jam", 3, False)
    # An update writes only the keys sent; a key "id" is not a column of this table: ignored, never an id.
    updated = alice.push({orders: {"updated": [{"order_no": tea, "quantity": 2, "id": cake}]}})
    assert updated["applied"][orders]["updated"] == 1
    assert updated["ignored_columns"] == {orders: ["id"]}
    assert (_order(owner, tea), _order(owner, cake)) == (("tea", 2, False), ("cake", None, False))
    # Deleted entries are ids or rows keyed by the id column.
    deleted = alice.push({orders: {"deleted": [cake, {"order_no": upper.lower()}]}})
    assert deleted["applied"][orders]["deleted"] == 2
    assert _order(owner, cake)[2] and _order(owner, upper.lower())[2]
    # Another user's row is refused per row by its id column; a row without its id column is malformed.
    refused = bob.push({orders: {"updated": [{"order_no": tea, "item": "stolen"}]}})
    assert refused["conflicts"] == [{"table": orders, "id": tea, "reason": "deleted on the server"}]
    error = alice.push_error({orders: {"created": [{"id": str(uuid.uuid4()), "item": "no order_no"}]}})
    assert (error.sqlstate, "created[0] has no id" in error.message) == ("22023", True)
    assert '"order_no"' in error.detail
    error = alice.push_error({orders: {"created": [{"order_no": "not-a-uuid"}]}})
    assert (error.sqlstate, f"{orders} row not-a-uuid column order_no" in error.message) == ("22P02", True)
    assert _order(owner, tea) == ("tea", 2, False)


def test_push_conflicts_and_pulls_name_rows_by_the_tables_id_column(alice: Device, owner, orders: str) -> None:
    phone, laptop = alice, Device(alice.conn, alice.user_id)
    contested, gone = str(uuid.uuid4()), str(uuid.uuid4())
    phone.push({orders: {"created": [{"order_no": contested, "item": "tea"}, {"order_no": gone, "item": "cake"}]}})
    cursor = laptop.pull(collections=[orders])["timestamp"]
    phone.push({orders: {"updated": [{"order_no": contested, "item": "phone"}]}}, client_id=str(phone.client_id))
    error = laptop.push_error(
        {orders: {"updated": [{"order_no": contested, "item": "laptop"}]}},
        last_pulled_at=cursor,
        client_id=str(laptop.client_id),
    )
    assert error.sqlstate == "PT409"
    assert json.loads(error.detail) == {"conflicts": {orders: [contested]}}
    # Soft and hard deletes come back in the pull's deleted list by the id column's value.
    phone.push({orders: {"deleted": [gone]}}, client_id=str(phone.client_id))
    pulled = laptop.pull(collections=[orders], last_pulled_at=cursor)
    assert [row["order_no"] for row in pulled["changes"][orders]["updated"]] == [contested]
    assert pulled["changes"][orders]["deleted"] == [gone]
    owner.execute("delete from public.purchase where order_no = %s", (contested,))
    later = laptop.pull(collections=[orders], last_pulled_at=pulled["timestamp"])
    assert later["changes"][orders]["deleted"] == [contested]
    # lww: the newer client row wins, the older loses, each named by its id column.
    owner.execute("update supabase_sync.synced_table set conflict_strategy = 'lww' where relid = %s::regclass", (orders,))
    fresh = str(uuid.uuid4())
    phone.push({orders: {"created": [{"order_no": fresh, "item": "a", "updated_at": "2026-01-02T00:00:00Z"}]}})
    lost = laptop.push(
        {orders: {"updated": [{"order_no": fresh, "item": "old", "updated_at": "2026-01-01T00:00:00Z"}]}},
        client_id=str(laptop.client_id),
    )
    assert lost["conflicts"] == [{"table": orders, "id": fresh, "reason": "server row is newer"}]
    assert _order(owner, fresh)[0] == "a"


def _facts_are_current(owner, table: str) -> bool:
    found = owner.execute(
        "select pf.fingerprint = supabase_sync.catalog_fingerprint(pf.relid) from supabase_sync.push_facts as pf"
        " where pf.relid = %s::regclass",
        (table,),
    ).fetchone()
    return bool(found and found[0])


def test_a_push_after_a_ddl_change_writes_the_tables_current_columns(alice: Device, owner, orders: str) -> None:
    assert _facts_are_current(owner, orders)  # enable stored what the push needs of the table
    owner.execute("alter table public.purchase add column colour text default 'blue'")
    assert not _facts_are_current(owner, orders)
    # Rows with and without the new column in one push: the absent key takes the column's default.
    red, plain = str(uuid.uuid4()), str(uuid.uuid4())
    alice.push({orders: {"created": [{"order_no": red, "colour": "red"}, {"order_no": plain}]}})
    assert _facts_are_current(owner, orders)  # the push derived and stored them afresh
    owner.execute("alter table public.purchase alter column colour set default 'green'")
    green = str(uuid.uuid4())
    alice.push({orders: {"created": [{"order_no": str(uuid.uuid4()), "colour": "red"}, {"order_no": green}]}})
    colours = dict(owner.execute("select order_no::text, colour from public.purchase").fetchall())
    assert (colours[red], colours[plain], colours[green]) == ("red", "blue", "green")
    owner.execute("alter table public.purchase alter column quantity type bigint")
    alice.push({orders: {"updated": [{"order_no": red, "quantity": 2**40}]}})
    assert owner.execute("select quantity from public.purchase where order_no = %s", (red,)).fetchone() == (2**40,)
    owner.execute("alter table public.purchase rename column item to label")
    renamed = alice.push({orders: {"updated": [{"order_no": red, "label": "tea", "item": "x"}]}})
    assert renamed["ignored_columns"] == {orders: ["item"]}
    owner.execute("alter table public.purchase drop column colour")
    dropped = alice.push({orders: {"updated": [{"order_no": red, "colour": "blue"}]}})
    assert dropped["ignored_columns"] == {orders: ["colour"]}
    assert owner.execute("select label from public.purchase where order_no = %s", (red,)).fetchone() == ("tea",)


def test_a_foreign_key_added_after_enable_is_checked_as_the_caller(
    alice: Device, bob: Device, owner, orders: str
) -> None:
    bobs = project()
    bob.push({"public.project": {"created": [bobs]}})
    owner.execute("alter table public.purchase add column project_id uuid references public.project (id)")
    error = alice.push_error({orders: {"created": [{"order_no": str(uuid.uuid4()), "project_id": bobs["id"]}]}})
    assert error.sqlstate == "23503"
    assert f"references public.project {bobs['id']}, which does not exist" in error.message


def test_an_api_user_cannot_put_anything_into_the_push_facts(alice: Device, owner, orders: str) -> None:
    before = owner.execute("select to_jsonb(pf) from supabase_sync.push_facts as pf where relid = %s::regclass", (orders,))
    expected = before.fetchone()
    with rpc.as_user(alice.conn, user_id=str(alice.user_id)) as cur:
        cur.execute(
            "update supabase_sync.push_facts set columns = '{item, \"x; drop table public.purchase\"}',"
            " column_defaults = '{now(), now()}', fingerprint = 'forged' where relid = %s::regclass",
            (orders,),
        )
    after = owner.execute("select to_jsonb(pf) from supabase_sync.push_facts as pf where relid = %s::regclass", (orders,))
    assert after.fetchone() == expected
    assert _facts_are_current(owner, orders)
