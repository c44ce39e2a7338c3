"""install / uninstall: idempotent, one plan for three destinations, safe by default."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest

from supabase_sync import PACK_VERSION, api
from supabase_sync.apply import Destination
from supabase_sync.catalog import read_pack_state, snapshot
from supabase_sync.cli import main
from supabase_sync.errors import ConfigError, NotInstalled, UnsafeOperation
from supabase_sync.install import build_install_plan, schema_steps

REPO_ROOT = Path(__file__).resolve().parent.parent
PACK_SCHEMAS = ["supabase_sync", "public"]


def _state(dsn: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, ...]]]:
    """The catalog snapshot plus the pack's own bookkeeping rows."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "select 'step', step, '' from supabase_sync.schema_step"
            " union all select 'meta', key, value from supabase_sync.meta order by 1, 2"
        ).fetchall()
        return snapshot(conn, PACK_SCHEMAS), rows


def _psql() -> str:
    found = shutil.which("psql") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))), None)
    if found is None:
        pytest.skip("psql is not installed on this machine (needed to replay a migration file as a user would)")
    return str(found)


def _psql_file(dsn: str, path: Path) -> None:
    subprocess.run([_psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(path)], check=True)


@pytest.fixture
def second_db(sandbox, fresh_db):
    """Another fresh database of the same server (to compare two ways of installing)."""
    name = f"{fresh_db.name}_b"
    sandbox.create_database(name, template=fresh_db.name)
    yield sandbox.dsn(name)
    sandbox.drop_database(name)


def test_install_twice_changes_nothing_the_second_time(fresh_db):
    first = api.install(fresh_db.owner_dsn)
    assert first.changed and first.executed
    after_first = _state(fresh_db.owner_dsn)

    api.install(fresh_db.owner_dsn)

    assert _state(fresh_db.owner_dsn) == after_first


def _install_cli(dsn: str, capsys, *extra: str) -> tuple[dict, str]:
    """Run `supabase-sync install --db-url DSN --json`; return its JSON and its stderr."""
    with pytest.raises(SystemExit) as done:
        main(["install", "--db-url", dsn, "--json", *extra])
    captured = capsys.readouterr()
    assert done.value.code == 0, captured.err
    return json.loads(captured.out), captured.err


def test_install_rerun_reports_up_to_date_and_changed_false(installed_db, capsys):
    before = _state(installed_db.owner_dsn)

    data, _ = _install_cli(installed_db.owner_dsn, capsys)
    assert data["changed"] is False
    assert data["notes"] == [f"SQL pack {PACK_VERSION} is installed and current"]
    assert "nothing to do" in data["sql"]
    with pytest.raises(SystemExit):
        main(["install", "--db-url", installed_db.owner_dsn])
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("install: nothing to do,") and "is up to date" in line and "applied" not in line
    assert _state(installed_db.owner_dsn) == before


def test_install_over_another_pack_version_applies_it_and_says_so(installed_db, capsys):
    with installed_db.connect() as conn:
        conn.execute("update supabase_sync.meta set value = '0' where key = 'pack_version'")

    dry, _ = _install_cli(installed_db.owner_dsn, capsys, "--dry-run")
    assert dry["changed"] is True and f"-- upgrades SQL pack 0 to {PACK_VERSION}" in dry["sql"]

    with pytest.raises(SystemExit):
        main(["install", "--db-url", installed_db.owner_dsn])

    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("install: applied ") and f"(upgrades SQL pack 0 to {PACK_VERSION}" in line
    with installed_db.connect() as conn:
        assert read_pack_state(conn).pack_version == PACK_VERSION
    assert _install_cli(installed_db.owner_dsn, capsys)[0]["changed"] is False


