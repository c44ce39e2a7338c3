"""status: the pack and every synced table's health, each gap with the command that fixes it."""

from __future__ import annotations

import json
import shlex

import pytest

from supabase_sync import api
from supabase_sync.cli import main
from supabase_sync.dsn import mask_dsn


def _run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(args)
    captured = capsys.readouterr()
    return done.value.code, captured.out, captured.err


def test_the_example_is_healthy(example_db, capsys):
    report = api.status(example_db.owner_dsn)
    assert report.passed, report.gaps
    assert [t.table for t in report.tables] == ["public.project", "public.project_member", "public.task", "public.doc_updates"]
    assert all(all(t.checks.values()) for t in report.tables)

    code, out, _ = _run_cli(["status", "--db-url", example_db.owner_dsn], capsys)
    assert code == 0
    assert "public.task (owner user_id, reject, scoped table: scoped by public.project through project_id): ok" in out


def test_a_database_without_the_pack_is_a_gap_fixed_by_install(fresh_db, capsys):
    report = api.status(fresh_db.owner_dsn)
    assert not report.installed
    assert [gap.fix.split(" --db-url ")[0] for gap in report.gaps] == ["supabase-sync install"]
    code, _, err = _run_cli(["status", "--db-url", fresh_db.owner_dsn], capsys)
    assert code == 2
    assert "gap" in err


BREAKAGES = {
    "trigger.stamp": "drop trigger supabase_sync_stamp on public.task",
    "trigger.tombstone": "drop trigger supabase_sync_tombstone on public.task",
    "rls.enabled": "alter table public.task disable row level security",
    "policy.shared_update": 'drop policy "supabase_sync: scope members can update" on public.task',
    "index.owner_version": "drop index public.task_sync_position_idx",
    "publication.realtime": "alter publication supabase_realtime drop table public.task",
    "column.deleted_at": "alter table public.task drop column deleted_at",
}


@pytest.mark.parametrize("check", list(BREAKAGES))
def test_each_gap_is_reported_and_its_fix_command_repairs_it(example_db, check, capsys):
    with example_db.connect() as conn:
        conn.execute(BREAKAGES[check])

    report = api.status(example_db.owner_dsn)
    (task,) = [t for t in report.tables if t.table == "public.task"]
    assert task.checks[check] is False
    assert [t.table for t in report.tables if not t.passed] == ["public.task"]
    (gap,) = task.gaps
    assert gap.key == check
    assert gap.fix.startswith("supabase-sync enable public.task --owner-column user_id")

    code, _, _ = _run_cli([*shlex.split(gap.fix)[1:], "--db-url", example_db.owner_dsn], capsys)
    assert code == 0
    assert api.status(example_db.owner_dsn).passed


def test_the_fix_keeps_a_tables_conflict_strategy(example_db):
    api.enable(["public.task"], db_url=example_db.owner_dsn, conflict_strategy="lww")
    with example_db.connect() as conn:
        conn.execute("drop trigger supabase_sync_truncate on public.task")
    (gap,) = api.status(example_db.owner_dsn).gaps
    assert "--conflict-strategy lww" in gap.fix


def test_status_json_is_machine_readable(example_db, capsys):
    with example_db.connect() as conn:
        conn.execute("drop trigger supabase_sync_stamp on public.project")
    code, out, _ = _run_cli(["status", "--json", "--db-url", example_db.owner_dsn], capsys)
    data = json.loads(out)
    assert code == 2
    assert data["passed"] is False and data["installed"] is True
    assert data["db_url"] == mask_dsn(example_db.owner_dsn)
    (project,) = [t for t in data["tables"] if t["table"] == "public.project"]
    assert project["checks"]["trigger.stamp"] is False
    assert project["gaps"][0]["fix"].startswith("supabase-sync enable public.project")


def test_an_outdated_pack_is_a_gap_fixed_by_install(installed_db):
    with installed_db.connect() as conn:
        conn.execute("update supabase_sync.meta set value = '0' where key = 'pack_version'")
        conn.execute("drop function supabase_sync.stamp_row() cascade")
    report = api.status(installed_db.owner_dsn)
    problems = " ".join(gap.problem for gap in report.gaps)
    assert "SQL pack 0" in problems and "supabase_sync.stamp_row" in problems
    assert {gap.fix.split(" --db-url ")[0] for gap in report.gaps} == {"supabase-sync install"}
    api.install(installed_db.owner_dsn)
    assert api.status(installed_db.owner_dsn).passed


def _program_env(**variables: str) -> dict[str, str]:
    import os
    import sys
    from pathlib import Path

    path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    return {"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), **variables}


def test_fix_commands_name_the_database_status_read_from_the_environment(example_db):
    import subprocess

    with example_db.connect() as conn:
        conn.execute("drop trigger supabase_sync_stamp on public.task")
    env = _program_env(SUPABASE_DB_URL=example_db.owner_dsn)
    shown = subprocess.run(["supabase-sync", "status"], capture_output=True, text=True, env=env, check=False)
    assert shown.returncode == 2, shown.stderr
    (fix,) = [line.split("fix: ", 1)[1] for line in shown.stdout.splitlines() if "fix: " in line]
    assert fix == (
        'supabase-sync enable public.task --owner-column user_id --scope-column project_id --db-url "$SUPABASE_DB_URL"'
    )

    repaired = subprocess.run(["bash", "-c", fix], capture_output=True, text=True, env=env, check=False)
    assert repaired.returncode == 0, repaired.stderr
    assert api.status(example_db.owner_dsn).passed


def _with_password(dsn: str, password: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    user = parts.username or "postgres"
    host = parts.hostname or "127.0.0.1"
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}:{parts.port}"))


def test_fix_commands_name_a_given_database_url_with_its_password_masked(example_db, capsys):
    with example_db.connect() as conn:
        conn.execute("drop trigger supabase_sync_stamp on public.task")
    from urllib.parse import urlsplit

    url = example_db.owner_dsn
    if not urlsplit(url).password:
        # The local sandboxes trust local connections, so any password logs in.
        url = _with_password(url, "s3cret")
    password = urlsplit(url).password
    code, out, err = _run_cli(["status", "--db-url", url], capsys)
    assert code == 2
    (fix,) = [line.split("fix: ", 1)[1] for line in out.splitlines() if "fix: " in line]
    assert shlex.split(fix)[-2:] == ["--db-url", mask_dsn(url)]
    assert password and password not in out + err
    assert "password masked" in err and "SUPABASE_DB_URL" in err
