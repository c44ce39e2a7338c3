"""The semantic lints, run on real databases: each bad fixture statement is found once, the fixes fix."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import psycopg
import pytest

from supabase_sync.lint import function_bodies, lint
from supabase_sync.lint.rules import RULES
from supabase_sync.migrations import apply_migrations, split_statements

FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad"
CLEAN = FIXTURES / "clean"

#: What the bad fixture breaks: one object per semantic lint.
EXPECTED_OBJECTS = {
    "SS001": "public.no_rls",
    "SS002": "public.policy_without_rls",
    "SS003": 'policy "owner can read" on public.per_row_policy',
    "SS004": 'policy "anyone can delete" on public.open_delete',
    "SS005": "public.unindexed_owner.user_id",
    "SS006": "function public.no_search_path()",
    "SS007": "function public.definer_for_everyone()",
    "SS008": "public.synced_missing_column",
    "SS009": "public.synced_missing_trigger",
    "SS010": "public.synced_missing_policy",
    "SS011": "public.unregistered_sync",
    "SS012": "public.no_primary_key",
    "SS013": "public.rls_no_policy",
    "SS014": "public.synced_without_rls",
    "SS015": "public.synced_without_index",
    "SS016": "public.synced_unpublished",
    "SS017": "public.synced_unpublished",
    "SS018": "public.synced_without_index",
    "SS019": "public.synced_missing_policy",
}


def _semantic(report):  # type: ignore[no-untyped-def]
    return [finding for finding in report.findings if finding.source == "semantic"]


def test_every_semantic_lint_has_a_case_in_the_bad_fixture() -> None:
    assert set(EXPECTED_OBJECTS) == set(RULES)


def test_bad_fixture_triggers_each_semantic_lint_exactly_once_naming_the_object(installed_db) -> None:  # type: ignore[no-untyped-def]
    apply_migrations(installed_db.owner_dsn, BAD)

    report = lint([BAD], db_url=installed_db.owner_dsn)

    found = _semantic(report)
    counts = Counter(finding.code for finding in found)
    assert counts == Counter(list(EXPECTED_OBJECTS)), [f"{f.code} {f.object}" for f in found]
    for finding in found:
        assert finding.object == EXPECTED_OBJECTS[finding.code], finding
        assert finding.level == RULES[finding.code].level or finding.code == "SS006"
        assert finding.why and finding.fix
    assert not report.problems
    assert [f for f in report.findings if f.source == "sqlfluff"] == []


def test_the_fix_sql_of_each_finding_fixes_it(installed_db) -> None:  # type: ignore[no-untyped-def]
    apply_migrations(installed_db.owner_dsn, BAD)
    before = _semantic(lint([BAD], db_url=installed_db.owner_dsn))

    with psycopg.connect(installed_db.owner_dsn, autocommit=True) as conn:
        for finding in before:
            assert finding.fix is not None
            # One by one, as psql runs them: a fix may build an index concurrently (SS019).
            for statement in split_statements(finding.fix):
                conn.execute(statement.encode())

    after = _semantic(lint([BAD], db_url=installed_db.owner_dsn))
    # Enabling RLS on public.no_rls (SS001's fix) leaves a table with RLS and no policy yet.
    assert [(f.code, f.object) for f in after] == [("SS013", "public.no_rls")]


def test_clean_fixture_and_the_installed_pack_trigger_no_lint(installed_db) -> None:  # type: ignore[no-untyped-def]
    apply_migrations(installed_db.owner_dsn, CLEAN)

    report = lint([CLEAN], db_url=installed_db.owner_dsn)

    assert report.findings == []
    assert report.problems == []


def test_fix_sql_composes_hostile_table_names(fresh_db) -> None:  # type: ignore[no-untyped-def]
    hostile = ['a"b', "drop table x; --", "Tâche"]
    with fresh_db.connect() as conn:
        for name in hostile:
            conn.execute(
                psycopg.sql.SQL("create table public.{} (id uuid primary key)").format(psycopg.sql.Identifier(name))
            )
        report = lint([CLEAN], db_url=fresh_db.owner_dsn)
        missing_rls = [f for f in report.findings if f.code == "SS001"]
        assert len(missing_rls) == len(hostile)
        for finding in missing_rls:
            conn.execute(finding.fix.encode())  # type: ignore[union-attr]
        enabled = conn.execute(
            "select count(*) from pg_class where relnamespace = 'public'::regnamespace and relrowsecurity"
        ).fetchone()
    assert enabled == (len(hostile),)


def _plpgsql_check_available(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return function_bodies.extension_state(conn).available


def test_plpgsql_check_reports_a_broken_function_body_at_its_file_line(installed_db) -> None:  # type: ignore[no-untyped-def]
    if not _plpgsql_check_available(installed_db.superuser_dsn):
        pytest.skip("the plpgsql_check extension is not installed on this server (postgresql-15-plpgsql-check)")
    function_bodies.install_extension(installed_db.superuser_dsn)
    apply_migrations(installed_db.owner_dsn, BAD)

    report = lint([BAD], db_url=installed_db.owner_dsn)

    bodies = [f for f in report.findings if f.source == "plpgsql_check" and "public." in (f.object or "")]
    assert [(f.code, f.object) for f in bodies] == [("SS020", "function public.broken_body() line 3")]
    text = (BAD / "20240101000000_bad_schema.sql").read_text().splitlines()
    assert bodies[0].path is not None and "missing_column" in text[bodies[0].line - 1]  # type: ignore[operator]
    assert "missing_column" in bodies[0].message


def test_without_plpgsql_check_the_report_says_bodies_were_not_checked(installed_db) -> None:  # type: ignore[no-untyped-def]
    report = lint([CLEAN], db_url=installed_db.owner_dsn)

    assert any("plpgsql_check" in note and "not checked" in note for note in report.notes)


def test_the_missing_column_fix_adds_the_columns_as_enable_does(installed_db) -> None:  # type: ignore[no-untyped-def]
    # A version column added without its default leaves existing rows at NULL: pulls would never return them.
    with installed_db.connect() as conn:
        conn.execute(
            "create table public.half_synced (id uuid primary key, user_id uuid not null);"
            "insert into public.half_synced values (gen_random_uuid(), gen_random_uuid());"
            "insert into supabase_sync.synced_table (relid, owner_column) values ('public.half_synced', 'user_id');"
        )
        (finding,) = [f for f in lint([CLEAN], db_url=installed_db.owner_dsn).findings if f.code == "SS008"]
        conn.execute(finding.fix.encode())  # type: ignore[union-attr]
        columns = dict(
            conn.execute(
                "select attname, attnotnull from pg_attribute"
                " where attrelid = 'public.half_synced'::regclass and attnum > 0 and not attisdropped"
            ).fetchall()
        )
        unversioned = conn.execute("select count(*) from public.half_synced where server_version is null").fetchone()
    assert columns["server_version"] and columns["server_created_version"] and columns["created_at"]
    assert unversioned == (0,)