def test_install_repairs_a_pack_function_changed_by_hand_at_the_same_version(installed_db, capsys):
    with installed_db.connect() as conn:
        conn.execute("alter function supabase_sync.stamp_row() reset search_path")
        changed = conn.execute("select proconfig from pg_proc where oid = 'supabase_sync.stamp_row'::regproc").fetchone()
    assert changed == (None,)

    data, _ = _install_cli(installed_db.owner_dsn, capsys)

    assert data["changed"] is True
    assert data["notes"][0].startswith(f"repairs SQL pack {PACK_VERSION}")
    with installed_db.connect() as conn:
        repaired = conn.execute("select proconfig from pg_proc where oid = 'supabase_sync.stamp_row'::regproc").fetchone()
    assert repaired != (None,)
    assert _install_cli(installed_db.owner_dsn, capsys)[0]["changed"] is False


def test_install_records_every_step_and_the_pack_version(fresh_db):
    api.install(fresh_db.owner_dsn)
    with fresh_db.connect() as conn:
        state = read_pack_state(conn)
    assert state.installed
    assert state.pack_version == PACK_VERSION
    assert list(state.steps) == [step for step, _ in schema_steps()]


def test_install_works_as_the_non_superuser_owner_role(fresh_db):
    with fresh_db.connect() as conn:
        is_superuser = conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]
    assert is_superuser is False

    api.install(fresh_db.owner_dsn)

    with fresh_db.connect() as conn:
        owner = conn.execute(
            "select pg_get_userbyid(nspowner) = current_user from pg_namespace where nspname = 'supabase_sync'"
        ).fetchone()[0]
    assert owner is True


def test_dry_run_prints_exactly_the_statements_a_direct_run_executes(fresh_db):
    dry = api.install(fresh_db.owner_dsn, dry_run=True)
    with fresh_db.connect() as conn:
        assert read_pack_state(conn).steps == ()  # the dry run changed nothing

    real = api.install(fresh_db.owner_dsn)

    assert dry.statements == real.executed
    assert dry.sql == real.sql
    assert dry.sql.endswith("\n".join(real.executed))


def test_migration_file_replayed_with_psql_gives_the_catalog_of_a_direct_install(fresh_db, second_db, tmp_path):
    written = api.install(migrations_dir=tmp_path)
    assert written.destination is Destination.MIGRATION
    assert written.migration_path is not None and written.migration_path.parent == tmp_path

    _psql_file(fresh_db.owner_dsn, written.migration_path)
    replayed_once = _state(fresh_db.owner_dsn)
    _psql_file(fresh_db.owner_dsn, written.migration_path)  # replaying is harmless
    api.install(second_db)

    assert _state(fresh_db.owner_dsn) == replayed_once
    assert _state(second_db)[0] == replayed_once[0]
    assert [row[:2] for row in _state(second_db)[1]] == [row[:2] for row in replayed_once[1]]


def test_a_newer_pack_applies_only_the_missing_steps(fresh_db):
    api.install(fresh_db.owner_dsn)
    last_step = "0003_synced_collection"  # a step whose effect is easy to undo (later steps alter tables)
    assert last_step in [step for step, _ in schema_steps()]
    with fresh_db.connect() as conn:
        # The database as an older pack left it: without that step.
        conn.execute("drop view supabase_sync.synced_collection cascade")
        conn.execute("delete from supabase_sync.schema_step where step = %s", (last_step,))
        state = read_pack_state(conn)

    plan = build_install_plan(state)
    step_labels = [s.label for s in plan.statements if s.label.startswith("schema step")]
    assert step_labels == [f"schema step {last_step} (skipped when already recorded)"]

    api.install(fresh_db.owner_dsn)
    with fresh_db.connect() as conn:
        assert conn.execute("select to_regclass('supabase_sync.synced_collection') is not null").fetchone()[0]
        assert last_step in read_pack_state(conn).steps


def test_install_refuses_a_database_with_a_newer_pack(installed_db):
    with installed_db.connect() as conn:
        conn.execute("update supabase_sync.meta set value = '999' where key = 'pack_version'")
    with pytest.raises(ConfigError, match="newer"):
        api.install(installed_db.owner_dsn)


