"""enable / disable: the per-table contract, enforced as real users see it."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from helpers.contract import compiles

from supabase_sync import api, rpc
from supabase_sync.catalog import TableInfo, read_table, snapshot
from supabase_sync.contract import TableSpec, check_registered_tables, check_tables
from supabase_sync.enable import build_blind_enable_plan
from supabase_sync.errors import ConfigError, NotInstalled, TableError
from supabase_sync.migrations import apply_file, write_migration
from supabase_sync.names import TableName, parse_table_name
from supabase_sync.sync_objects import SYNC_COLUMNS, SYNC_TRIGGERS, policy_name

EXAMPLE_TABLES = [TableName("public", "project"), TableName("public", "task"), TableName("public", "doc_updates")]


def _table(db, table: TableName) -> TableInfo:
    with db.connect() as conn:
        info = read_table(conn, table)
    assert info is not None
    return info


def _assert_fully_enabled(db, table: TableName, *, owner_column: str = "user_id") -> None:
    info = _table(db, table)
    with db.connect() as conn:
        (check,) = check_tables(conn, [TableSpec(table, owner_column=owner_column)]).values()
    assert check.passed, [verdict.problem for verdict in check.unmet]
    # What enable itself creates, by name:
    assert {spec.name for spec in SYNC_COLUMNS} <= set(info.columns)
    assert set(SYNC_TRIGGERS) <= set(info.triggers)
    assert info.rls_enabled
    for command in ("select", "insert", "update", "delete"):
        policy = info.policies[policy_name(command)]
        assert policy.command == command
        assert policy.roles == ("authenticated",)
        for expression in (policy.using_expression, policy.check_expression):
            expected = f"(( SELECT auth.uid() AS uid) = {owner_column})".replace('"', "")
            assert expression is None or expression.replace('"', "") == expected
    assert any(index.columns[:2] == (owner_column, "server_version") for index in info.indexes)
    assert "supabase_realtime" in info.publications
    assert info.registration is not None and info.registration.owner_column == owner_column


@pytest.mark.parametrize("table", EXAMPLE_TABLES, ids=str)
def test_the_example_tables_have_the_whole_per_table_contract(example_db, table):
    # The example's tables are shared (a scope and scoped tables): judged as their registry rows say.
    with example_db.connect() as conn:
        checks = {check.table: check for check in check_registered_tables(conn)}
    check = checks[table]
    assert check.spec.kind != "owner"
    assert check.passed, [verdict.problem for verdict in check.unmet]
    info = _table(example_db, table)
    assert {spec.name for spec in SYNC_COLUMNS} <= set(info.columns)
    assert set(SYNC_TRIGGERS) <= set(info.triggers)
    assert info.rls_enabled


def test_the_example_tables_rank_after_the_tables_they_reference(example_db):
    ranks = {table.name: _table(example_db, table).registration.dependency_rank for table in EXAMPLE_TABLES}
    assert ranks["project"] < ranks["task"] < ranks["doc_updates"]


def test_enabling_an_enabled_table_changes_nothing(example_db):
    names = [str(table) for table in EXAMPLE_TABLES]
    with example_db.connect() as conn:
        before = snapshot(conn, ["public", "supabase_sync"])

    dry = api.enable(names, db_url=example_db.owner_dsn, dry_run=True)
    api.enable(names, db_url=example_db.owner_dsn)

    assert not dry.changed
    with example_db.connect() as conn:
        assert snapshot(conn, ["public", "supabase_sync"]) == before


def test_enable_dry_run_prints_exactly_what_enable_executes(installed_db):
    with installed_db.connect() as conn:
        conn.execute("create table public.note (id uuid primary key, user_id uuid not null, body text)")
    dry = api.enable(["public.note"], db_url=installed_db.owner_dsn, add_missing_columns=True, dry_run=True)
    real = api.enable(["public.note"], db_url=installed_db.owner_dsn, add_missing_columns=True)
    assert dry.statements == real.executed
    assert dry.sql == real.sql
    _assert_fully_enabled(installed_db, TableName("public", "note"))


def test_a_migration_written_without_a_database_gives_the_same_catalog_as_a_direct_enable(
    installed_db, sandbox, tmp_path
):
    create = "create table public.note (id text primary key, user_id uuid not null, body text)"
    other = f"{installed_db.name}_b"
    sandbox.create_database(other, template=installed_db.name)
    try:
        api.install(migrations_dir=tmp_path)
        write_migration(tmp_path, "create_note", create + ";\n")
        written = api.enable(["note"], add_missing_columns=True, migrations_dir=tmp_path)
        ddl, indexes = written.migration_paths
        assert indexes.name.endswith("_indexes.sql") and indexes.name > ddl.name
        with psycopg.connect(sandbox.dsn(other), autocommit=True) as conn:
            conn.execute(create)
            for _replay in range(2):  # replaying is harmless
                apply_file(conn, ddl)
                apply_file(conn, indexes)
            replayed = snapshot(conn, ["public", "supabase_sync"])
        with installed_db.connect() as conn:
            conn.execute(create)
        api.enable(["note"], db_url=installed_db.owner_dsn, add_missing_columns=True)
        with installed_db.connect() as conn:
            # A direct enable also compiles the table's push functions from its live columns (a
            # migration written without a database cannot: the generic path serves until the next
            # enable or install against it). Everything else is the same.
            compiled = {
                name.split("(")[0]
                for (name,) in conn.execute("select function_name::text from supabase_sync.compiled_function")
            }
            assert compiled, "a direct enable compiles the owner table's push functions"
            direct = [
                entry for entry in snapshot(conn, ["public", "supabase_sync"]) if entry[1].split("(")[0] not in compiled
            ]
            assert direct == replayed
    finally:
        sandbox.drop_database(other)


def test_a_client_cannot_forge_the_server_maintained_columns(example_db):
    user = example_db.create_user()
    forged = {
        "server_version": "1",
        "server_created_version": "1",
        "server_created_at": "2000-01-01T00:00:00Z",
        "server_updated_at": "2000-01-01T00:00:00Z",
        "instance_id": str(uuid.uuid4()),
    }
    with rpc.as_user(example_db.connect(), user_id=user) as cur:
        cur.execute(
            "insert into public.project (user_id, name, server_version, server_created_version,"
            " server_created_at, server_updated_at, instance_id)"
            " values (%s, 'p', %s, %s, %s, %s, %s) returning id",
            (user, *forged.values()),
        )
        (project_id,) = cur.fetchone()
        cur.execute(
            "update public.project set server_version = '2', server_updated_at = '2001-01-01', instance_id = %s"
            " where id = %s",
            (forged["instance_id"], project_id),
        )
    with example_db.connect() as conn:
        row = conn.execute(
            "select server_version::text::bigint, server_created_version::text::bigint,"
            " extract(year from server_created_at), extract(year from server_updated_at), instance_id"
            " from public.project where id = %s",
            (project_id,),
        ).fetchone()
    assert row[0] > 2 and row[1] > 1
    assert row[2] > 2001 and row[3] > 2001
    assert row[4] is None


def test_a_user_cannot_read_or_change_another_users_rows(example_db):
    alice, bob = example_db.create_users(2)
    conn = example_db.connect()
    with rpc.as_user(conn, user_id=alice) as cur:
        cur.execute("insert into public.project (name) values ('alice private') returning id")
        (alice_project,) = cur.fetchone()

    with rpc.as_user(conn, user_id=bob) as cur:
        cur.execute("select count(*) from public.project")
        assert cur.fetchone()[0] == 0
        cur.execute("update public.project set name = 'stolen' where id = %s", (alice_project,))
        assert cur.rowcount == 0
        cur.execute("delete from public.project where id = %s", (alice_project,))
        assert cur.rowcount == 0

    with pytest.raises(rpc.RpcError) as refused, rpc.as_user(conn, user_id=bob) as cur:
        cur.execute("insert into public.project (user_id, name) values (%s, 'planted')", (alice,))
    assert refused.value.sqlstate == "42501"

    with rpc.as_user(conn, user_id=alice) as cur:
        cur.execute("select name from public.project")
        assert cur.fetchall() == [("alice private",)]


def test_a_user_cannot_take_a_row_of_another_user(example_db):
    # The example's projects are shared: their owner may hand one over (tests/protocol/test_sharing.py),
    # but nobody else may take it.
    alice, bob = example_db.create_users(2)
    conn = example_db.connect()
    with rpc.as_user(conn, user_id=alice) as cur:
        cur.execute("insert into public.project (name) values ('mine') returning id")
        (project_id,) = cur.fetchone()
    with rpc.as_user(conn, user_id=bob) as cur:
        cur.execute("update public.project set user_id = %s where id = %s", (bob, project_id))
        assert cur.rowcount == 0
    owner = example_db.connect().execute("select user_id from public.project where id = %s", (project_id,))
    assert owner.fetchone() == (alice,)


def test_anon_sees_nothing(example_db):
    alice = example_db.create_user()
    conn = example_db.connect()
    with rpc.as_user(conn, user_id=alice) as cur:
        cur.execute("insert into public.project (name) values ('p') returning id")
    with rpc.as_user(conn) as cur:
        for table in EXAMPLE_TABLES:
            cur.execute(f"select count(*) from {table.display}")
            assert cur.fetchone()[0] == 0


def test_hard_deletes_leave_tombstones_through_the_triggers(example_db):
    alice = example_db.create_user()
    conn = example_db.connect()
    with rpc.as_user(conn, user_id=alice) as cur:
        cur.execute("insert into public.project (name) values ('p') returning id")
        (project_id,) = cur.fetchone()
        cur.execute("insert into public.task (project_id, title) values (%s, 't') returning id", (project_id,))
        (task_id,) = cur.fetchone()
        cur.execute("delete from public.project where id = %s", (project_id,))
    with example_db.connect() as owner:
        rows = owner.execute(
            "select relid::text, row_id, owner_id from supabase_sync.tombstone order by 1"
        ).fetchall()
    assert sorted(rows) == sorted([("project", str(project_id), alice), ("task", str(task_id), alice)])


HOSTILE_SCHEMA = 'x; drop table y'
HOSTILE_TABLE = 'a"b ü $supabase_sync$ tâble'
HOSTILE_OWNER = 'Owner "Id"; --'


def test_hostile_identifiers_are_quoted_end_to_end(installed_db):
    table = TableName(HOSTILE_SCHEMA, HOSTILE_TABLE)
    with installed_db.connect() as conn:
        conn.execute(psycopg.sql.SQL("create schema {}").format(psycopg.sql.Identifier(HOSTILE_SCHEMA)))
        conn.execute(
            psycopg.sql.SQL("create table {} (id uuid primary key default gen_random_uuid(), {} uuid not null, v text)")
            .format(table.identifier, psycopg.sql.Identifier(HOSTILE_OWNER))
        )
        conn.execute(
            psycopg.sql.SQL("grant usage on schema {} to authenticated, anon").format(
                psycopg.sql.Identifier(HOSTILE_SCHEMA)
            )
        )
        conn.execute(psycopg.sql.SQL("grant all on {} to authenticated, anon").format(table.identifier))
        conn.execute("create table public.y (n int)")
    assert parse_table_name(table.display) == table

    api.enable([table.display], db_url=installed_db.owner_dsn, owner_column=HOSTILE_OWNER, add_missing_columns=True)
    api.enable([table.display], db_url=installed_db.owner_dsn, owner_column=HOSTILE_OWNER, add_missing_columns=True)

    _assert_fully_enabled(installed_db, table, owner_column=HOSTILE_OWNER)
    alice, bob = installed_db.create_users(2)
    conn = installed_db.connect()
    insert = psycopg.sql.SQL("insert into {} ({}, v) values (%s, 'hi')").format(
        table.identifier, psycopg.sql.Identifier(HOSTILE_OWNER)
    )
    with rpc.as_user(conn, user_id=alice) as cur:
        cur.execute(insert, (alice,))
    with rpc.as_user(conn, user_id=bob) as cur:
        cur.execute(psycopg.sql.SQL("select count(*) from {}").format(table.identifier))
        assert cur.fetchone()[0] == 0
    with installed_db.connect() as owner:
        assert owner.execute("select to_regclass('public.y') is not null").fetchone()[0]
        assert owner.execute(
            "select collection from supabase_sync.synced_collection"
        ).fetchall() == [(table.identifier.as_string(None),)]


def _create(db, ddl: str) -> None:
    with db.connect() as conn:
        conn.execute(ddl)


@pytest.mark.parametrize(
    ("ddl", "table", "message"),
    [
        (None, "public.missing", "not found"),
        ("create table public.t (id uuid, user_id uuid not null)", "public.t", "no primary key"),
        (
            "create table public.t (a uuid, b uuid, user_id uuid not null, primary key (a, b))",
            "public.t",
            "composite primary key",
        ),
        ("create table public.t (id uuid primary key, owner uuid not null)", "public.t", "no owner column user_id"),
        ("create table public.t (id uuid primary key, user_id text not null)", "public.t", "not uuid"),
        ("create table public.t (id integer primary key, user_id uuid not null)", "public.t", "uuid or text key"),
        ("create view public.t as select 1 as id", "public.t", "not a table"),
    ],
)
def test_enable_explains_why_a_table_cannot_sync(installed_db, ddl, table, message):
    if ddl:
        _create(installed_db, ddl)
    with pytest.raises(TableError) as raised:
        api.enable([table], db_url=installed_db.owner_dsn, add_missing_columns=True)
    assert message in str(raised.value)
    assert raised.value.hint


def test_enable_lists_missing_columns_and_the_flag(installed_db):
    _create(installed_db, "create table public.t (id uuid primary key, user_id uuid not null, updated_at timestamptz)")
    with pytest.raises(TableError) as raised:
        api.enable(["public.t"], db_url=installed_db.owner_dsn)
    assert "created_at, deleted_at, server_created_at" in str(raised.value)
    assert "--add-missing-columns" in str(raised.value)


def test_enable_refuses_sync_columns_of_the_wrong_type(installed_db):
    _create(installed_db, "create table public.t (id uuid primary key, user_id uuid not null, updated_at bigint)")
    with pytest.raises(TableError, match="updated_at is bigint"):
        api.enable(["public.t"], db_url=installed_db.owner_dsn, add_missing_columns=True)


def test_enable_before_install_says_to_install(fresh_db):
    _create(fresh_db, "create table public.t (id uuid primary key, user_id uuid not null)")
    with pytest.raises(NotInstalled, match="supabase-sync install"):
        api.enable(["public.t"], db_url=fresh_db.owner_dsn)


def test_enable_rejects_an_unknown_conflict_strategy():
    with pytest.raises(ConfigError, match="reject or lww"):
        api.enable(["public.t"], conflict_strategy="newest", migrations_dir="/nonexistent")


def test_a_migration_without_add_missing_columns_is_refused_and_its_sql_stops_with_the_missing_columns(
    installed_db, tmp_path
):
    create = "create table public.t (id uuid primary key, user_id uuid not null)"
    _create(installed_db, create)
    api.install(migrations_dir=tmp_path)
    write_migration(tmp_path, "create_t", create + ";\n")
    before = sorted(tmp_path.iterdir())
    with pytest.raises(TableError, match="lacks the sync columns created_at.*--add-missing-columns"):
        api.enable(["public.t"], migrations_dir=tmp_path)
    assert sorted(tmp_path.iterdir()) == before
    # The file's own guard, for a migration folder edited after enable wrote it:
    spec = TableSpec(TableName("public", "t"), owner_column="user_id", id_column="id")
    (ddl, _indexes) = build_blind_enable_plan([spec], add_missing_columns=False).files()
    with pytest.raises(psycopg.errors.UndefinedColumn, match="lacks the sync columns created_at"):
        with installed_db.connect() as conn, conn.transaction():
            conn.execute(ddl[1].encode())


def test_conflict_strategy_is_recorded_and_can_be_changed(example_db):
    api.enable(["public.task"], db_url=example_db.owner_dsn, conflict_strategy="lww")
    assert _table(example_db, TableName("public", "task")).registration.conflict_strategy == "lww"


def test_disable_drops_triggers_and_registration_but_keeps_rows_and_policies(example_db):
    alice = example_db.create_user()
    with rpc.as_user(example_db.connect(), user_id=alice) as cur:
        cur.execute("insert into public.project (name) values ('p')")

    api.disable(["public.doc_updates"], db_url=example_db.owner_dsn)

    info = _table(example_db, TableName("public", "doc_updates"))
    assert info.registration is None
    assert not set(SYNC_TRIGGERS) & set(info.triggers)
    assert info.rls_enabled and len(info.policies) == 4
    with pytest.raises(TableError, match="not enabled"):
        api.disable(["public.doc_updates"], db_url=example_db.owner_dsn)


def test_disable_with_drop_data_needs_the_flag(example_db):
    from supabase_sync.enable import build_disable_plan
    from supabase_sync.errors import UnsafeOperation

    plan = build_disable_plan([TableName("public", "task")], drop_data=True)
    with pytest.raises(UnsafeOperation, match="--drop-data"):
        plan.check_safe(allowed=False, flag="--drop-data")
    api.disable(["public.doc_updates"], db_url=example_db.owner_dsn, drop_data=True)
    assert "server_version" not in _table(example_db, TableName("public", "doc_updates")).columns


def _enable_cli(args: list[str], capsys) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    from supabase_sync.cli import main

    with pytest.raises(SystemExit) as done:
        main(args)
    return done.value.code, capsys.readouterr().err


def test_enable_warns_when_a_referenced_table_is_not_synced(installed_db, capsys):
    _create(
        installed_db,
        "create table public.kind (id uuid primary key, label text);"
        "create table public.item (id uuid primary key, user_id uuid not null references auth.users (id),"
        " kind_id uuid references public.kind (id))",
    )
    code, err = _enable_cli(["enable", "public.item", "--add-missing-columns", "--db-url", installed_db.owner_dsn], capsys)
    assert code == 0
    (warning,) = [line for line in err.splitlines() if line.startswith("warning:")]
    assert "public.item references public.kind, which is not synced" in warning and "23503" in warning
    assert "auth.users" not in warning

    # The warning tells the truth: a pushed item whose kind is not on the server fails with 23503.
    alice = installed_db.create_user()
    with pytest.raises(rpc.RpcError) as refused:
        rpc.call(
            installed_db.connect(),
            "sync_push",
            {"changes": {"public.item": {"created": [{"id": str(uuid.uuid4()), "kind_id": str(uuid.uuid4())}]}}},
            user_id=alice,
        )
    assert (refused.value.sqlstate, refused.value.status) == ("23503", 409)


def test_enable_does_not_warn_about_a_parent_enabled_with_it(installed_db, capsys):
    _create(
        installed_db,
        "create table public.list (id uuid primary key, user_id uuid not null);"
        "create table public.entry (id uuid primary key, user_id uuid not null, list_id uuid references public.list (id))",
    )
    args = ["enable", "public.entry", "public.list", "--add-missing-columns", "--db-url", installed_db.owner_dsn]
    code, err = _enable_cli(args, capsys)
    assert code == 0 and "warning:" not in err
    result = api.enable(["public.entry"], db_url=installed_db.owner_dsn, dry_run=True)
    assert result.warnings == [] and not result.changed


# --- project-folder mode: checked against the project's migrations before any file is written ---


def _project_files(root) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(path.name for path in (root / "supabase" / "migrations").iterdir())


def _todo_project(tmp_path, *, installed: bool = True):  # type: ignore[no-untyped-def]
    from tests.helpers.projects import build_project

    root = build_project(tmp_path / "app")
    migrations = root / "supabase" / "migrations"
    for path in migrations.iterdir():
        if "supabase_sync_enable" in path.name or (not installed and "supabase_sync_install" in path.name):
            path.unlink()
    return root


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["enable", "public.nope"], "error: table public.nope not found"),
        (
            ["enable", "public.project", "--owner-column", "owner_id", "--add-missing-columns"],
            "owner_id",
        ),
        (["enable", "public.nokey", "--add-missing-columns"], "primary key"),
    ],
    ids=["missing table", "missing owner column", "no primary key"],
)
def test_in_a_project_folder_a_bad_enable_exits_1_with_one_line_and_writes_no_file(
    tmp_path, monkeypatch, capsys, args, message
):
    root = _todo_project(tmp_path)
    write_migration(root / "supabase" / "migrations", "nokey", "create table public.nokey (user_id uuid not null);\n")
    before = _project_files(root)
    monkeypatch.chdir(root)
    code, err = _enable_cli(args, capsys)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err
    assert _project_files(root) == before


def test_in_a_project_folder_the_missing_owner_column_has_the_message_of_direct_mode(
    tmp_path, monkeypatch, capsys, fresh_db
):
    from supabase_sync.migrations import apply_migrations

    root = _todo_project(tmp_path)
    apply_migrations(fresh_db.owner_dsn, root / "supabase" / "migrations")  # the same catalog, directly
    monkeypatch.chdir(root)
    folder_code, folder_err = _enable_cli(["enable", "public.project", "--owner-column", "owner_id"], capsys)
    direct_code, direct_err = _enable_cli(
        ["enable", "public.project", "--owner-column", "owner_id", "--db-url", fresh_db.owner_dsn], capsys
    )
    assert folder_code == direct_code == 1
    assert folder_err == direct_err


def test_in_a_project_folder_enable_before_install_exits_1_saying_to_install_first(tmp_path, monkeypatch, capsys):
    root = _todo_project(tmp_path, installed=False)
    before = _project_files(root)
    monkeypatch.chdir(root)
    code, err = _enable_cli(["enable", "public.project", "--add-missing-columns"], capsys)
    assert code == 1
    assert err.count("\n") == 1 and "not installed" in err and "run `supabase-sync install` first" in err, err
    assert _project_files(root) == before
    # After install, enable writes its two files after the install file.
    assert _enable_cli(["install"], capsys)[0] == 0
    assert _enable_cli(["enable", "public.project", "--add-missing-columns"], capsys)[0] == 0
    names = [name.split("_", 1)[1] for name in _project_files(root)]
    assert names == [
        "create_todo_tables.sql",
        "supabase_sync_install.sql",
        "supabase_sync_enable_project.sql",
        "supabase_sync_enable_project_indexes.sql",
    ]


# --- big numbers (issue 11.9): how pulls send int8/numeric -------------------------------


def _registered_big_numbers(db, table: str) -> str | None:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        (value,) = conn.execute(
            "select big_numbers from supabase_sync.synced_table where relid = %s::regclass", (table,)
        ).fetchone()
    return value


def test_big_numbers_lands_in_the_registry_and_the_dry_run_prints_exactly_what_runs(example_db, capsys):
    dsn = example_db.owner_dsn
    assert _registered_big_numbers(example_db, "public.task") is None  # the pack default
    dry = api.enable(["public.task"], db_url=dsn, big_numbers="string", dry_run=True)
    # The table has everything else: the plan is the lock and the one registry update (then its
    # compiled functions, compiled again after any change of the table).
    (register,) = [statement for statement in dry.planned[1:] if not compiles(statement)]
    assert "set big_numbers = 'string'" in register
    code, err = _enable_cli(["enable", "public.task", "--big-numbers", "string", "--db-url", dsn], capsys)
    assert code == 0, err
    assert _registered_big_numbers(example_db, "public.task") == "string"
    assert not api.enable(["public.task"], db_url=dsn, big_numbers="string", dry_run=True).changed
    dry = api.enable(["public.task"], db_url=dsn, big_numbers="number", dry_run=True)
    real = api.enable(["public.task"], db_url=dsn, big_numbers="number")
    assert dry.statements == real.executed and dry.sql == real.sql
    assert _registered_big_numbers(example_db, "public.task") == "number"
    (task,) = [table for table in api.status(dsn).to_dict()["tables"] if table["table"] == "public.task"]
    assert task["big_numbers"] == "number" and task["passed"]
    # Like the conflict strategy, enable sets what it is given: without the flag, the pack default again.
    api.enable(["public.task"], db_url=dsn)
    assert _registered_big_numbers(example_db, "public.task") is None


def test_big_numbers_in_a_written_migration_and_an_unknown_choice_refused():
    spec = TableSpec(TableName("public", "t"), big_numbers="string")
    sql_text = build_blind_enable_plan([spec], add_missing_columns=True).script()
    assert "set big_numbers = 'string'" in sql_text
    default = build_blind_enable_plan([TableSpec(TableName("public", "t"))], add_missing_columns=True).script()
    assert "set big_numbers = null::text" in default
    with pytest.raises(ConfigError, match="number or string"):
        api.enable(["public.t"], big_numbers="bigint", migrations_dir="/nonexistent")  # type: ignore[arg-type]
