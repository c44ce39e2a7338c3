"""Reads what a database holds (pg_catalog) into dataclasses.

The queries live in ``sql/queries``; this module runs them and shapes their
rows. :func:`read_tables` reads any number of tables in one query per kind of
fact (columns, constraints, triggers, policies, indexes, publications), so
status, lint and verify cost the same few round trips for 3 tables or 300.
Nothing here changes the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from supabase_sync.names import TableName
from supabase_sync.resources import read_sql


@dataclass(frozen=True)
class Column:
    """A live column: name, type (``format_type``) and NOT NULL."""

    name: str
    type_name: str
    not_null: bool


@dataclass(frozen=True)
class Trigger:
    """A user trigger: the function it calls, its arguments, when and on what it fires.

    ``enabled`` is True when it fires in ordinary sessions (not disabled, not
    replica-only); ``events`` are ``insert``, ``update``, ``delete``, ``truncate``.
    """

    name: str
    function_schema: str
    function_name: str
    arguments: tuple[str, ...]
    enabled: bool
    timing: str = "after"
    events: frozenset[str] = frozenset()
    for_each_row: bool = False
    old_table: str | None = None


@dataclass(frozen=True)
class Policy:
    """A row level security policy, its expressions as PostgreSQL prints them."""

    name: str
    command: str
    permissive: bool
    roles: tuple[str, ...]
    using_expression: str | None
    check_expression: str | None


@dataclass(frozen=True)
class Index:
    """An index: name, key columns (``None`` for an expression), partial, valid, its CREATE INDEX text.

    For unique indexes: ``primary``, the unique ``constraint`` it backs (or
    None), every column it reads (``read_columns``: keys, expressions,
    predicate) and ``keys_onward``, its definition from the first key on
    (``"email) WHERE ..."``; None when PostgreSQL printed it otherwise).
    """

    name: str
    columns: tuple[str | None, ...]
    partial: bool
    valid: bool = True
    definition: str = ""
    unique: bool = False
    primary: bool = False
    constraint: str | None = None
    read_columns: tuple[str, ...] = ()
    keys_onward: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key: its columns and the table it references."""

    name: str
    columns: tuple[str, ...]
    parent: TableName


@dataclass(frozen=True)
class Registration:
    """A table's row in ``supabase_sync.synced_table``."""

    owner_column: str
    id_column: str
    conflict_strategy: str
    dependency_rank: int
    kind: str = "owner"
    members: TableName | None = None
    member_column: str | None = None
    member_scope_column: str | None = None
    scope: TableName | None = None
    scope_column: str | None = None
    realtime: str = "postgres_changes"
    #: number | string; None: the pack-wide default (meta big_numbers).
    big_numbers: str | None = None
    #: a table below a scoped table: the parent it copies its scope column from, and its column referencing it
    scope_parent: TableName | None = None
    scope_through: str | None = None


@dataclass(frozen=True)
class TableInfo:
    """What the catalog says about one table: everything the per-table contract is checked against.

    ``not_null_checks`` are the columns a validated ``check (column is not
    null)`` constraint covers (the online way to forbid nulls).
    ``key_phase_bypasses_rls`` says whether the owner of the pull key phase
    (``supabase_sync.pull_keys``) bypasses row level security on the table
    (None: the pack is not installed).
    """

    table: TableName
    oid: int
    relkind: str
    rls_enabled: bool
    owner: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    not_null_checks: frozenset[str] = frozenset()
    triggers: dict[str, Trigger] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    indexes: tuple[Index, ...] = ()
    publications: frozenset[str] = frozenset()
    registration: Registration | None = None
    rls_forced: bool = False
    key_phase_owner: str | None = None
    key_phase_bypasses_rls: bool | None = None
    truncate_roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PackState:
    """Whether the pack is installed, which version and steps, and Realtime's publication."""

    installed: bool
    pack_version: str | None
    steps: tuple[str, ...]
    has_realtime_publication: bool
    #: the pack-wide big-numbers choice (meta ``big_numbers``: number | string), None before schema step 0005.
    big_numbers: str | None = None


@dataclass(frozen=True)
class SyncedTable:
    """A registered table, by name, with its registration."""

    table: TableName
    registration: Registration


@dataclass(frozen=True)
class HalfEnabledTable:
    """A table with supabase_sync triggers but no registry row, and its tombstone trigger's arguments."""

    table: TableName
    tombstone_arguments: tuple[str, ...]


@dataclass(frozen=True)
class PackFunction:
    """One overload of a function the pack creates: schema, name and argument types."""

    schema: str
    name: str
    argument_types: tuple[str, ...]