def test_install_in_a_supabase_project_folder_writes_a_migration(tmp_path, monkeypatch):
    (tmp_path / "supabase").mkdir()
    (tmp_path / "supabase" / "config.toml").write_text('project_id = "demo"\n')
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@nowhere.invalid/app")  # the folder wins over it

    result = api.install(project_dir=tmp_path)

    assert result.destination is Destination.MIGRATION
    path = result.migration_path
    assert path is not None and path.parent == tmp_path / "supabase" / "migrations"
    assert path.name.endswith("_supabase_sync_install.sql") and len(path.name.split("_")[0]) == 14
    assert path.read_text() == result.sql


def test_install_without_any_destination_names_the_options(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPABASE_DB_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="--db-url"):
        api.install(project_dir=tmp_path)


def test_uninstall_refuses_to_drop_data_without_the_flag(example_db):
    with pytest.raises(UnsafeOperation, match="--drop-data"):
        api.uninstall(example_db.owner_dsn)
    with example_db.connect() as conn:
        assert read_pack_state(conn).installed


def test_uninstall_with_drop_data_removes_the_pack_but_keeps_rows_and_policies(example_db):
    user = example_db.create_user()
    with example_db.connect() as conn:
        conn.execute("insert into public.project (user_id, name) values (%s, 'kept')", (user,))

    api.uninstall(example_db.owner_dsn, drop_data=True)

    with example_db.connect() as conn:
        assert conn.execute("select to_regnamespace('supabase_sync')").fetchone()[0] is None
        assert conn.execute("select name from public.project").fetchall() == [("kept",)]
        triggers = conn.execute(
            "select count(*) from pg_trigger where tgrelid = 'public.project'::regclass and not tgisinternal"
        ).fetchone()[0]
        policies = conn.execute(
            "select count(*) from pg_policy where polrelid = 'public.project'::regclass"
        ).fetchone()[0]
        server_columns = conn.execute(
            "select count(*) from pg_attribute where attrelid = 'public.project'::regclass"
            " and attname like 'server%%' and not attisdropped"
        ).fetchone()[0]
    # public.project is shared: its owner insert policy stays; the scope policies call the pack's
    # visible_scopes and go with it (row level security stays on, so nothing opens).
    assert (triggers, policies, server_columns) == (0, 1, 0)


def test_uninstall_of_an_empty_pack_needs_no_flag_and_install_comes_back(installed_db):
    api.uninstall(installed_db.owner_dsn)
    with installed_db.connect() as conn:
        assert not read_pack_state(conn).installed
    with pytest.raises(NotInstalled):
        api.uninstall(installed_db.owner_dsn)
    api.install(installed_db.owner_dsn)


def _load_regenerate_module():
    path = REPO_ROOT / "examples" / "todo" / "regenerate.py"
    spec = importlib.util.spec_from_file_location(f"regenerate_{uuid.uuid4().hex}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_examples_generated_migrations_equal_what_the_tool_renders_today():
    rendered = _load_regenerate_module().rendered_migrations()
    assert rendered, "the example has no generated migrations"
    stale = [path.name for path, text in rendered.items() if path.read_text(encoding="utf-8") != text]
    assert not stale, f"stale generated migrations {stale}: run `python examples/todo/regenerate.py`"


def test_install_big_numbers_sets_the_pack_wide_choice_and_the_dry_run_prints_exactly_what_runs(installed_db, capsys):
    dsn = installed_db.owner_dsn
    dry, _ = _install_cli(dsn, capsys, "--big-numbers", "string", "--dry-run")
    assert dry["changed"] is True and "('big_numbers', 'string')" in dry["sql"]
    planned = api.install(dsn, big_numbers="string", dry_run=True)
    real = api.install(dsn, big_numbers="string")
    assert real.executed == planned.statements
    with installed_db.connect() as conn:
        assert read_pack_state(conn).big_numbers == "string"
    assert _install_cli(dsn, capsys, "--big-numbers", "string")[0]["changed"] is False
    assert _install_cli(dsn, capsys)[0]["changed"] is False  # left out: the choice stays
    assert api.status(dsn).to_dict()["big_numbers"] == "string"
    written = api.install(big_numbers="number", migrations_dir="/nonexistent", dry_run=True)
    assert "('big_numbers', 'number')" in written.sql
