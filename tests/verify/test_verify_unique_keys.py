"""A unique key that compares every user's rows is an oracle: verify and lint report it, their fix closes it."""

from __future__ import annotations

from pathlib import Path

from supabase_sync.api import enable, verify
from supabase_sync.lint import lint
from supabase_sync.migrations import split_statements
from supabase_sync.sandbox import Sandbox
from supabase_sync.verify.catalog import load_synced_tables
from supabase_sync.verify.checks import all_checks
from supabase_sync.verify.context import VerifyContext
from supabase_sync.verify.runner import run_check
from helpers.projects import build_project

#: A unique constraint, a partial expression index (keeping its operator class and INCLUDE), and keys that are
#: fine: with the owner column, with the id.
ACCOUNT_SCHEMA = r'''
create table public."Ac""count" (
    id uuid primary key,
    user_id uuid not null references auth.users (id),
    email text unique,
    nick text,
    "Note" text,
    archived boolean not null default false,
    unique (user_id, nick),
    unique (id, email)
);
create unique index "Ac""count_nick" on public."Ac""count" (lower(nick) text_pattern_ops) include ("Note")
where not archived;
'''


def _unique_check_results(installed_db) -> list:  # type: ignore[no-untyped-def,type-arg]
    with installed_db.connect(superuser=True) as conn:
        tables = load_synced_tables(conn)
    ctx = VerifyContext(owner_dsn=installed_db.owner_dsn, superuser_dsn=installed_db.superuser_dsn, tables=tables)
    try:
        item = next(item for item in all_checks() if item.name == "isolation.unique")
        return [run_check(ctx, item, table) for table in tables]
    finally:
        ctx.close()


def _run_fix(installed_db, fix: str) -> None:  # type: ignore[no-untyped-def]
    # One statement at a time, as psql runs them: the new index is built concurrently.
    with installed_db.connect() as conn:
        for statement in split_statements(fix):
            conn.execute(statement.encode())


def _definitions(installed_db) -> set[str]:  # type: ignore[no-untyped-def]
    with installed_db.connect() as conn:
        rows = conn.execute(
            "select pg_get_indexdef(indexrelid) from pg_index where indrelid = 'public.\"Ac\"\"count\"'::regclass"
        ).fetchall()
    return {row[0] for row in rows}


def test_a_unique_key_without_the_owner_column_fails_verify_and_its_fix_repairs_it(installed_db) -> None:  # type: ignore[no-untyped-def]
    with installed_db.connect() as conn:
        conn.execute(ACCOUNT_SCHEMA)
    enable(['public."Ac""count"'], db_url=installed_db.owner_dsn, add_missing_columns=True)

    reported = []
    for _attempt in range(3):
        failed = [result for result in _unique_check_results(installed_db) if result.outcome == "fail"]
        if not failed:
            break
        assert [result.table for result in failed] == ['public."Ac""count"']
        assert "answered 23505 for a value user A holds" in failed[0].message
        reported.append(failed[0].message)
        _run_fix(installed_db, failed[0].fix)

    assert len(reported) == 2, reported
    assert any('unique constraint "Ac""count_email_key"' in message for message in reported)
    assert any('unique index "Ac""count_nick"' in message for message in reported)
    assert all(result.outcome == "pass" for result in _unique_check_results(installed_db))
    definitions = _definitions(installed_db)
    # The rebuilt keys keep their names, operator class, INCLUDE and predicate, with the owner column first.
    assert 'CREATE UNIQUE INDEX "Ac""count_email_key" ON public."Ac""count" USING btree (user_id, email)' in definitions
    assert (
        'CREATE UNIQUE INDEX "Ac""count_nick" ON public."Ac""count" USING btree (user_id, lower(nick) text_pattern_ops)'
        ' INCLUDE ("Note") WHERE (NOT archived)'
    ) in definitions
    with installed_db.connect() as conn:
        constraint = conn.execute(
            "select contype from pg_constraint where conname = 'Ac\"count_email_key'"
        ).fetchone()
    assert constraint == ("u",)


def test_lint_reports_each_unique_key_that_compares_every_user_and_its_fix_clears_it(installed_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with installed_db.connect() as conn:
        conn.execute(ACCOUNT_SCHEMA)
    enable(['public."Ac""count"'], db_url=installed_db.owner_dsn, add_missing_columns=True)

    found = [f for f in lint([tmp_path], db_url=installed_db.owner_dsn).findings if f.code == "SS019"]

    assert sorted(finding.message.split(" of ")[0] for finding in found) == [
        'unique constraint "Ac""count_email_key"',
        'unique index "Ac""count_nick"',
    ]
    for finding in found:
        assert finding.object == 'public."Ac""count"' and finding.level == "warning"
        _run_fix(installed_db, finding.fix)  # type: ignore[arg-type]
    assert [f for f in lint([tmp_path], db_url=installed_db.owner_dsn).findings if f.code == "SS019"] == []


def test_unique_keys_of_shared_tables_fail_verify_and_their_fixes_as_a_migration_pass(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    # The example's project is a scope (per owner), task is scoped (per project); its membership table's
    # unique (project_id, user_id) holds the scope column, so it passes as it is.
    project = build_project(tmp_path)
    migrations = project / "supabase" / "migrations"
    (migrations / "20270101000000_unique_names.sql").write_text(
        "alter table public.project add constraint project_name_key unique (name);\n"
        "alter table public.task add constraint task_title_key unique (title);\n",
        encoding="utf-8",
    )

    report = verify(project, backend="url", sandbox_url=sandbox.superuser_dsn)

    failed = {(result.check, result.table): result for result in report.failures}
    assert set(failed) == {("isolation.unique", "public.project"), ("isolation.unique", "public.task")}, (
        report.to_text()
    )
    project_fix = failed[("isolation.unique", "public.project")].fix
    task_fix = failed[("isolation.unique", "public.task")].fix
    assert project_fix is not None and '("user_id", name)' in project_fix
    assert task_fix is not None and '("project_id", title)' in task_fix
    (migrations / "20270101000001_unique_names_per_owner.sql").write_text(
        f"{project_fix}\n{task_fix}\n", encoding="utf-8"
    )
    fixed = verify(project, backend="url", sandbox_url=sandbox.superuser_dsn)
    assert fixed.passed, fixed.to_text()
