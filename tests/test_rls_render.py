"""Rendering: owner policies and index (`rls`), identifiers quoted, names as Postgres makes them."""

from __future__ import annotations

import psycopg
import pytest

from supabase_sync import api
from supabase_sync.catalog import read_table
from supabase_sync.contract import TableSpec
from supabase_sync.enable import build_blind_enable_plan
from supabase_sync.errors import ConfigError
from supabase_sync.names import TableName, parse_table_name, truncate_identifier
from supabase_sync.render.table import render_rls
from supabase_sync.sync_objects import owner_index_name, owner_version_index_name


def test_rls_prints_the_very_statements_enable_uses_and_an_owner_index():
    table = TableName("public", "invoice")
    printed = api.rls("public.invoice", owner_column="account_id").statements
    enable_plan = build_blind_enable_plan(
        [TableSpec(table, owner_column="account_id")], add_missing_columns=True
    ).chunks()
    *security, index = printed
    assert security and all(statement in enable_plan for statement in security)
    assert index not in enable_plan and "invoice_account_id_idx" in index
    assert [s.chunk() for s in render_rls(table, owner_column="account_id")] == printed


def test_rls_sql_applies_to_a_new_table_without_sync_columns(fresh_db, capsys):
    # What `supabase-sync rls` prints for a table secured by hand (no server_version) runs on it.
    from supabase_sync.cli import main

    with pytest.raises(SystemExit) as done:
        main(["rls", "public.invoice", "--owner-column", "user_id"])
    assert done.value.code == 0
    script = capsys.readouterr().out
    with fresh_db.connect() as conn:
        conn.execute("create table public.invoice (id uuid primary key, user_id uuid not null, total numeric)")
        conn.execute(script.encode())
        conn.execute(script.encode())
        info = read_table(conn, TableName("public", "invoice"), registry=False)
    assert info is not None and info.rls_enabled and len(info.policies) == 4
    assert [index.columns for index in info.indexes if index.name == "invoice_user_id_idx"] == [("user_id",)]


def test_rls_output_names_the_owner_column_in_every_policy():
    sql_text = api.rls("invoice", owner_column="account_id").sql
    assert "alter table \"public\".\"invoice\" enable row level security;" in sql_text
    for command in ("select", "insert", "update", "delete"):
        assert f'create policy "supabase_sync: owner can {command}"' in sql_text
    assert sql_text.count('(select auth.uid()) = "account_id"') == 5  # update has using and with check
    assert 'create index if not exists "invoice_account_id_idx"' in sql_text
    assert "drop " not in sql_text


def test_rls_writes_a_migration_when_asked(tmp_path):
    result = api.rls("public.invoice", migrations_dir=tmp_path)
    assert result.migration_path is not None
    assert result.migration_path.name.endswith("_supabase_sync_rls_invoice.sql")
    assert result.migration_path.read_text() == result.sql


def test_rls_sql_applies_to_a_hostile_table_and_replays_as_a_no_op(fresh_db):
    table = TableName('we"ird $supabase_sync$ schéma', "x; drop table y")
    owner = 'who "owns" $$ it'
    with fresh_db.connect() as conn:
        conn.execute(psycopg.sql.SQL("create schema {}").format(psycopg.sql.Identifier(table.schema)))
        conn.execute(
            psycopg.sql.SQL("create table {} (id uuid primary key, {} uuid not null, server_version xid8)").format(
                table.identifier, psycopg.sql.Identifier(owner)
            )
        )
        script = api.rls(table.display, owner_column=owner).sql
        assert "$supabase_sync_1$" in script  # the name holds the default tag: another one is used
        conn.execute(script.encode())
        conn.execute(script.encode())
        info = read_table(conn, table, registry=False)
    assert info is not None and info.rls_enabled
    assert sorted(info.policies) == [f"supabase_sync: owner can {c}" for c in ("delete", "insert", "select", "update")]
    assert [index.name for index in info.indexes if index.columns[:1] == (owner,)] == [
        owner_index_name(table.name, owner)
    ]


def test_long_index_names_are_cut_to_63_bytes_on_a_character_boundary():
    name = owner_version_index_name("é" * 40)
    assert len(name.encode()) <= 63
    assert name == truncate_identifier("é" * 40 + "_sync_position_idx")
    assert name.startswith("é" * 31)
    assert owner_version_index_name("task") == "task_sync_position_idx"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("task", TableName("public", "task")),
        ("Public.Task", TableName("public", "task")),
        ('"My Schema"."My ""Table"""', TableName("My Schema", 'My "Table"')),
        ('app."x; drop table y"', TableName("app", "x; drop table y")),
        ('"ünï"."cødé"', TableName("ünï", "cødé")),
    ],
)
def test_table_names_are_read_like_postgres_reads_them(text, expected):
    assert parse_table_name(text) == expected
    assert parse_table_name(expected.display) == expected


@pytest.mark.parametrize("text", ['"unterminated', "a.b.c", "a b", "", '""', "a..b"])
def test_unreadable_table_names_are_config_errors(text):
    with pytest.raises(ConfigError, match="cannot read table name"):
        parse_table_name(text)
