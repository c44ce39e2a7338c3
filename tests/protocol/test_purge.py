"""Purge: old deletions go, the retention horizon moves, older cursors resync."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import psycopg
import pytest
from helpers.protocol import SYNCED, Device, project, snapshot, task
from test_sharing_delivery import Scene, member, move_task, remove_member, scene  # noqa: F401 - scene: a fixture

from supabase_sync import api, rpc
from supabase_sync.cli import main
from supabase_sync.dsn import mask_dsn
from supabase_sync.errors import ConfigError
from supabase_sync.purge import parse_duration
from supabase_sync.rpc import RpcError

#: Purges here take what was deleted more than half an hour ago; _backdate makes every deletion an hour old.
OLDER_THAN = dt.timedelta(minutes=30)
_AGE = "1 hour"


def _backdate(owner: Any) -> None:
    """Make every deletion so far an hour old, so purges are decided by data, not by the clock."""
    owner.execute(f"update supabase_sync.tombstone set deleted_at = deleted_at - interval '{_AGE}'")
    owner.execute(f"update supabase_sync.push_log set pushed_at = pushed_at - interval '{_AGE}'")
    owner.execute(f"update supabase_sync.access_event set recorded_at = recorded_at - interval '{_AGE}'")
    for table in ("public.project", "public.task", "public.doc_updates"):
        # The stamp trigger sets server_updated_at on every write: set aside for this one update.
        owner.execute(f"alter table {table} disable trigger supabase_sync_stamp")
        owner.execute(
            f"update {table} set server_updated_at = server_updated_at - interval '{_AGE}' where deleted_at is not null"
        )
        owner.execute(f"alter table {table} enable trigger supabase_sync_stamp")


def _deleted_rows(alice: Device, owner: Any) -> tuple[dict, dict, dict]:
    soft, hard, live = project(), project(), project()
    alice.push({"public.project": {"created": [soft, hard, live]}})
    alice.push({"public.project": {"deleted": [soft["id"]]}})
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (hard["id"],))
    _backdate(owner)
    return soft, hard, live


def test_purge_removes_old_deletions_and_makes_older_cursors_resync(example_db: Any, alice: Device, owner) -> None:
    cursor = alice.pull()["timestamp"]
    soft, hard, live = _deleted_rows(alice, owner)
    report = api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    assert (report.tombstones, report.rows["public.project"], report.dry_run) == (1, 1, False)
    ids = {row_id for (row_id,) in owner.execute("select id::text from public.project").fetchall()}
    assert ids == {live["id"]}
    assert owner.execute("select count(*) from supabase_sync.tombstone").fetchone()[0] == 0
    assert alice.pull_error(last_pulled_at=cursor).sqlstate == "PT410"
    fresh = alice.pull()
    assert [row["id"] for row in fresh["changes"]["public.project"]["created"]] == [live["id"]]
    assert alice.pull(last_pulled_at=fresh["timestamp"])["changes"]["public.project"]["created"] == []


def test_purge_keeps_deletions_younger_than_the_interval(example_db: Any, alice: Device, owner) -> None:
    _deleted_rows(alice, owner)
    before = snapshot(owner)
    report = api.purge(older_than="1d", db_url=example_db.owner_dsn)
    assert (report.tombstones, report.rows["public.project"], report.push_log) == (0, 0, 0)
    assert snapshot(owner) == before


def test_purge_keeps_a_soft_deleted_row_still_referenced_by_a_live_row(example_db: Any, alice: Device, owner) -> None:
    parent = project()
    alice.push({"public.project": {"created": [parent]}, "public.task": {"created": [task(parent["id"])]}})
    alice.push({"public.project": {"deleted": [parent["id"]]}})
    _backdate(owner)
    report = api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    assert report.rows["public.project"] == 0
    assert owner.execute("select count(*) from public.task").fetchone()[0] == 1


def test_purge_removes_soft_deleted_children_before_their_parents(example_db: Any, alice: Device, owner) -> None:
    parent = project()
    child = task(parent["id"])
    alice.push({"public.project": {"created": [parent]}, "public.task": {"created": [child]}})
    alice.push({"public.project": {"deleted": [parent["id"]]}, "public.task": {"deleted": [child["id"]]}})
    _backdate(owner)
    report = api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    assert (report.rows["public.task"], report.rows["public.project"]) == (1, 1)


def test_purge_dry_run_reports_and_changes_nothing(example_db: Any, alice: Device, owner) -> None:
    _deleted_rows(alice, owner)
    before = snapshot(owner)
    report = api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn, dry_run=True)
    assert (report.tombstones, report.rows["public.project"], report.dry_run) == (1, 1, True)
    assert snapshot(owner) == before


def test_api_users_cannot_purge(alice: Device) -> None:
    with pytest.raises(RpcError) as caught:
        rpc.call(alice.conn, "purge", {"older_than": "1 second"}, user_id=alice.user_id, schema="supabase_sync")
    assert caught.value.sqlstate == "42501"


def test_purge_command_prints_json(
    example_db: Any, alice: Device, owner: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _deleted_rows(alice, owner)
    with pytest.raises(SystemExit) as exited:
        main(["purge", "--older-than", "1d", "--db-url", example_db.owner_dsn, "--dry-run", "--json"])
    assert exited.value.code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["dry_run"] is True and printed["rows"]["public.project"] == 0
    assert printed["db_url"] == mask_dsn(example_db.owner_dsn)


def test_purge_command_names_a_bad_duration_without_a_traceback(
    example_db: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["purge", "--older-than", "soon", "--db-url", example_db.owner_dsn])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "'soon' is not a duration" in err and "e.g. 30d" in err
    assert "Traceback" not in err


# Access events (grants, revokes, moves: docs/protocol.md "Sharing (scopes)", "Purge").

def _events(owner: psycopg.Connection) -> list[tuple[Any, ...]]:
    return owner.execute("select to_jsonb(e)::text from supabase_sync.access_event as e order by event_id").fetchall()


def _selectable(device: Device) -> dict[str, set[str]]:
    """The live ids the device's user reads through plain PostgREST select, per table."""
    with rpc.as_user(device.conn, user_id=device.user_id, read_only=True) as cur:
        return {
            table: {row[0] for row in cur.execute(f"select id::text from {table} where deleted_at is null")}  # noqa: S608 - fixed names
            for table in SYNCED
        }


