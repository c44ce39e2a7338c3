"""The fix SQL verify prints is the SQL enable runs: it executes, whatever the names."""

from __future__ import annotations

from psycopg import sql

from supabase_sync.contract import TableSpec, requirements
from supabase_sync.names import TableName


def test_the_trigger_fixes_run_on_a_table_with_hostile_names(installed_db) -> None:  # type: ignore[no-untyped-def]
    schema, name, id_column, owner = "Sync'd", 'task "x"; drop table y', "it's id", "own'er"
    spec = TableSpec(TableName(schema, name), owner_column=owner, id_column=id_column, realtime="broadcast")
    triggers = [requirement for requirement in requirements() if requirement.family == "triggers"]
    with installed_db.connect() as conn:
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
        conn.execute(
            sql.SQL("create table {} ({} uuid primary key, {} uuid not null)").format(
                sql.Identifier(schema, name), sql.Identifier(id_column), sql.Identifier(owner)
            )
        )
        for requirement in triggers:
            for statement in requirement.render(spec):
                conn.execute(statement.inline().encode())
        arguments = conn.execute(
            "select tgargs from pg_trigger where tgname = 'supabase_sync_tombstone'"
        ).fetchone()
        broadcast = conn.execute(
            "select tgargs from pg_trigger where tgname = 'supabase_sync_broadcast'"
        ).fetchone()
    assert len(triggers) == 5  # stamp, tombstone, truncate, transfer, broadcast (rendered for --realtime broadcast)
    assert broadcast is not None and bytes(broadcast[0]).split(b"\x00")[:2] == [b"it's id", b"own'er"]
    assert arguments is not None and bytes(arguments[0]).split(b"\x00")[:2] == [b"it's id", b"own'er"]
