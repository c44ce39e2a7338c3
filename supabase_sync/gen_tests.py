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

# Fixed users, so the generated file only changes when the schema does. A owns the rows; B is nobody to
# them; V, E and M are the viewer, editor and admin members of A's scope rows (shared tables only).
USER_A = "00000000-0000-4000-a000-00000000000a"
USER_B = "00000000-0000-4000-a000-00000000000b"
USER_VIEWER = "00000000-0000-4000-a000-0000000000c1"
USER_EDITOR = "00000000-0000-4000-a000-0000000000c2"
USER_ADMIN = "00000000-0000-4000-a000-0000000000c3"
#: Every user of the generated test, with the label of its auth.users email.
USERS = {USER_A: "a", USER_B: "b", USER_VIEWER: "viewer", USER_EDITOR: "editor", USER_ADMIN: "admin"}


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
    sharing = _Sharing(conn, tables, synthetic, recorder)
    shared = sharing.blocks(owned)
    as_anon = [_anon_table_assertion(conn, table) for table, _row in owned]
    as_anon.append("select throws_ok($$select public.sync_pull()$$, '42501', null, 'anon cannot call sync_pull');")
    as_anon.append(
        "select throws_ok($$select public.sync_push(changes => '{}'::jsonb)$$, '42501', null,"
        " 'anon cannot call sync_push');"
    )
    count = len(assertions) + len(as_b) + len(as_anon) + sum(len(block) for _user, _title, block in shared)
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
        "-- Users; A owns one row of every synced table (parents first); V, E, M are members of A's scope rows.",
        "insert into auth.users (id, email) values "
        + ", ".join(f"('{user}', 'supabase-sync-{label}@example.invalid')" for user, label in USERS.items())
        + ";",
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
        *(line for user, title, block in shared for line in ("", f"-- {title}", "reset role;",
                                                              *_become(conn, "authenticated", user), *block)),
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
    for user, label in USERS.items():
        email = f"supabase-sync-{label}@example.invalid"
        conn.execute("insert into auth.users (id, email) values (%s, %s)", (user, email))


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


