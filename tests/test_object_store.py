"""`object-store`: a ready synced table for objects of any model, last writer wins, as two users.

The Realm seed app's "plan B" store (owner, model name, uid, JSON data,
modify_at) as one table: created and enabled in the sandbox, then synced by
two users through supabase_sync.rpc like any synced table.
"""

from __future__ import annotations

import json
import uuid

import pytest
from click.testing import CliRunner

from supabase_sync import api, rpc
from supabase_sync.cli import cli, main
from supabase_sync.errors import RpcError, TableError
from supabase_sync.migrations import apply_migrations


@pytest.fixture
def store_db(installed_db):
    api.object_store(db_url=installed_db.owner_dsn)
    return installed_db


def push(conn, user, changes, **args):
    return rpc.call(conn, "sync_push", {"changes": {"public.sync_object": changes}, **args}, user_id=user)


def pull(conn, user, **args):
    return rpc.call(conn, "sync_pull", {"collections": ["public.sync_object"], **args}, user_id=user)["changes"][
        "public.sync_object"
    ]


def note(uid: str, text: str, modify_at: str) -> dict:
    return {"id": uid, "model": "Note", "data": {"text": text}, "updated_at": modify_at}


def test_the_store_is_created_and_enabled_healthy_with_lww(store_db):
    report = api.status(db_url=store_db.owner_dsn)
    (table,) = [t for t in report.tables if t.table == "public.sync_object"]
    assert table.passed, table.gaps
    assert table.conflict_strategy == "lww"
    again = api.object_store(db_url=store_db.owner_dsn)
    assert (again.create.changed, again.enable.changed) == (False, False)


def test_two_users_sync_their_own_objects_only(store_db):
    ann, bob = store_db.create_users(2)
    uid = str(uuid.uuid4())
    with store_db.connect() as conn:
        response = push(conn, ann, {"created": [note(uid, "hello", "2025-05-01T10:00:00Z"), {"id": "realm-objectid-65f0c", "model": "Photo", "data": {"path": f"{ann}/p.jpg"}}]})
        assert response["applied"]["public.sync_object"]["created"] == 2
        mine = pull(conn, ann)["created"]
        assert {(row["id"], row["model"]) for row in mine} == {(uid, "Note"), ("realm-objectid-65f0c", "Photo")}
        assert next(row for row in mine if row["id"] == uid)["data"] == {"text": "hello"}
        assert pull(conn, bob)["created"] == []
        taken = push(conn, bob, {"updated": [note(uid, "bob was here", "2026-01-01T00:00:00Z")]})
        assert taken["conflicts"] == [{"table": "public.sync_object", "id": uid, "reason": "deleted on the server"}]
        assert next(row for row in pull(conn, ann)["created"] if row["id"] == uid)["data"] == {"text": "hello"}


def test_the_newer_modify_at_wins_per_object(store_db):
    ann = store_db.create_user()
    phone, laptop = str(uuid.uuid4()), str(uuid.uuid4())
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    with store_db.connect() as conn:
        push(conn, ann, {"created": [note(first, "v1", "2025-05-01T10:00:00Z"), note(second, "v1", "2025-05-01T10:00:00Z")]}, client_id=phone)
        cursor = rpc.call(conn, "sync_pull", {}, user_id=ann)["timestamp"]
        push(conn, ann, {"updated": [note(first, "phone, newer", "2025-05-01T12:00:00Z"), note(second, "phone, older", "2025-05-01T11:00:00Z")]}, client_id=phone, last_pulled_at=cursor)
        response = push(
            conn,
            ann,
            {"updated": [note(first, "laptop, older", "2025-05-01T11:00:00Z"), note(second, "laptop, newer", "2025-05-01T12:00:00Z")]},
            client_id=laptop,
            last_pulled_at=cursor,
        )
        assert [conflict["id"] for conflict in response["conflicts"]] == [first]
        texts = dict(conn.execute("select id, data ->> 'text' from public.sync_object").fetchall())
    assert texts == {first: "phone, newer", second: "laptop, newer"}


def test_bad_objects_are_refused_naming_them(store_db):
    ann = store_db.create_user()
    with store_db.connect() as conn:
        for row in ({"id": "x", "model": "Note", "data": [1, 2]}, {"id": "y", "data": {}}, {"id": "", "model": "Note"}):
            with pytest.raises(RpcError) as refused:
                push(conn, ann, {"created": [row]})
            assert refused.value.status == 400, row


def test_as_migrations_the_store_is_two_files_that_apply_in_order(installed_db, tmp_path):
    api.install(migrations_dir=tmp_path)
    result = api.object_store("public.my_objects", migrations_dir=tmp_path)
    files = sorted(path.name for path in tmp_path.iterdir())
    assert [name.split("_", 1)[1] for name in files] == [
        "supabase_sync_install.sql",
        "supabase_sync_object_store_my_objects.sql",
        "supabase_sync_enable_my_objects.sql",
        "supabase_sync_enable_my_objects_indexes.sql",
    ]
    assert result.create.migration_path.name == files[1]
    apply_migrations(installed_db.owner_dsn, tmp_path)
    report = api.status(db_url=installed_db.owner_dsn)
    assert [t.passed for t in report.tables if t.table == "public.my_objects"] == [True]


def test_an_existing_table_that_is_not_a_store_is_refused(installed_db):
    with installed_db.connect() as conn:
        conn.execute("create table public.sync_object (id text primary key, user_id uuid not null)")
    with pytest.raises(TableError, match="is not an object store: it lacks model text, data jsonb"):
        api.object_store(db_url=installed_db.owner_dsn)


def test_cli_creates_the_store_and_a_dry_run_of_a_missing_table_says_what_to_do(installed_db, capsys):
    with pytest.raises(SystemExit) as dry:
        main(["object-store", "--db-url", installed_db.owner_dsn, "--dry-run"])
    assert dry.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--migrations-dir DIR --dry-run" in err
    result = CliRunner().invoke(cli, ["object-store", "--db-url", installed_db.owner_dsn, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["enable"]["changed"] is True
    with installed_db.connect() as conn:
        assert conn.execute("select conflict_strategy from supabase_sync.synced_table").fetchall() == [("lww",)]
