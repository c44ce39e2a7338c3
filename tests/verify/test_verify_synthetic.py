"""Synthetic rows come from the catalog, so verify works on any schema, not only the example."""

from __future__ import annotations

import pytest

from supabase_sync.api import enable
from supabase_sync.errors import TableError
from supabase_sync.verify.catalog import Column, load_synced_tables
from supabase_sync.verify.checks import all_checks
from supabase_sync.verify.context import VerifyContext
from supabase_sync.verify.runner import run_check
from supabase_sync.verify.synthetic import value_for


def _column(base_type: str, category: str, **extra: object) -> Column:
    values: dict[str, object] = {
        "name": "c",
        "type_sql": base_type,
        "base_type": base_type,
        "base_kind": "b",
        "category": category,
        "enum_labels": None,
        "max_length": None,
        "not_null": True,
        "has_default": False,
        "is_identity": False,
        "is_generated": False,
    }
    values.update(extra)
    return Column(**values)  # type: ignore[arg-type]


def test_values_follow_the_column_type_length_enum_and_check_literals() -> None:
    assert isinstance(value_for(_column("int4", "N"), 3), int)
    assert value_for(_column("bool", "B"), 1) is True
    assert len(value_for(_column("varchar", "S", max_length=3), 12345)) == 3
    assert value_for(_column("mood", "E", enum_labels=("sad", "ok")), 1) == "ok"
    assert value_for(_column("text", "S", allowed_values=("open", "done")), 0) == "open"
    assert value_for(_column("text", "S"), 1) != value_for(_column("text", "S"), 2)
    assert value_for(_column("_int4", "A"), 1) == []


def test_a_type_without_a_recipe_is_refused_naming_the_column() -> None:
    with pytest.raises(TableError, match="NOT NULL column c of type point"):
        value_for(_column("point", "G"), 1)


HOSTILE_SCHEMA = r'''
create type public.mood as enum ('sad', 'ok');
create table public.kind (code serial primary key, label text not null);
create table public."Weird ""Parent""" (
    id text primary key,
    user_id uuid not null references auth.users (id),
    "Select" varchar(6) not null,
    status text not null check (status in ('open', 'done')),
    kind_code integer not null references public.kind (code),
    feeling public.mood not null,
    score numeric(5, 2) not null,
    tags text[] not null,
    payload jsonb not null,
    blob bytea not null,
    due date not null,
    unique (user_id, id)
);
create table public.child (
    id uuid primary key,
    user_id uuid not null references auth.users (id),
    parent_id text not null,
    amount bigint not null check (amount > 0),
    constraint child_parent_id_fkey foreign key (user_id, parent_id) references public."Weird ""Parent""" (user_id, id)
);
'''


def test_every_check_passes_on_a_hostile_schema_enabled_with_supabase_sync(installed_db) -> None:  # type: ignore[no-untyped-def]
    with installed_db.connect() as conn:
        conn.execute(HOSTILE_SCHEMA)
    enable(['public."Weird ""Parent"""', "public.child"], db_url=installed_db.owner_dsn, add_missing_columns=True)
    with installed_db.connect(superuser=True) as conn:
        tables = load_synced_tables(conn)
    assert [table.collection for table in tables] == ['public."Weird ""Parent"""', "public.child"]
    ctx = VerifyContext(owner_dsn=installed_db.owner_dsn, superuser_dsn=installed_db.superuser_dsn, tables=tables)
    try:
        results = [
            run_check(ctx, item, table)
            for item in all_checks()
            for table in (tables if item.scope == "table" else [None])
        ]
    finally:
        ctx.close()
    problems = [f"{r.check} {r.table}: {r.outcome} {r.message}" for r in results if r.outcome not in ("pass", "skip")]
    assert not problems, "\n".join(problems)
    assert len(results) > 30


def test_a_foreign_key_that_can_cross_owners_fails_verify_and_its_fix_repairs_it(installed_db) -> None:  # type: ignore[no-untyped-def]
    crossing = HOSTILE_SCHEMA.replace(
        'constraint child_parent_id_fkey foreign key (user_id, parent_id) references public."Weird ""Parent""" (user_id, id)',
        'constraint child_parent_id_fkey foreign key (parent_id) references public."Weird ""Parent""" (id)',
    )
    assert crossing != HOSTILE_SCHEMA
    with installed_db.connect() as conn:
        conn.execute(crossing)
    enable(['public."Weird ""Parent"""', "public.child"], db_url=installed_db.owner_dsn, add_missing_columns=True)

    def run() -> list:  # type: ignore[type-arg]
        with installed_db.connect(superuser=True) as conn:
            tables = load_synced_tables(conn)
        ctx = VerifyContext(owner_dsn=installed_db.owner_dsn, superuser_dsn=installed_db.superuser_dsn, tables=tables)
        try:
            item = next(item for item in all_checks() if item.name == "isolation.foreign_keys")
            return [run_check(ctx, item, table) for table in tables]
        finally:
            ctx.close()

    failed = [result for result in run() if result.outcome == "fail"]
    assert [result.table for result in failed] == ["public.child"]
    assert "references public.\"Weird \"\"Parent\"\"\" without the owner column" in failed[0].message
    with installed_db.connect() as conn:
        conn.execute("delete from public.child")  # the check's own row crosses owners: the new key refuses it
        conn.execute(failed[0].fix)
    assert all(result.outcome == "pass" for result in run())
