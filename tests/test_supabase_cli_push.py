"""The migration files supabase-sync writes apply with the real Supabase CLI (``supabase db push``).

The CLI (2.117.0, locked in tests/npm/migrations; ``.ci/run`` installs it with
``npm ci``) sends each file's statements as one batch, in an implicit
transaction: the DDL file runs in it, and the ``*_indexes.sql`` file's
``create index concurrently`` statements each commit on their own (PostgreSQL
allows that in a batch, not inside ``begin``). A second push must find nothing
to apply. A test skips, saying why, only when npm (Node.js) is absent or the
locked packages are not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from supabase_sync.contract import check_registered_tables
from supabase_sync.migrations import write_migration
from supabase_sync.names import TableName
from tests.helpers.projects import build_project

REPO_ROOT = Path(__file__).resolve().parent.parent
NPM_PROJECT = REPO_ROOT / "tests" / "npm" / "migrations"
SUPABASE = NPM_PROJECT / "node_modules" / ".bin" / "supabase"
CLI_VERSION = "2.117.0"


def _supabase_or_skip() -> Path:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed (Node.js 20 or newer): the Supabase CLI comes from npm")
    if not SUPABASE.exists():
        pytest.skip(
            f"the Supabase CLI is not installed: run `npm ci --prefix {NPM_PROJECT.relative_to(REPO_ROOT)}` (.ci/run does)"
        )
    return SUPABASE


def _supabase(args: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUPABASE_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1"}
    return subprocess.run(
        [str(_supabase_or_skip()), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _push_twice(project: Path, db_url: str) -> None:
    url = db_url + ("&" if "?" in db_url else "?") + "sslmode=disable"
    first = _supabase(["db", "push", "--db-url", url, "--yes"], cwd=project)
    assert first.returncode == 0, first.stdout + first.stderr
    again = _supabase(["db", "push", "--db-url", url, "--yes"], cwd=project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Remote database is up to date" in again.stdout + again.stderr


def _passed(db, tables: list[TableName]) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        # Judged as registered (the example shares projects: scope, scoped and membership tables).
        checks = {check.table: check for check in check_registered_tables(conn)}
    assert set(tables) <= set(checks)
    return {str(table): [verdict.problem for verdict in checks[table].unmet] for table in tables}


def test_the_cli_is_the_locked_version(tmp_path):
    done = _supabase(["--version"], cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == CLI_VERSION, done.stdout + done.stderr


def test_the_example_migrations_apply_with_supabase_db_push_and_a_second_push_is_up_to_date(fresh_db, tmp_path):
    project = build_project(tmp_path / "todo")
    assert any(path.name.endswith("_indexes.sql") for path in (project / "supabase" / "migrations").iterdir())
    _push_twice(project, fresh_db.owner_dsn)
    tables = [TableName("public", name) for name in ("project", "task", "doc_updates")]
    assert _passed(fresh_db, tables) == {str(table): [] for table in tables}
    with fresh_db.connect() as conn:
        invalid = conn.execute("select count(*) from pg_index where not indisvalid").fetchone()
    assert invalid == (0,)


def test_a_fresh_supabase_init_project_gets_install_and_enable_files_that_push(fresh_db, tmp_path, monkeypatch, capsys):
    from supabase_sync.cli import main

    project = tmp_path / "fresh"
    project.mkdir()
    done = _supabase(["init", "--yes"], cwd=project)
    assert done.returncode == 0 and (project / "supabase" / "config.toml").exists(), done.stdout + done.stderr
    monkeypatch.chdir(project)
    for args in (["install"], ["enable", "public.note", "--add-missing-columns"]):
        if args[0] == "enable":
            write_migration(
                project / "supabase" / "migrations",
                "create_note",
                "create table public.note (\n    id uuid primary key default gen_random_uuid(),\n"
                "    user_id uuid not null default auth.uid() references auth.users (id),\n    body text\n);\n",
            )
        with pytest.raises(SystemExit) as exit_status:
            main(args)
        assert exit_status.value.code == 0, capsys.readouterr().err
    names = sorted(path.name.split("_", 1)[1] for path in (project / "supabase" / "migrations").iterdir())
    assert names == sorted(
        [
            "supabase_sync_install.sql",
            "create_note.sql",
            "supabase_sync_enable_note.sql",
            "supabase_sync_enable_note_indexes.sql",
        ]
    )
    _push_twice(project, fresh_db.owner_dsn)
    assert _passed(fresh_db, [TableName("public", "note")]) == {"public.note": []}