class _Sharing:
    """The scope assertions (DESIGN 3.4, docs/protocol.md "Sharing"): who reads and writes A's shared rows,
    and who changes who may.

    For every scope row holding one of A's scoped rows, V, E and M are made its viewer, editor and admin
    (setup inserts); then B (not a member) cannot write into it, V reads but cannot write, E writes but cannot
    change the members or delete the scope row, M and A change the members.
    """

    def __init__(
        self, conn: psycopg.Connection, tables: list[SyncedTable], synthetic: SyntheticData, recorder: _Recorder
    ) -> None:
        self.conn = conn
        self.tables = tables
        self.synthetic = synthetic
        self.recorder = recorder

    def blocks(self, owned: list[tuple[SyncedTable, dict[str, Any]]]) -> list[tuple[str, str, list[str]]]:
        """(acting user, comment, assertions) in the order the file runs them; empty without shared tables."""
        scoped = [(table, row, place) for table, row in owned if (place := self._place(table, row)) is not None]
        places = list(dict.fromkeys(place for _table, _row, place in scoped))
        for scope, members, scope_id in places:
            for user, role in ((USER_VIEWER, "viewer"), (USER_EDITOR, "editor"), (USER_ADMIN, "admin")):
                self.recorder.insert(None, members.shape, self._membership(members, USER_A, scope_id, user, role))
        outsider: list[str] = []
        viewer: list[str] = []
        editor: list[str] = []
        for table, row, _place in scoped:
            outsider.append(self._insert_refused(table, USER_B, row, "user B (not a member)"))
            viewer.extend(self._viewer(table, row))
            editor.extend(self._editor(table, row))
        admin: list[str] = []
        owner: list[str] = []
        for scope, members, scope_id in places:
            viewer.append(self._add_member_refused(members, scope_id, "viewer V"))
            editor.extend(self._members_refused(scope, members, scope_id))
            admin.extend(
                self._members_changed(members, scope_id, USER_ADMIN, "admin M", add=USER_B, remove=USER_VIEWER)
            )
            owner.extend(
                self._members_changed(members, scope_id, USER_A, "owner A", add=None, remove=USER_EDITOR)
            )
        blocks = [
            (USER_B, "B, not a member, cannot create rows in A's scope rows.", outsider),
            (USER_VIEWER, "V, a viewer of A's scope rows, reads their rows and writes none.", viewer),
            (USER_EDITOR, "E, an editor, writes their rows but neither their members nor the scope row.", editor),
            (USER_ADMIN, "M, an admin, adds and removes members.", admin),
            (USER_A, "A, the owner, adds and removes members.", owner),
        ]
        return [block for block in blocks if block[2]]

    def _place(self, table: SyncedTable, row: dict[str, Any]) -> tuple[SyncedTable, SyncedTable, str] | None:
        """The scope table, its membership table and the scope row id of A's scoped ``row``, or None."""
        if table.kind != "scoped" or table.membership or table.scope_column is None:
            return None
        scope = next((candidate for candidate in self.tables if candidate.relid == table.scope_relid), None)
        members = next((c for c in self.tables if c.membership and c.scope_relid == table.scope_relid), None)
        if scope is None or members is None or row.get(table.scope_column) is None:
            return None
        return scope, members, str(row[table.scope_column])

    def _membership(self, members: SyncedTable, granter: str, scope_id: str, user: str, role: str) -> dict[str, Any]:
        assert members.scope_column is not None and members.member_column is not None
        overrides = {members.scope_column: scope_id, members.member_column: user, "role": role}
        return self.synthetic.new_row(members, granter, overrides)

    def _label(self, table: SyncedTable) -> str:
        return table.collection.replace("'", "''")

    def _target(self, table: SyncedTable, row: dict[str, Any]) -> tuple[str, str, str]:
        """The table as SQL, the filter on ``row``'s id, and the table's name for assertion labels."""
        return table.shape.identifier.as_string(self.conn), _where_id(self.conn, table, row), self._label(table)

    def _insert_refused(self, table: SyncedTable, user: str, row: dict[str, Any], who: str) -> str:
        insert = _insert_sql(self.conn, table.shape, self.synthetic.row_beside(table, user, row)).rstrip(";")
        return (
            f"select throws_ok({_dollar(insert)}, '42501', null,"
            f" '{who} cannot insert a {self._label(table)} row into A''s scope');"
        )

    def _push_update(self, table: SyncedTable, row: dict[str, Any]) -> str:
        edited = self.synthetic.changed(table, client_row(row))
        push = json.dumps({table.collection: {"created": [], "updated": [edited], "deleted": []}}, default=str)
        return f"select public.sync_push(changes => {_literal(self.conn, push)}::jsonb)"

    def _viewer(self, table: SyncedTable, row: dict[str, Any]) -> list[str]:
        name, where, label = self._target(table, row)
        column = sql.Identifier(table.id_column).as_string(self.conn)
        return [
            f"select isnt_empty({_dollar(f'select 1 from {name} where {where}')}, 'viewer V sees A''s {label} row');",
            "select is_empty("
            + _dollar(f"with changed as (update {name} set {column} = {column} where {where} returning 1)"
                      " select * from changed")
            + f", 'viewer V cannot update A''s {label} row');",
            "select is_empty("
            + _dollar(f"with gone as (delete from {name} where {where} returning 1) select * from gone")
            + f", 'viewer V cannot delete A''s {label} row');",
            self._insert_refused(table, USER_VIEWER, row, "viewer V"),
            f"select throws_ok({_dollar(self._push_update(table, row))}, '42501', null,"
            f" 'sync_push as viewer V cannot update A''s {label} row');",
        ]

    def _editor(self, table: SyncedTable, row: dict[str, Any]) -> list[str]:
        name, where, label = self._target(table, row)
        column = sql.Identifier(table.id_column).as_string(self.conn)
        insert = _insert_sql(self.conn, table.shape, self.synthetic.row_beside(table, USER_EDITOR, row)).rstrip(";")
        collection = _literal(self.conn, table.collection)
        applied = f"({self._push_update(table, row)}) -> 'applied' -> {collection} ->> 'updated'"
        return [
            "select isnt_empty("
            + _dollar(f"with changed as (update {name} set {column} = {column} where {where} returning 1)"
                      " select * from changed")
            + f", 'editor E can update A''s {label} row');",
            f"select lives_ok({_dollar(insert)}, 'editor E can insert a {label} row into A''s scope');",
            f"select is({applied}, '1', 'sync_push as editor E updates A''s {label} row');",
        ]

    def _member_filter(self, members: SyncedTable, scope_id: str, user: str) -> str:
        assert members.scope_column is not None and members.member_column is not None
        return (
            sql.SQL("{scope}::text = {scope_id} and {member} = {user}::uuid")
            .format(
                scope=sql.Identifier(members.scope_column),
                scope_id=sql.Literal(scope_id),
                member=sql.Identifier(members.member_column),
                user=sql.Literal(user),
            )
            .as_string(self.conn)
        )

    def _add_member_refused(self, members: SyncedTable, scope_id: str, who: str) -> str:
        actor = USER_VIEWER if who.startswith("viewer") else USER_EDITOR
        insert = _insert_sql(self.conn, members.shape, self._membership(members, actor, scope_id, USER_B, "editor"))
        return (
            f"select throws_ok({_dollar(insert.rstrip(';'))}, '42501', null,"
            f" '{who} cannot add members to A''s scope row ({self._label(members)})');"
        )

    def _removed(self, members: SyncedTable, scope_id: str, user: str) -> str:
        name = members.shape.identifier.as_string(self.conn)
        where = self._member_filter(members, scope_id, user)
        return _dollar(f"with gone as (delete from {name} where {where} returning 1) select * from gone")

    def _members_refused(self, scope: SyncedTable, members: SyncedTable, scope_id: str) -> list[str]:
        name = scope.shape.identifier.as_string(self.conn)
        where = _where_id(self.conn, scope, {scope.id_column: scope_id})
        label = self._label(scope)
        return [
            self._add_member_refused(members, scope_id, "editor E"),
            f"select is_empty({self._removed(members, scope_id, USER_VIEWER)},"
            f" 'editor E cannot remove members of A''s scope row ({self._label(members)})');",
            "select is_empty("
            + _dollar(f"with gone as (delete from {name} where {where} returning 1) select * from gone")
            + f", 'editor E cannot delete A''s {label} row');",
        ]

    def _members_changed(
        self, members: SyncedTable, scope_id: str, actor: str, who: str, *, add: str | None, remove: str
    ) -> list[str]:
        label = self._label(members)
        gone = self._removed(members, scope_id, remove)
        removed = f"select isnt_empty({gone}, '{who} can remove a member ({label})');"
        again = add or remove  # the owner adds back the member it removed
        insert = _insert_sql(self.conn, members.shape, self._membership(members, actor, scope_id, again, "viewer"))
        added = f"select lives_ok({_dollar(insert.rstrip(';'))}, '{who} can add a member ({label})');"
        return [added, removed] if add is not None else [removed, added]


def _anon_table_assertion(conn: psycopg.Connection, table: SyncedTable) -> str:
    name = table.shape.identifier.as_string(conn)
    label = table.collection.replace("'", "''")
    return (
        f"select ok(case when has_table_privilege({_literal(conn, table.collection)}, 'select')"
        f" then not exists (select 1 from {name}) else true end, 'anon reads no {label} row');"
    )


__all__ = ["ISOLATION_TEST_FILE", "GeneratedTests", "gen_tests", "render_isolation_test"]
