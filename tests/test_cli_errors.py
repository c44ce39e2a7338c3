"""Every error of install/uninstall/enable/disable/rls/status: one clear line, non-zero exit, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from supabase_sync.cli import main


def _fails(args: list[str], capsys, monkeypatch, tmp_path) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)  # not a Supabase project folder
    monkeypatch.delenv("SUPABASE_DB_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as done:
        main(args)
    err = capsys.readouterr().err
    assert done.value.code != 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return done.value.code, lines[0]


def _create(db, ddl: str) -> None:
    with db.connect() as conn:
        conn.execute(ddl)


def test_install_without_a_destination(capsys, monkeypatch, tmp_path):
    code, line = _fails(["install"], capsys, monkeypatch, tmp_path)
    assert code == 1 and "--db-url" in line and "supabase/config.toml" in line


def test_install_against_an_unreachable_server_masks_the_password(capsys, monkeypatch, tmp_path):
    url = "postgresql://owner:s3cret@127.0.0.1:9/nowhere?connect_timeout=2"
    code, line = _fails(["install", "--db-url", url], capsys, monkeypatch, tmp_path)
    assert code == 1 and "cannot connect" in line and "s3cret" not in line and "***" in line


def test_an_unreachable_server_error_says_why_in_one_line(capsys, monkeypatch, tmp_path):
    url = "postgresql://owner:s3cret@127.0.0.1:9/nowhere?connect_timeout=2"
    _, line = _fails(["status", "--db-url", url], capsys, monkeypatch, tmp_path)
    assert "Connection refused" in line and "\t" not in line


@pytest.mark.parametrize("table", ["auth.users", "storage.objects", "supabase_sync.tombstone"])
def test_enable_refuses_a_table_of_a_schema_supabase_or_supabase_sync_manages(
    installed_db, table, capsys, monkeypatch, tmp_path
):
    _, line = _fails(["enable", table, "--db-url", installed_db.owner_dsn], capsys, monkeypatch, tmp_path)
    assert f"{table.split('.')[0]} is managed by" in line and "add column" not in line


def test_enable_a_missing_table(installed_db, capsys, monkeypatch, tmp_path):
    _, line = _fails(["enable", "public.nope", "--db-url", installed_db.owner_dsn], capsys, monkeypatch, tmp_path)
    assert "table public.nope not found" in line


def test_enable_before_install(fresh_db, capsys, monkeypatch, tmp_path):
    _create(fresh_db, "create table public.t (id uuid primary key, user_id uuid not null)")
    _, line = _fails(["enable", "public.t", "--db-url", fresh_db.owner_dsn], capsys, monkeypatch, tmp_path)
    assert "not installed" in line and "supabase-sync install" in line


@pytest.mark.parametrize(
    ("ddl", "args", "expected"),
    [
        ("create table public.t (id uuid primary key, user_id uuid not null)", [], "--add-missing-columns"),
        ("create table public.t (id uuid, user_id uuid not null)", ["--add-missing-columns"], "no primary key"),
        (
            "create table public.t (a uuid, b uuid, user_id uuid not null, primary key (a, b))",
            ["--add-missing-columns"],
            "composite primary key (a, b)",
        ),
        (
            "create table public.t (id uuid primary key, owner uuid)",
            ["--add-missing-columns"],
            "--owner-column",
        ),
        (
            "create table public.t (id uuid primary key, user_id bigint)",
            ["--add-missing-columns"],
            "not uuid",
        ),
    ],
)
def test_enable_a_table_that_cannot_sync(installed_db, ddl, args, expected, capsys, monkeypatch, tmp_path):
    _create(installed_db, ddl)
    _, line = _fails(["enable", "public.t", *args, "--db-url", installed_db.owner_dsn], capsys, monkeypatch, tmp_path)
    assert expected in line


def test_enable_an_unreadable_table_name(capsys, monkeypatch, tmp_path):
    _, line = _fails(["enable", '"unterminated', "--migrations-dir", str(tmp_path)], capsys, monkeypatch, tmp_path)
    assert "cannot read table name" in line


def test_uninstall_with_data_names_the_flag(example_db, capsys, monkeypatch, tmp_path):
    _, line = _fails(["uninstall", "--db-url", example_db.owner_dsn], capsys, monkeypatch, tmp_path)
    assert "--drop-data" in line


def test_uninstall_where_nothing_is_installed(fresh_db, capsys, monkeypatch, tmp_path):
    _, line = _fails(["uninstall", "--db-url", fresh_db.owner_dsn], capsys, monkeypatch, tmp_path)
    assert "not installed" in line


def test_disable_a_table_that_is_not_enabled(installed_db, capsys, monkeypatch, tmp_path):
    _create(installed_db, "create table public.t (id uuid primary key, user_id uuid not null)")
    _, line = _fails(["disable", "public.t", "--db-url", installed_db.owner_dsn], capsys, monkeypatch, tmp_path)
    assert "not enabled" in line


def test_rls_with_an_empty_owner_column(capsys, monkeypatch, tmp_path):
    _, line = _fails(["rls", "public.t", "--owner-column", ""], capsys, monkeypatch, tmp_path)
    assert "--owner-column" in line


def test_status_with_gaps_exits_2(fresh_db, capsys, monkeypatch, tmp_path):
    code, line = _fails(["status", "--db-url", fresh_db.owner_dsn], capsys, monkeypatch, tmp_path)
    assert code == 2 and "gap" in line


def test_an_index_name_taken_by_another_relation_is_a_table_error(installed_db, capsys, monkeypatch, tmp_path):
    _create(installed_db, "create table public.t (id uuid primary key, user_id uuid not null)")
    _create(installed_db, "create table public.t_sync_position_idx (n int)")
    _, line = _fails(
        ["enable", "public.t", "--add-missing-columns", "--db-url", installed_db.owner_dsn],
        capsys,
        monkeypatch,
        tmp_path,
    )
    assert "public.t_sync_position_idx already exists" in line


def test_a_failing_statement_is_rolled_back_and_reported_in_one_line(installed_db, capsys, monkeypatch, tmp_path):
    _create(installed_db, "create table public.t (id uuid primary key, user_id uuid not null)")
    with installed_db.connect(superuser=True) as conn:
        # The owner may no longer change Realtime's publication: the publish statement fails.
        conn.execute("alter publication supabase_realtime owner to current_user")
    code, line = _fails(
        ["enable", "public.t", "--add-missing-columns", "--db-url", installed_db.owner_dsn],
        capsys,
        monkeypatch,
        tmp_path,
    )
    assert code == 1 and "publish public.t" in line and "rolled back" in line
    with installed_db.connect() as conn:
        columns = conn.execute(
            "select count(*) from pg_attribute where attrelid = 'public.t'::regclass and attnum > 0"
        ).fetchone()[0]
    assert columns == 2  # the columns added before the failure were rolled back


def test_the_installed_program_prints_one_line_without_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "supabase_sync", "enable", "public.t", "--conflict-strategy", "lww"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "--db-url" in done.stderr


def test_owner_column_followed_by_a_flag_is_refused_before_anything_changes(
    installed_db, capsys, monkeypatch, tmp_path
):
    _create(installed_db, "create table public.t (id uuid primary key, user_id uuid not null)")
    args = ["enable", "public.t", "--owner-column", "--add-missing-columns", "--db-url", installed_db.owner_dsn]
    code, line = _fails(args, capsys, monkeypatch, tmp_path)
    assert code == 64
    assert "'--add-missing-columns' looks like an option, not a column name" in line
    assert "--owner-column user_id" in line
    with installed_db.connect() as conn:
        added = conn.execute(
            "select count(*) from information_schema.columns where table_name = 't' and column_name like 'server_%'"
        ).fetchone()[0]
    assert added == 0


@pytest.fixture
def role_with_at_in_password(installed_db):
    """A login role whose password holds an '@', with the project owner's privileges; dropped after."""
    role = f"at_user_{installed_db.name[-12:]}"
    with installed_db.connect(superuser=True) as conn:
        conn.execute(f"create role {role} login password 'p@ss' in role {installed_db.sandbox.owner_role}")
    yield role
    with installed_db.connect(superuser=True) as conn:
        conn.execute(f"drop role {role}")


