"""``gen-tests``: pgTAP tests of the synced tables' isolation, for ``supabase test db``.

The project's migrations are applied in a sandbox to learn the synced tables,
their columns and foreign keys; synthetic rows (parents first) are generated
there and written out as literal inserts. The test acts as users the way
Supabase's pgTAP docs do: ``set local role authenticated`` and
``set_config('request.jwt.claims', ..., true)``, all inside one transaction
that is rolled back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from supabase_sync.errors import ConfigError
from supabase_sync.progress import LogFunction, timed
from supabase_sync.project import find_project
from supabase_sync.sandbox.migrated import migrated_database
from supabase_sync.verify.catalog import SyncedTable, TableShape, load_shape, load_synced_tables
from supabase_sync.verify.synthetic import SyntheticData, client_row

#: The file gen-tests writes (re-running overwrites it).
ISOLATION_TEST_FILE = "supabase_sync_isolation_test.sql"

# Fixed users, so the generated file only changes when the schema does.
USER_A = "00000000-0000-4000-a000-00000000000a"
USER_B = "00000000-0000-4000-a000-00000000000b"


@dataclass
class GeneratedTests:
    """What gen-tests wrote: the files, the synced tables covered, the number of assertions."""

    paths: list[Path] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    assertions: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {"paths": [str(path) for path in self.paths], "tables": self.tables, "assertions": self.assertions}


def gen_tests(
    project_dir: str | Path | None = None,
    *,
    example: bool = False,
    backend: str = "auto",
    sandbox_url: str | None = None,
    output_dir: str | Path | None = None,
    log: LogFunction | None = None,
) -> GeneratedTests:
    """Write ``supabase_sync_isolation_test.sql`` (pgTAP) for the project's synced tables.

    The migrations are applied in a ``backend`` sandbox (``sandbox_url``: the
    server of the ``url`` backend). The file goes to ``output_dir`` (default:
    ``<project>/supabase/tests``). Raises :class:`ConfigError` when the
    migrations register no synced table.
    """
    say = timed(log)
    project = find_project(project_dir, example=example)
    target = Path(output_dir) if output_dir is not None else project.tests_dir
    with migrated_database(
        project.migrations_dir,
        purpose="gen_tests",
        backend=backend,
        sandbox_url=sandbox_url,
        install_pack=True,
        log=say,
    ) as database:
        with psycopg.connect(database.superuser_dsn) as conn:
            text, tables, assertions = render_isolation_test(conn)
            conn.rollback()  # the synthetic rows were only needed to learn their values
    target.mkdir(parents=True, exist_ok=True)
    path = target / ISOLATION_TEST_FILE
    path.write_text(text, encoding="utf-8")
    say(f"wrote {path}")
    return GeneratedTests(paths=[path], tables=tables, assertions=assertions)


class _Recorder:
    """Inserts synthetic rows (inside the caller's transaction) and remembers them in order."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.inserts: list[tuple[TableShape, dict[str, Any]]] = []

    def insert(self, user_id: str | None, shape: TableShape, row: dict[str, Any]) -> dict[str, Any]:
        statement = sql.SQL(
            "insert into {table} as t ({columns}) select {columns}"
            " from jsonb_populate_record(null::{table}, %s::jsonb) returning to_jsonb(t)"
        ).format(table=shape.identifier, columns=sql.SQL(", ").join(map(sql.Identifier, row)))
        stored = self.conn.execute(statement, (json.dumps(row, default=str),)).fetchone()
        full = dict(stored[0]) if stored else dict(row)
        kept = {key: full[key] for key in full if key in row or _is_key_column(shape, key)}
        self.inserts.append((shape, kept))
        return full


def _is_key_column(shape: TableShape, name: str) -> bool:
    """Columns a child may reference: kept in the generated insert even when a default filled them."""
    column = shape.column(name)
    return column is not None and column.has_default and not column.is_generated and name == "id"


def render_isolation_test(conn: psycopg.Connection) -> tuple[str, list[str], int]:
    """Return the pgTAP test text, the synced tables it covers and its number of assertions.

    ``conn`` (superuser, in a transaction the caller rolls back) is used to
    create the synthetic rows once, so their values are real.
    """
    tables = load_synced_tables(conn)
    if not tables:
        raise ConfigError(
            "the project's migrations register no synced table, so there is nothing to test",
            hint="supabase-sync enable public.<table> --owner-column user_id, then run gen-tests again",
        )
    _insert_users(conn)
    recorder = _Recorder(conn)
    # Seeded, so the generated file (committed by users) is the same on every run.
    synthetic = SyntheticData(
        tables, load_shape=lambda relid: load_shape(conn, relid), insert=recorder.insert, seed=0
    )
    owned = [(table, recorder.insert(USER_A, table.shape, synthetic.new_row(table, USER_A))) for table in tables]
    forged = {table.relid: synthetic.new_row(table, USER_B, {table.owner_column: USER_A}) for table in tables}

    assertions: list[str] = []
    for table, row in owned:
        assertions.extend(_as_owner_assertions(conn, table, row))
    as_b: list[str] = []
    for table, row in owned:
        as_b.extend(_as_other_user_assertions(conn, table, row, forged[table.relid]))
    as_anon = [_anon_table_assertion(conn, table) for table, _row in owned]
    as_anon.append("select throws_ok($$select public.sync_pull()$$, '42501', null, 'anon cannot call sync_pull');")
    as_anon.append(
        "select throws_ok($$select public.sync_push(changes => '{}'::jsonb)$$, '42501', null,"
        " 'anon cannot call sync_push');"
    )
    count = len(assertions) + len(as_b) + len(as_anon)
    lines = [
        "-- Generated by `supabase-sync gen-tests`: row level security isolation of the synced tables",
        f"-- ({', '.join(table.collection for table in tables)}). Run with `supabase test db`.",
        "-- Regenerate after enabling or changing synced tables; edits here are overwritten.",
        "begin;",
        "",
        "create extension if not exists pgtap with schema extensions;",
        "set local search_path = public, extensions;",
        f"select plan({count});",
        "",
        "-- Two users; A owns one row of every synced table (parents first).",
        f"insert into auth.users (id, email) values ('{USER_A}', 'supabase-sync-a@example.invalid'),"
        f" ('{USER_B}', 'supabase-sync-b@example.invalid');",
        *(_insert_sql(conn, shape, row) for shape, row in recorder.inserts),
        "",
        "-- User A sees their own rows.",
        *_become(conn, "authenticated", USER_A),
        *assertions,
        "",
        "-- User B reaches none of A's rows, by plain requests or through the sync RPCs.",
        "reset role;",
        *_become(conn, "authenticated", USER_B),
        *as_b,
        "",
        "-- anon (no login) reads nothing and cannot call the sync RPCs.",
        "reset role;",
        *_become(conn, "anon", None),
        *as_anon,
        "",
        "select * from finish();",
        "rollback;",
        "",
    ]
    return "\n".join(lines), [table.collection for table in tables], count


def _insert_users(conn: psycopg.Connection) -> None:
    conn.execute(
        "insert into auth.users (id, email) values (%s, 'supabase-sync-a@example.invalid'),"
        " (%s, 'supabase-sync-b@example.invalid')",
        (USER_A, USER_B),
    )


def _literal(conn: psycopg.Connection, value: Any) -> str:
    return sql.Literal(value).as_string(conn)


def _insert_sql(conn: psycopg.Connection, shape: TableShape, row: dict[str, Any]) -> str:
    statement = sql.SQL(
        "insert into {table} ({columns}) select {columns} from jsonb_populate_record(null::{table}, {row}::jsonb);"
    ).format(
        table=shape.identifier,
        columns=sql.SQL(", ").join(map(sql.Identifier, row)),
        row=sql.Literal(json.dumps(row, default=str, sort_keys=True)),
    )
    return statement.as_string(conn)


def _become(conn: psycopg.Connection, role: str, user_id: str | None) -> list[str]:
    claims = {"role": role} if user_id is None else {"sub": user_id, "role": role}
    return [
        f"set local role {role};",
        f"select set_config('request.jwt.claims', {_literal(conn, json.dumps(claims))}, true);",
    ]


def _where_id(conn: psycopg.Connection, table: SyncedTable, row: dict[str, Any]) -> str:
    return (
        sql.SQL("{id} = {value}")
        .format(id=sql.Identifier(table.id_column), value=sql.Literal(str(row[table.id_column])))
        .as_string(conn)
        + f"::{table.id_type}"
    )


def _dollar(text: str) -> str:
    """Quote a statement for a pgTAP argument, with a dollar tag it cannot contain."""
    tag = "$test$"
    while tag in text:
        tag = tag[:-1] + "x$"
    return f"{tag}{text}{tag}"


def _as_owner_assertions(conn: psycopg.Connection, table: SyncedTable, row: dict[str, Any]) -> list[str]:
    select = f"select 1 from {table.shape.identifier.as_string(conn)} where {_where_id(conn, table, row)}"
    return [f"select isnt_empty({_dollar(select)}, 'user A sees their own {table.collection} row');"]


def _as_other_user_assertions(
    conn: psycopg.Connection, table: SyncedTable, row: dict[str, Any], forged: dict[str, Any]
) -> list[str]:
    name = table.shape.identifier.as_string(conn)
    where = _where_id(conn, table, row)
    row_id = str(row[table.id_column])
    set_column = sql.Identifier(table.id_column).as_string(conn)
    label = table.collection.replace("'", "''")
    # What a client would send: no server-maintained columns (their xids differ on every run).
    push = json.dumps({table.collection: {"created": [], "updated": [client_row(row)], "deleted": []}}, default=str)
    forged_insert = _insert_sql(conn, table.shape, forged).rstrip(";")
    return [
        f"select is_empty({_dollar(f'select 1 from {name} where {where}')}, 'user B cannot select A''s {label} row');",
        "select is_empty("
        + _dollar(
            f"with changed as (update {name} set {set_column} = {set_column} where {where} returning 1)"
            " select * from changed"
        )
        + f", 'user B cannot update A''s {label} row');",
        "select is_empty("
        + _dollar(f"with gone as (delete from {name} where {where} returning 1) select * from gone")
        + f", 'user B cannot delete A''s {label} row');",
        f"select throws_ok({_dollar(forged_insert)}, '42501', null, 'user B cannot insert a {label} row owned by A');",
        f"select ok(position({_literal(conn, row_id)} in public.sync_pull()::text) = 0,"
        f" 'sync_pull as user B does not return A''s {label} row');",
        _push_refused(conn, table, push, label),
    ]


def _push_refused(conn: psycopg.Connection, table: SyncedTable, push: Any, label: str) -> str:
    """B's sync_push of A's row: a shared (scoped) row answers 42501; any other row is refused alone,
    listed as deleted on the server (docs/protocol.md "Threat model")."""
    call = f"select public.sync_push(changes => {_literal(conn, push)}::jsonb)"
    if table.kind == "scoped":
        return f"select throws_ok({_dollar(call)}, '42501', null, 'sync_push as user B cannot update A''s {label} row');"
    return (
        f"select ok(position('deleted on the server' in ({call})::text) > 0,"
        f" 'sync_push as user B cannot update A''s {label} row');"
    )


def _anon_table_assertion(conn: psycopg.Connection, table: SyncedTable) -> str:
    name = table.shape.identifier.as_string(conn)
    label = table.collection.replace("'", "''")
    return (
        f"select ok(case when has_table_privilege({_literal(conn, table.collection)}, 'select')"
        f" then not exists (select 1 from {name}) else true end, 'anon reads no {label} row');"
    )


__all__ = ["ISOLATION_TEST_FILE", "GeneratedTests", "gen_tests", "render_isolation_test"]