@dataclass(frozen=True)
class PackData:
    """How many registered tables, tombstones and logged pushes the pack holds."""

    synced_tables: int
    tombstones: int
    pushes: int

    @property
    def empty(self) -> bool:
        """True when the pack holds no data at all."""
        return not (self.synced_tables or self.tombstones or self.pushes)


def fetch_rows(
    conn: psycopg.Connection, query: str, params: dict[str, Any] | None = None, *, qualified: bool = False
) -> list[dict[str, Any]]:
    """Run the shipped query ``sql/queries/<query>.sql`` with ``params``; return its rows as dicts.

    ``qualified`` runs it with ``search_path`` set to ``pg_catalog`` alone so
    that the names ``format_type`` and ``pg_get_expr`` print are qualified
    outside pg_catalog (``public.mood``, not ``mood``): text to render into a
    function whose ``search_path`` is empty. The session's own is restored
    (a failed transaction's rollback restores it).
    """
    text = read_sql(f"queries/{query}.sql").encode("utf-8")
    with conn.cursor(row_factory=dict_row) as cur:
        if not qualified:
            cur.execute(text, params)
            return cur.fetchall()
        (previous,) = cur.execute("select pg_catalog.current_setting('search_path') as path").fetchone().values()
        cur.execute("select pg_catalog.set_config('search_path', 'pg_catalog', false)")
        try:
            cur.execute(text, params)
            return cur.fetchall()
        finally:
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
                cur.execute("select pg_catalog.set_config('search_path', %s, false)", (previous,))


def read_pack_state(conn: psycopg.Connection) -> PackState:
    """Return whether the pack is installed, its version and applied schema steps."""
    (state,) = fetch_rows(conn, "pack_state")
    steps: tuple[str, ...] = ()
    version: str | None = None
    big_numbers: str | None = None
    if state["has_schema_step"]:
        steps = tuple(row["step"] for row in fetch_rows(conn, "schema_steps"))
    if state["has_meta"]:
        (found,) = fetch_rows(conn, "pack_version")
        version, big_numbers = found["value"], found["big_numbers"]
    return PackState(
        installed=bool(state["has_registry"]) and version is not None,
        pack_version=version,
        steps=steps,
        has_realtime_publication=bool(state["has_realtime_publication"]),
        big_numbers=big_numbers,
    )


def split_trigger_arguments(raw: bytes | None) -> tuple[str, ...]:
    """Trigger arguments as ``pg_trigger.tgargs`` stores them (each NUL-terminated), as strings."""
    if not raw:
        return ()
    return tuple(part.decode("utf-8") for part in bytes(raw).split(b"\x00")[:-1])


def _by_table(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["table_oid"]].append(row)
    return grouped


def _trigger(row: dict[str, Any]) -> Trigger:
    return Trigger(
        name=row["name"],
        function_schema=row["function_schema"],
        function_name=row["function_name"],
        arguments=split_trigger_arguments(row["arguments"]),
        enabled=row["enabled"],
        timing=row["timing"],
        events=frozenset(row["events"]),
        for_each_row=row["for_each_row"],
        old_table=row["old_table"],
    )


def _policy(row: dict[str, Any]) -> Policy:
    return Policy(
        row["name"], row["command"], row["permissive"], tuple(row["roles"]), row["using_expression"], row["check_expression"]
    )


def read_tables(
    conn: psycopg.Connection, tables: Sequence[TableName], *, registry: bool = True
) -> dict[TableName, TableInfo]:
    """Return what the catalog says about each of ``tables`` that exists (missing ones are left out).

    One query per kind of fact, whatever the number of tables. ``registry``
    reads the tables' ``supabase_sync.synced_table`` rows too (the pack must be
    installed).
    """
    wanted = list(dict.fromkeys(tables))
    if not wanted:
        return {}
    found = fetch_rows(
        conn, "tables", {"schemas": [table.schema for table in wanted], "names": [table.name for table in wanted]}
    )
    if not found:
        return {}
    params = {"oids": [row["oid"] for row in found]}
    columns = _by_table(fetch_rows(conn, "table_columns", params))
    constraints = _by_table(fetch_rows(conn, "table_constraints", params))
    triggers = _by_table(fetch_rows(conn, "table_triggers", params))
    policies = _by_table(fetch_rows(conn, "table_policies", params))
    indexes = _by_table(fetch_rows(conn, "table_indexes", params))
    publications = _by_table(fetch_rows(conn, "table_publications", params))
    registrations = {synced.table: synced.registration for synced in read_synced_tables(conn)} if registry else {}
    infos: dict[TableName, TableInfo] = {}
    for row in found:
        table, oid = TableName(row["schema_name"], row["table_name"]), row["oid"]
        keys = constraints[oid]
        infos[table] = TableInfo(
            table=table,
            oid=oid,
            relkind=row["relkind"],
            rls_enabled=row["rls_enabled"],
            owner=row["owner"],
            columns={r["name"]: Column(r["name"], r["type_name"], r["not_null"]) for r in columns[oid]},
            primary_key=next((tuple(r["columns"]) for r in keys if r["kind"] == "p"), ()),
            foreign_keys=tuple(
                ForeignKey(r["name"], tuple(r["columns"]), TableName(r["parent_schema"], r["parent_table"]))
                for r in keys
                if r["kind"] == "f"
            ),
            not_null_checks=frozenset(r["columns"][0] for r in keys if r["kind"] == "c"),
            triggers={r["name"]: _trigger(r) for r in triggers[oid]},
            policies={r["name"]: _policy(r) for r in policies[oid]},
            indexes=tuple(
                Index(
                    r["name"],
                    tuple(r["columns"]),
                    r["partial"],
                    r["valid"],
                    r["definition"],
                    unique=r["is_unique"],
                    primary=r["is_primary"],
                    constraint=r["constraint_name"],
                    read_columns=tuple(r["read_columns"]),
                    keys_onward=r["keys_onward"],
                )
                for r in indexes[oid]
            ),
            publications=frozenset(r["name"] for r in publications[oid]),
            registration=registrations.get(table),
            rls_forced=row["rls_forced"],
            key_phase_owner=row["key_phase_owner"],
            key_phase_bypasses_rls=row["key_phase_bypasses_rls"],
            truncate_roles=frozenset(row["truncate_roles"]),
        )
    return infos