def _synced(device: Device, replica: dict[str, dict[str, Any]], *, page_size: int | None = None) -> dict[str, Any]:
    """Apply a paged pull from the device's cursor to ``replica`` (id -> row per table); return what it pulled."""
    pulled = device.pull_all(page_size=page_size)
    for collection, rows in pulled.items():
        target = replica.setdefault(collection, {})
        for row_id, row in rows.items():
            if row is None:
                target.pop(row_id, None)
            else:
                target[row_id] = row
    return pulled


def _live(replica: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    return {table: set(replica.get(table, {})) for table in SYNCED}


def _history(s: Scene) -> None:
    """B joins P and pulls; a task of P moves to P2 (B is not a member) and B pulls its deletion; all an hour ago."""
    grant = member(s.p, s.b)
    s.a.push({"public.project_member": {"created": [grant]}})
    pull_b = s.b.pull_all()
    assert set(pull_b["public.task"]) == set(s.p_tasks)
    move_task(s.a, s.p_tasks[0], s.p2)
    assert s.b.pull_all()["public.task"] == {s.p_tasks[0]: None}


def test_purge_removes_old_access_events_and_counts_them(example_db: Any, scene: Scene) -> None:
    s = scene
    _history(s)
    _backdate(s.owner)
    count = len(_events(s.owner))
    assert count >= 3  # C's grant of P2, B's grant of P, the move
    report = api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    assert report.access_events == count
    assert _events(s.owner) == []


def test_purge_keeps_access_events_younger_than_the_interval(example_db: Any, scene: Scene) -> None:
    s = scene
    _history(s)
    before = _events(s.owner)
    report = api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    assert report.access_events == 0
    assert _events(s.owner) == before


def test_purge_dry_run_counts_access_events_and_deletes_none(
    example_db: Any, scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    s = scene
    _history(s)
    _backdate(s.owner)
    before, horizons = _events(s.owner), s.owner.execute("select relid, horizon from supabase_sync.synced_table").fetchall()
    with pytest.raises(SystemExit) as exited:
        main(["purge", "--older-than", "30m", "--db-url", example_db.owner_dsn, "--dry-run", "--json"])
    assert exited.value.code == 0
    assert json.loads(capsys.readouterr().out)["access_events"] == len(before)
    with pytest.raises(SystemExit) as exited:
        main(["purge", "--older-than", "30m", "--db-url", example_db.owner_dsn, "--dry-run"])
    assert exited.value.code == 0
    printed = capsys.readouterr().out
    assert printed.startswith("would purge") and f" {len(before)} access event(s)" in printed
    assert _events(s.owner) == before
    assert s.owner.execute("select relid, horizon from supabase_sync.synced_table").fetchall() == horizons


def test_purge_command_prints_the_access_events_it_purged(
    example_db: Any, scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    s = scene
    _history(s)
    _backdate(s.owner)
    count = len(_events(s.owner))
    with pytest.raises(SystemExit) as exited:
        main(["purge", "--older-than", "30m", "--db-url", example_db.owner_dsn])
    assert exited.value.code == 0
    printed = capsys.readouterr().out
    assert printed.startswith("purged") and f" {count} access event(s)" in printed


@pytest.mark.parametrize("change", ["grant", "revoke"])
@pytest.mark.parametrize("collection", ["public.project", "public.project_member", "public.task", "public.doc_updates"])
def test_a_cursor_from_before_a_purged_grant_or_revoke_resyncs_instead_of_missing_it(
    example_db: Any, scene: Scene, collection: str, change: str
) -> None:
    s = scene
    if change == "revoke":
        s.a.push({"public.project_member": {"created": [member(s.p, s.b)]}})
        s.b.pull_all()
    cursor = s.b.cursor
    if change == "grant":
        s.a.push({"public.project_member": {"created": [member(s.p, s.b)]}})
    else:
        remove_member(s.a, s.b, s.p)
    _backdate(s.owner)
    api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    # Without the event the pull could not tell B gained (or lost) P: it must not answer as if nothing changed.
    assert s.b.pull_error(last_pulled_at=cursor, collections=[collection]).sqlstate == "PT410"
    assert s.b.push_error({collection: {"created": []}}, last_pulled_at=cursor).sqlstate == "PT410"


def test_a_cursor_from_before_a_purged_move_resyncs_instead_of_keeping_the_row(example_db: Any, scene: Scene) -> None:
    s = scene
    s.a.push({"public.project_member": {"created": [member(s.p, s.b)]}})
    s.b.pull_all()
    cursor = s.b.cursor
    move_task(s.a, s.p_tasks[0], s.p2)
    _backdate(s.owner)
    api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    assert s.b.pull_error(last_pulled_at=cursor, collections=["public.task"]).sqlstate == "PT410"


def test_a_member_who_loses_a_scope_after_a_purge_gets_exactly_its_deletions(example_db: Any, scene: Scene) -> None:
    s = scene
    replica: dict[str, dict[str, Any]] = {}
    grant = member(s.p, s.b)
    s.a.push({"public.project_member": {"created": [grant]}})
    _synced(s.b, replica)
    move_task(s.a, s.p_tasks[0], s.p2)
    _synced(s.b, replica)
    _backdate(s.owner)
    report = api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    assert report.access_events >= 2
    # B's cursor is above every purged event: still served (at the horizon itself it may get
    # its rows again, as after any purge), nothing deleted, its replica what it may see.
    again = _synced(s.b, replica)
    assert all(row is not None for rows in again.values() for row in rows.values())
    assert _live(replica) == _selectable(s.b)
    remove_member(s.a, s.b, s.p)
    got = _synced(s.b, replica)
    # Every id of P B could hold, and not the task that left P before the purge (B deleted it then).
    deleted = {(table, row_id) for table, rows in got.items() for row_id, row in rows.items() if row is None}
    assert deleted == {
        ("public.project", s.p),
        ("public.project_member", grant["id"]),
        *(("public.task", row_id) for row_id in s.p_tasks[1:]),
        ("public.doc_updates", s.p_docs[1]),
    }
    assert len(deleted) == sum(len(rows) for rows in got.values())
    assert _live(replica) == _selectable(s.b) == {table: set() for table in SYNCED}


def test_purging_access_events_reads_the_old_ones_only(example_db: Any, scene: Scene) -> None:
    s = scene
    _history(s)
    _backdate(s.owner)
    old = len(_events(s.owner))
    # 20,000 recent grants of other users (the scene is too big to push; no ANALYZE has seen them).
    s.owner.execute(
        "insert into supabase_sync.access_event (event, scope, scope_id, user_id)"
        " select 'gained', 'public.project'::regclass, %s, gen_random_uuid() from generate_series(1, 20000)",
        (s.p,),
    )
    with psycopg.connect(example_db.owner_dsn) as conn:
        (report,) = conn.execute(
            "select supabase_sync.purge(older_than => %s, dry_run => false)", (OLDER_THAN,)
        ).fetchone()
        (reads,) = conn.execute(
            "select seq_tup_read + coalesce(idx_tup_fetch, 0) from pg_catalog.pg_stat_xact_user_tables"
            " where relid = 'supabase_sync.access_event'::regclass"
        ).fetchone()
    assert report["access_events"] == old
    assert reads <= 4 * old + 10


@pytest.mark.parametrize("page_size", [None, 2])
def test_a_client_below_the_horizon_resyncs_to_exactly_what_rls_lets_it_see(
    example_db: Any, scene: Scene, page_size: int | None
) -> None:
    s = scene
    s.c.cursor = None
    s.c.pull_all()
    stale = s.c.cursor
    # Since C's cursor: B and C join P, C leaves P2, a task moves, a task is hard-deleted.
    s.a.push({"public.project_member": {"created": [member(s.p, s.b), member(s.p, s.c, role="viewer")]}})
    remove_member(s.a, s.c, s.p2)
    move_task(s.a, s.p_tasks[0], s.other)
    with rpc.as_user(s.a.conn, user_id=s.a.user_id) as cur:
        cur.execute("delete from public.task where id = %s", (s.p_tasks[1],))
    _backdate(s.owner)
    api.purge(older_than=OLDER_THAN, db_url=example_db.owner_dsn)
    assert s.c.pull_error(last_pulled_at=stale, page_size=page_size).sqlstate == "PT410"
    # The client drops its cursor and reconciles its store with a full pull.
    s.c.cursor = None
    resynced: dict[str, dict[str, Any]] = {}
    _synced(s.c, resynced, page_size=page_size)
    assert _live(resynced) == _selectable(s.c)
    assert _live(resynced)["public.task"] == {s.p_tasks[2]}
    # From there, later changes arrive as for any cursor.
    remove_member(s.a, s.c, s.p)
    after = _synced(s.c, resynced, page_size=page_size)
    assert after["public.task"] == {s.p_tasks[2]: None}
    assert _live(resynced) == _selectable(s.c)


@pytest.mark.parametrize(("text", "expected"), [("30d", dt.timedelta(days=30)), ("1 day 12 hours", dt.timedelta(hours=36)), ("2w", dt.timedelta(weeks=2))])
def test_durations_read_as_expected(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "5ms", "0d", "-1d", "3 fortnights"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)