def test_a_password_with_an_unencoded_at_is_masked_whole_and_the_error_says_to_percent_encode(
    installed_db, role_with_at_in_password, capsys, monkeypatch, tmp_path
):
    address = installed_db.sandbox.address
    if address.host.startswith("/"):
        pytest.skip("this sandbox listens on a unix socket only (embedded backend): the URL has no host to misread")
    url = f"postgresql://{role_with_at_in_password}:p@ss@{address.host}:{address.port}/{installed_db.name}"

    code, line = _fails(["status", "--db-url", url], capsys, monkeypatch, tmp_path)

    assert code == 1
    assert f"postgresql://{role_with_at_in_password}:***@{address.host}:{address.port}/" in line
    assert "ss@" not in line and "p@" not in line  # no piece of the password
    assert "percent-encode" in line and "@ is %40" in line
    encoded = url.replace(":p@ss@", ":p%40ss@")  # the fix the hint gives connects
    with pytest.raises(SystemExit) as done:
        main(["status", "--db-url", encoded])
    assert done.value.code == 0, capsys.readouterr().err


def test_uninstall_hint_names_disable_first_and_following_it_keeps_every_column(
    example_db, capsys, monkeypatch, tmp_path
):
    user = example_db.create_user()
    with example_db.connect() as conn:
        conn.execute("insert into public.project (user_id, name) values (%s, 'kept')", (user,))
    _, line = _fails(["uninstall", "--db-url", example_db.owner_dsn], capsys, monkeypatch, tmp_path)
    disable = line.split("`supabase-sync disable ", 1)[1].split("`", 1)[0]
    assert disable.split() == ["public.project", "public.project_member", "public.task", "public.doc_updates"]
    assert "then `supabase-sync uninstall --drop-data`" in line

    for args in (["disable", *disable.split()], ["uninstall", "--drop-data"]):
        with pytest.raises(SystemExit) as done:
            main([*args, "--db-url", example_db.owner_dsn])
        assert done.value.code == 0, capsys.readouterr().err

    with example_db.connect() as conn:
        assert conn.execute("select to_regnamespace('supabase_sync')").fetchone()[0] is None
        rows = conn.execute("select name, server_version is not null from public.project").fetchall()
    assert rows == [("kept", True)]  # the row and its server-maintained columns are still there
