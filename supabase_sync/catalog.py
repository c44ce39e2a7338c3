"""Reads what a database holds (pg_catalog) into dataclasses.

The queries live in ``sql/queries``; this module runs them and shapes their
rows. Nothing here changes the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from supabase_sync.errors import ConfigError, TableError
from supabase_sync.render import TableName
from supabase_sync.resources import read_sql


@dataclass(frozen=True)
class Column:
    """A live column: name, type (``format_type``) and NOT NULL."""

    name: str
    type_name: str
    not_null: bool


@dataclass(frozen=True)
class Trigger:
    """A user trigger: the function it calls and its arguments."""

    name: str
    function_schema: str
    function_name: str
    arguments: tuple[str, ...]
    enabled: bool


@dataclass(frozen=True)
class Policy:
    """A row level security policy."""

    name: str
    command: str
    permissive: bool
    roles: tuple[str, ...]
    using_expression: str | None
    check_expression: str | None


@dataclass(frozen=True)
class Index:
    """An index: name and key columns (``None`` for an expression)."""

    name: str
    columns: tuple[str | None, ...]
    partial: bool


@dataclass(frozen=True)
class Registration:
    """A table's row in ``supabase_sync.synced_table``."""

    owner_column: str
    id_column: str
    conflict_strategy: str
    dependency_rank: int


@dataclass
class TableInfo:
    """Everything enable and status need to know about one table."""

    table: TableName
    oid: int
    relkind: str
    rls_enabled: bool
    owner: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: list[str] = field(default_factory=list)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)
    publications: set[str] = field(default_factory=set)
    registration: Registration | None = None


@dataclass(frozen=True)
class PackState:
    """Whether the pack is installed, which version and steps, and Realtime's publication."""

    installed: bool
    pack_version: str | None
    steps: tuple[str, ...]
    has_realtime_publication: bool


_UNQUOTED_PART = re.compile(r"[^\s.\"]+")


def parse_table_name(text: str, *, default_schema: str = "public") -> TableName:
    """Parse ``table``, ``schema.table`` or quoted forms (``"my schema"."a""b"``) like Postgres.

    Unquoted parts are folded to lowercase; quoted parts are kept as written,
    with ``""`` meaning one ``"``. Raises :class:`ConfigError` on anything else.
    """
    parts: list[str] = []
    position, length = 0, len(text)
    while True:
        if position < length and text[position] == '"':
            end = position + 1
            value: list[str] = []
            while True:
                close = text.find('"', end)
                if close < 0:
                    raise _bad_table_name(text, "unterminated quoted name")
                value.append(text[end:close])
                if text.startswith('"', close + 1):
                    value.append('"')
                    end = close + 2
                    continue
                position = close + 1
                break
            part = "".join(value)
            if not part:
                raise _bad_table_name(text, "empty quoted name")
            parts.append(part)
        else:
            match = _UNQUOTED_PART.match(text, position)
            if not match:
                raise _bad_table_name(text, "expected a name")
            parts.append(match.group(0).lower())
            position = match.end()
        if position == length:
            break
        if text[position] != ".":
            raise _bad_table_name(text, f"unexpected {text[position]!r}")
        position += 1
    if len(parts) == 1:
        return TableName(default_schema, parts[0])
    if len(parts) == 2:
        return TableName(parts[0], parts[1])
    raise _bad_table_name(text, "too many dots")


#: Schemas whose tables belong to Supabase's services, PostgreSQL or supabase-sync itself:
#: their tables are never synced (and must not get sync columns, triggers or policies).
MANAGED_SCHEMAS = {
    "auth": "Supabase Auth",
    "storage": "Supabase Storage",
    "realtime": "Supabase Realtime",
    "supabase_functions": "Supabase Edge Functions",
    "supabase_migrations": "the Supabase CLI",
    "graphql": "pg_graphql",
    "graphql_public": "pg_graphql",
    "extensions": "Supabase (extensions)",
    "pgsodium": "pgsodium",
    "vault": "Supabase Vault",
    "net": "pg_net",
    "cron": "pg_cron",
    "pg_catalog": "PostgreSQL",
    "information_schema": "PostgreSQL",
    "supabase_sync": "supabase-sync",
}


def refuse_managed_schema(table: TableName) -> None:
    """Raise :class:`TableError` when ``table`` lives in a schema another system manages."""
    manager = MANAGED_SCHEMAS.get(table.schema)
    if manager is None:
        return
    raise TableError(
        f"{table} cannot be synced: schema {table.schema} is managed by {manager}",
        hint="sync tables of your own (e.g. in public); keep per-user data in a table that "
        "references auth.users through its owner column",
    )


def _bad_table_name(text: str, reason: str) -> ConfigError:
    return ConfigError(
        f"cannot read table name {text!r}: {reason}",
        hint='write schema.table; quote names with spaces or capitals like "My Schema"."My Table"',
    )


