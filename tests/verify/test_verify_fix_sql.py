"""The fix SQL verify prints is the SQL enable runs: it executes, whatever the names."""

from __future__ import annotations

from psycopg import sql

from supabase_sync.render import TableName
from supabase_sync.verify.catalog import SyncedTable, TableShape
from supabase_sync.verify.checks.structure import _expected_triggers


def test_the_trigger_fixes_run_on_a_table_with_hostile_names(installed_db) -> None:  # type: ignore[no-untyped-def]
    schema, name, id_column, owner = "Sync'd", 'task "x"; drop table y', "it's id", "own'er"
    table = SyncedTable(
        relid=0,
        collection=str(TableName(schema, name)),
        schema_name=schema,
        table_name=name,
        owner_column=owner,
        id_column=id_column,
        id_type="uuid",
        conflict_strategy="reject",
        dependency_rank=0,
        shape=TableShape(relid=0, schema_name=schema, table_name=name, columns=(), foreign_keys=()),
    )
    with installed_db.connect() as conn:
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
        conn.execute(
            sql.SQL("create table {} ({} uuid primary key, {} uuid not null)").format(
                sql.Identifier(schema, name), sql.Identifier(id_column), sql.Identifier(owner)
            )
        )
        for _fragment, create in _expected_triggers(table).values():
            conn.execute(create.encode())
        arguments = conn.execute(
            "select tgargs from pg_trigger where tgname = 'supabase_sync_tombstone'"
        ).fetchone()
    assert arguments is not None and bytes(arguments[0]).split(b"\x00")[:2] == [b"it's id", b"own'er"]