def read_table(conn: psycopg.Connection, table: TableName, *, registry: bool = True) -> TableInfo | None:
    """Return what the catalog says about ``table``, or ``None`` when there is no such relation."""
    return read_tables(conn, [table], registry=registry).get(table)


def existing_relations(conn: psycopg.Connection, names: Iterable[TableName]) -> set[TableName]:
    """Return which of ``names`` (schema-qualified relation names) a relation already holds."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return set()
    rows = fetch_rows(
        conn, "relations_named", {"schemas": [name.schema for name in wanted], "names": [name.name for name in wanted]}
    )
    return {TableName(row["schema_name"], row["relation_name"]) for row in rows}


def _table_or_none(schema: str | None, name: str | None) -> TableName | None:
    return TableName(schema, name) if schema is not None and name is not None else None


def read_synced_tables(conn: psycopg.Connection) -> list[SyncedTable]:
    """Return every registered table with its registration, in push order (the pack must be installed)."""
    return [
        SyncedTable(
            TableName(r["schema_name"], r["table_name"]),
            Registration(
                r["owner_column"],
                r["id_column"],
                r["conflict_strategy"],
                r["dependency_rank"],
                kind=r["kind"],
                members=_table_or_none(r["members_schema"], r["members_table"]),
                member_column=r["member_column"],
                member_scope_column=r["member_scope_column"],
                scope=_table_or_none(r["scope_schema"], r["scope_table"]),
                scope_column=r["scope_column"],
                realtime=r["realtime"],
                big_numbers=r["big_numbers"],
                scope_parent=_table_or_none(r["scope_parent_schema"], r["scope_parent_table"]),
                scope_through=r["scope_through"],
            ),
        )
        for r in fetch_rows(conn, "synced_tables")
    ]


def read_half_enabled_tables(conn: psycopg.Connection) -> list[HalfEnabledTable]:
    """Return the tables with supabase_sync triggers but no registry row (the pack must be installed)."""
    return [
        HalfEnabledTable(TableName(r["schema_name"], r["table_name"]), split_trigger_arguments(r["tombstone_arguments"]))
        for r in fetch_rows(conn, "half_enabled_tables")
    ]


def read_functions(conn: psycopg.Connection, qualified_names: list[str]) -> list[PackFunction]:
    """Return every overload of the ``schema.name`` functions."""
    return [
        PackFunction(r["schema_name"], r["function_name"], tuple(r["argument_types"]))
        for r in fetch_rows(conn, "functions_named", {"names": qualified_names})
    ]


def read_pack_data(conn: psycopg.Connection) -> PackData:
    """Return how many registered tables, tombstones and pushes the pack holds."""
    (row,) = fetch_rows(conn, "pack_data")
    return PackData(int(row["synced_tables"]), int(row["tombstones"]), int(row["pushes"]))


def snapshot(conn: psycopg.Connection, schemas: list[str]) -> list[tuple[str, str, str]]:
    """Return a comparable picture of the objects in ``schemas`` (no oids), sorted.

    Two databases holding the same tables, columns, constraints, indexes,
    policies, triggers, functions and grants give equal snapshots.
    """
    return [(r["kind"], r["object_name"], r["definition"]) for r in fetch_rows(conn, "catalog_snapshot", {"schemas": schemas})]