def fetch_rows(conn: psycopg.Connection, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run the shipped query ``sql/queries/<query>.sql`` with ``params``; return its rows as dicts."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(read_sql(f"queries/{query}.sql").encode("utf-8"), params)
        return cur.fetchall()


def read_pack_state(conn: psycopg.Connection) -> PackState:
    """Return whether the pack is installed, its version and applied schema steps."""
    (state,) = fetch_rows(conn, "pack_state")
    steps: tuple[str, ...] = ()
    version: str | None = None
    if state["has_schema_step"]:
        steps = tuple(row["step"] for row in fetch_rows(conn, "schema_steps"))
    if state["has_meta"]:
        found = fetch_rows(conn, "pack_version")
        version = found[0]["value"] if found else None
    return PackState(
        installed=bool(state["has_registry"]) and version is not None,
        pack_version=version,
        steps=steps,
        has_realtime_publication=bool(state["has_realtime_publication"]),
    )


def _split_trigger_arguments(raw: bytes | None) -> tuple[str, ...]:
    if not raw:
        return ()
    return tuple(part.decode("utf-8") for part in bytes(raw).split(b"\x00")[:-1])


def read_table(conn: psycopg.Connection, table: TableName, *, registry: bool = True) -> TableInfo | None:
    """Return what the catalog says about ``table``, or ``None`` when there is no such relation.

    ``registry`` reads the table's ``supabase_sync.synced_table`` row too (the
    pack must be installed).
    """
    found = fetch_rows(conn, "table", {"schema": table.schema, "name": table.name})
    if not found:
        return None
    row = found[0]
    info = TableInfo(
        table=table,
        oid=row["oid"],
        relkind=row["relkind"],
        rls_enabled=row["rls_enabled"],
        owner=row["owner"],
    )
    params = {"oid": info.oid}
    info.columns = {r["name"]: Column(r["name"], r["type_name"], r["not_null"]) for r in fetch_rows(conn, "columns", params)}
    info.primary_key = [r["name"] for r in fetch_rows(conn, "primary_key", params)]
    info.triggers = {
        r["name"]: Trigger(
            r["name"], r["function_schema"], r["function_name"], _split_trigger_arguments(r["arguments"]), r["enabled"]
        )
        for r in fetch_rows(conn, "triggers", params)
    }
    info.policies = {
        r["name"]: Policy(
            r["name"], r["command"], r["permissive"], tuple(r["roles"]), r["using_expression"], r["check_expression"]
        )
        for r in fetch_rows(conn, "policies", params)
    }
    info.indexes = [Index(r["name"], tuple(r["columns"]), r["partial"]) for r in fetch_rows(conn, "indexes", params)]
    info.publications = {r["name"] for r in fetch_rows(conn, "publications", params)}
    if registry:
        registered = fetch_rows(conn, "registry_row", params)
        if registered:
            r = registered[0]
            info.registration = Registration(r["owner_column"], r["id_column"], r["conflict_strategy"], r["dependency_rank"])
    return info


def relation_exists(conn: psycopg.Connection, schema: str, name: str) -> bool:
    """True when ``schema`` holds a relation (table, index, view...) called ``name``."""
    (row,) = fetch_rows(conn, "relation_named", {"schema": schema, "name": name})
    return bool(row["taken"])


def read_synced_tables(conn: psycopg.Connection) -> list[tuple[TableName, Registration]]:
    """Return every registered table with its registration, in push order."""
    return [
        (
            TableName(r["schema_name"], r["table_name"]),
            Registration(r["owner_column"], r["id_column"], r["conflict_strategy"], r["dependency_rank"]),
        )
        for r in fetch_rows(conn, "synced_tables")
    ]


def read_functions(conn: psycopg.Connection, qualified_names: list[str]) -> list[tuple[str, str, list[str]]]:
    """Return ``(schema, name, argument types)`` of every overload of the ``schema.name`` functions."""
    return [
        (r["schema_name"], r["function_name"], list(r["argument_types"]))
        for r in fetch_rows(conn, "functions_named", {"names": qualified_names})
    ]


def read_pack_data(conn: psycopg.Connection) -> dict[str, int]:
    """Return how many registered tables, tombstones and pushes the pack holds."""
    (row,) = fetch_rows(conn, "pack_data")
    return {key: int(value) for key, value in row.items()}


def snapshot(conn: psycopg.Connection, schemas: list[str]) -> list[tuple[str, str, str]]:
    """Return a comparable picture of the objects in ``schemas`` (no oids), sorted.

    Two databases holding the same tables, columns, constraints, indexes,
    policies, triggers, functions and grants give equal snapshots.
    """
    return [(r["kind"], r["object_name"], r["definition"]) for r in fetch_rows(conn, "catalog_snapshot", {"schemas": schemas})]
