"""The registry records where a table below a scoped table copies its scope column from (schema step 0009).

doc_updates -> task -> project: enable keeps doc_updates.project_id equal to
its task's with the trigger supabase_sync_inherit_scope, and records
``scope_parent`` (public.task) and ``scope_through`` (task_id) so status, lint
and verify check that the trigger is there and current.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from supabase_sync import api
from supabase_sync.migrations import apply_migrations

PACK_V2 = Path(__file__).resolve().parent / "fixtures" / "pack_v2"
DOC_UPDATES = "public.doc_updates"
RECORDED = "select relid::text, scope_parent::text, scope_through::text from supabase_sync.synced_table order by 1"
EXAMPLE_RECORD = [
    ("doc_updates", "task", "task_id"),
    ("project", None, None),
    ("project_member", None, None),
    ("task", None, None),
]


def _gaps(dsn: str, table: str) -> dict[str, Any]:
    (found,) = [entry for entry in api.status(dsn).tables if entry.table == table]
    return {gap.key: gap for gap in found.gaps}


def test_the_registry_records_the_parent_a_table_copies_its_scope_column_from(example_db) -> None:  # type: ignore[no-untyped-def]
    with example_db.connect() as conn:
        assert conn.execute(RECORDED).fetchall() == EXAMPLE_RECORD
    assert api.status(example_db.owner_dsn).passed


def test_a_pack_2_database_records_its_copying_tables_when_upgraded(fresh_db) -> None:  # type: ignore[no-untyped-def]
    apply_migrations(fresh_db.owner_dsn, PACK_V2)
    with fresh_db.connect() as conn:
        columns = conn.execute(
            "select count(*) from pg_attribute where attrelid = 'supabase_sync.synced_table'::regclass"
            " and attname in ('scope_parent', 'scope_through')"
        ).fetchone()
        assert columns == (0,)
    api.install(fresh_db.owner_dsn)
    with fresh_db.connect() as conn:
        assert conn.execute(RECORDED).fetchall() == EXAMPLE_RECORD
    # Pack 3's per-table indexes (scope column, server_version, bucket), (scope column, bucket) and
    # (server_version, bucket) come with enable.
    gaps = {gap.key for table in api.status(fresh_db.owner_dsn).tables for gap in table.gaps}
    assert gaps == {"index.scope_position", "index.scope_bucket", "index.version_bucket"}
    api.enable(["public.project", "public.task", "public.doc_updates"], db_url=fresh_db.owner_dsn)
    assert api.status(fresh_db.owner_dsn).passed


def test_enable_records_the_parent_again_when_the_registry_lost_it(example_db) -> None:  # type: ignore[no-untyped-def]
    with example_db.connect() as conn:
        conn.execute(
            "update supabase_sync.synced_table set scope_parent = null, scope_through = null"
            " where relid = 'public.doc_updates'::regclass"
        )
    api.enable([DOC_UPDATES], scope_column="project_id", db_url=example_db.owner_dsn)
    with example_db.connect() as conn:
        assert conn.execute(RECORDED).fetchall() == EXAMPLE_RECORD


def test_the_registry_refuses_a_parent_without_its_column(example_db) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    with example_db.connect() as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "update supabase_sync.synced_table set scope_through = null where relid = 'public.doc_updates'::regclass"
        )


#: A way to leave doc_updates' copy trigger stale -> the SQL that does it (as the tables' owner).
STALE = {
    "dropped": "drop trigger supabase_sync_inherit_scope on public.doc_updates",
    "disabled": "alter table public.doc_updates disable trigger supabase_sync_inherit_scope",
    "wrong_parent_column": (
        "create or replace trigger supabase_sync_inherit_scope before insert or update of task_id on public.doc_updates"
        " for each row execute function supabase_sync.inherit_scope('\"public\".\"task\"', 'id', 'task_id',"
        " 'project_id', 'id')"
    ),
    "after_instead_of_before": (
        "drop trigger supabase_sync_inherit_scope on public.doc_updates;"
        " create trigger supabase_sync_inherit_scope after insert or update on public.doc_updates"
        " for each row execute function supabase_sync.inherit_scope('\"public\".\"task\"', 'id', 'task_id',"
        " 'project_id', 'project_id')"
    ),
}


@pytest.mark.parametrize("case", sorted(STALE))
def test_a_stale_copy_trigger_is_a_gap_and_its_fix_repairs_it(case: str, example_db) -> None:  # type: ignore[no-untyped-def]
    dsn = example_db.owner_dsn
    with example_db.connect() as conn:
        conn.execute(STALE[case])
    gaps = _gaps(dsn, DOC_UPDATES)
    assert set(gaps) == {"column.inherited_scope"}, gaps
    gap = gaps["column.inherited_scope"]
    assert "public.doc_updates.project_id is not kept equal to public.task's" in gap.problem
    assert gap.statements and "--scope-column project_id" in gap.fix
    with example_db.connect() as conn:
        for statement in gap.statements:
            conn.execute(statement)
    assert api.status(dsn).passed
