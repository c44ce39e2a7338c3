"""Purge: old deletions go, the retention horizon moves, older cursors resync."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from helpers.protocol import Device, project, snapshot, task

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


@pytest.mark.parametrize(("text", "expected"), [("30d", dt.timedelta(days=30)), ("1 day 12 hours", dt.timedelta(hours=36)), ("2w", dt.timedelta(weeks=2))])
def test_durations_read_as_expected(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "5ms", "0d", "-1d", "3 fortnights"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)
