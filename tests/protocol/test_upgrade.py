"""Upgrade in place: a database with an earlier pack (as shipped) upgrades with `supabase-sync install` and syncs on.

Each released pack is the tables, install and enable migrations the example
shipped with that PACK_VERSION (tests/fixtures/pack_v<N>, never regenerated).
Clients keep their cursors across the upgrade: no PT410, nothing missed, and
the next cursor is above the old one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from helpers.protocol import Device, new_id, project, task

from supabase_sync import PACK_VERSION, api, rpc
from supabase_sync.migrations import apply_migrations
from supabase_sync.resources import sql_files

REPO = Path(__file__).resolve().parents[2]
PACK_V1 = REPO / "tests" / "fixtures" / "pack_v1"
PACK_V2 = REPO / "tests" / "fixtures" / "pack_v2"
TABLES = REPO / "examples" / "todo" / "supabase" / "migrations" / "20250101000000_create_todo_tables.sql"
DIGESTS = REPO / "tests" / "fixtures" / "pack_digests.json"


def _pack_v1_database(fresh_db: Any, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    shutil.copy(TABLES, folder / TABLES.name)
    for path in PACK_V1.glob("*.sql"):
        shutil.copy(path, folder / path.name)
    apply_migrations(fresh_db.owner_dsn, folder)


def test_a_pack_1_database_upgrades_in_place_and_its_clients_sync_on(fresh_db: Any, tmp_path: Path) -> None:
    _pack_v1_database(fresh_db, tmp_path)
    owner = fresh_db.connect()
    assert owner.execute("select value from supabase_sync.meta where key = 'pack_version'").fetchone()[0] == "1"
    alice = Device(fresh_db.connect(), fresh_db.create_user())
    bob = Device(fresh_db.connect(), fresh_db.create_user())
    kept, removed, edited = project(), project(), project()
    alice.push({"public.project": {"created": [kept, removed, edited]}, "public.task": {"created": [task(kept["id"])]}})
    bob.push({"public.project": {"created": [project()]}})
    alice.pull_all()
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (removed["id"],))  # a pack 1 tombstone
    v1_cursor = alice.cursor
    assert v1_cursor is not None and v1_cursor < 2**47
    rows_before = owner.execute("select count(*) from public.project").fetchone()[0]

    api.install(fresh_db.owner_dsn)

    assert owner.execute("select value from supabase_sync.meta where key = 'pack_version'").fetchone()[0] == PACK_VERSION
    assert owner.execute("select count(*) from public.project").fetchone()[0] == rows_before
    assert owner.execute(
        "select owner_id from supabase_sync.tombstone where row_id = %s", (removed["id"],)
    ).fetchone()[0] == alice.user_id
    alice.push({"public.project": {"updated": [{"id": edited["id"], "name": "after upgrade"}]}}, last_pulled_at=v1_cursor)
    merged = alice.pull_all()
    assert merged["public.project"][removed["id"]] is None
    assert merged["public.project"][edited["id"]]["name"] == "after upgrade"
    assert kept["id"] not in merged["public.project"]  # delivered before the upgrade: not again
    assert alice.cursor is not None and alice.cursor > v1_cursor
    # Pack 2's per-table objects (the position index, the transfer trigger) come
    # with enable; until then the tables keep syncing through pack 1's index.
    gaps = {gap.key for table in api.status(fresh_db.owner_dsn).tables for gap in table.gaps}
    assert gaps == {"index.owner_version", "trigger.transfer", "grants.no_truncate"}
    api.enable(["public.project", "public.task", "public.doc_updates"], db_url=fresh_db.owner_dsn)
    assert api.status(fresh_db.owner_dsn).passed
    bob.cursor = None
    assert len(bob.pull_all()["public.project"]) == 1
    # Upgrading again changes nothing.
    assert not api.install(fresh_db.owner_dsn).changed


def test_a_pack_2_database_upgrades_in_place_and_its_members_sync_on(fresh_db: Any, tmp_path: Path) -> None:
    # Pack 2 as shipped: projects shared through project_member, tasks and doc
    # updates following their project (its own tables file: the example's may move on).
    apply_migrations(fresh_db.owner_dsn, PACK_V2)
    owner = fresh_db.connect()
    assert owner.execute("select value from supabase_sync.meta where key = 'pack_version'").fetchone()[0] == "2"
    alice = Device(fresh_db.connect(), fresh_db.create_user())
    bob = Device(fresh_db.connect(), fresh_db.create_user())
    shared, removed = project(), project()
    alice.push({
        "public.project": {"created": [shared, removed]},
        "public.task": {"created": [task(shared["id"])]},
        "public.project_member": {"created": [{"id": new_id(), "project_id": shared["id"], "user_id": str(bob.user_id), "role": "editor"}]},
    })
    alice.pull_all()
    bob.pull_all()
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (removed["id"],))  # a pack 2 tombstone
    alice_cursor, bob_cursor = alice.cursor, bob.cursor
    assert alice_cursor is not None and bob_cursor is not None
    # A membership removed by a client under pack 2 (sync_push: a soft delete) still granted the project.
    carol = Device(fresh_db.connect(), fresh_db.create_user())
    carols = {"id": new_id(), "project_id": shared["id"], "user_id": str(carol.user_id), "role": "editor"}
    alice.push({"public.project_member": {"created": [carols]}})
    carol.pull_all()
    alice.push({"public.project_member": {"deleted": [carols["id"]]}})

    api.install(fresh_db.owner_dsn)
    # Step 0013: pack 2's policies cast the scope ids outside their initplan (once per row checked); the
    # upgrade rewrites them to cast inside it, and leaves each policy's name, command and roles alone.
    conditions = owner.execute(
        "select polname, coalesce(pg_get_expr(polqual, polrelid), '') || ' ' || coalesce(pg_get_expr(polwithcheck, polrelid), '')"
        " from pg_policy where polrelid = any(array['public.project', 'public.task', 'public.doc_updates',"
        " 'public.project_member']::regclass[]) and (polqual is not null or polwithcheck is not null)"
    ).fetchall()
    checked = [(name, text) for name, text in conditions if "visible_scopes" in text]
    assert len(checked) >= 8
    for name, text in checked:
        assert "SELECT supabase_sync.visible_scopes(" not in text and "::uuid[] AS visible_scopes)" in text, (name, text)
    api.enable(["public.project", "public.task", "public.doc_updates"], db_url=fresh_db.owner_dsn)
    # Step 0015: that removal now counts, and carol's devices delete what they hold of the project.
    assert carol.pull_all()["public.project"] == {shared["id"]: None}
    with rpc.as_user(carol.conn, user_id=carol.user_id) as cur:
        cur.execute("select count(*) from public.task")
        assert cur.fetchone() == (0,)

    assert owner.execute("select value from supabase_sync.meta where key = 'pack_version'").fetchone()[0] == PACK_VERSION
    bob.push({"public.task": {"created": [task(shared["id"], title="bob after upgrade")]}}, last_pulled_at=bob_cursor)
    merged = alice.pull_all()
    assert merged["public.project"][removed["id"]] is None
    assert [row["title"] for row in merged["public.task"].values() if row] == ["bob after upgrade"]
    assert alice.cursor is not None and alice.cursor > alice_cursor
    # Pack 3: a member's hard delete of a row another member created reaches them.
    bobs = next(row_id for row_id, row in merged["public.task"].items() if row)
    bob.pull_all()
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.task where id = %s", (bobs,))
    assert bob.pull_all()["public.task"] == {bobs: None}
    assert api.status(fresh_db.owner_dsn).passed
    assert not api.install(fresh_db.owner_dsn).changed


def _pack_digest() -> str:
    digest = hashlib.sha256()
    for folder in ("schema", "functions", "policies", "templates", "queries"):
        for entry in sql_files(folder):
            digest.update(f"{folder}/{entry.name}\0".encode())
            digest.update(entry.read_text(encoding="utf-8").encode())
    return digest.hexdigest()


def test_the_pack_version_moves_whenever_the_shipped_sql_changes() -> None:
    # tests/fixtures/pack_digests.json records the digest of sql/ for each
    # released PACK_VERSION; a change under sql/ with the same version fails
    # here. Bump PACK_VERSION and add its digest (an unreleased version takes every change of its cycle: update its digest then).
    digests = json.loads(DIGESTS.read_text(encoding="utf-8"))
    assert PACK_VERSION in digests, f"add {PACK_VERSION!r}: {_pack_digest()!r} to {DIGESTS.name}"
    assert digests[PACK_VERSION] == _pack_digest(), (
        f"sql/ changed but PACK_VERSION is still {PACK_VERSION}: bump it and record {_pack_digest()!r}"
    )
    assert len(set(digests.values())) == len(digests), "two pack versions with the same SQL"
