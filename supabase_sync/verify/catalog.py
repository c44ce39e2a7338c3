"""What verify reads from the catalog: synced tables, their columns and keys.

The queries live in ``sql/queries/verify_*.sql``; this module turns their rows
into dataclasses the checks and the synthetic row generator share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from supabase_sync.catalog import fetch_rows
from supabase_sync.names import TableName


@dataclass(frozen=True)
class Column:
    """One column of a table as synthetic data generation sees it."""

    name: str
    type_sql: str
    base_type: str
    base_kind: str
    category: str
    enum_labels: tuple[str, ...] | None
    max_length: int | None
    not_null: bool
    has_default: bool
    is_identity: bool
    is_generated: bool
    allowed_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key of a table: its columns and the referenced table and columns."""

    name: str
    columns: tuple[str, ...]
    parent_relid: int
    parent_schema: str
    parent_table: str
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableShape:
    """A table's columns and foreign keys (synced or not)."""

    relid: int
    schema_name: str
    table_name: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...]

    @property
    def name(self) -> str:
        """The table, quoted as SQL would (``public.task``)."""
        return str(TableName(self.schema_name, self.table_name))

    @property
    def identifier(self) -> sql.Identifier:
        """The table as a composable identifier."""
        return sql.Identifier(self.schema_name, self.table_name)

    @property
    def table(self) -> TableName:
        """The table's name, as the renderers of enable take it."""
        return TableName(self.schema_name, self.table_name)

    def column(self, name: str) -> Column | None:
        """Return the column called ``name``, or None."""
        return next((column for column in self.columns if column.name == name), None)


@dataclass(frozen=True)
class SyncedTable:
    """A row of ``supabase_sync.synced_collection`` plus the table's shape."""

    relid: int
    collection: str
    schema_name: str
    table_name: str
    owner_column: str
    id_column: str
    id_type: str
    conflict_strategy: str
    dependency_rank: int
    shape: TableShape = field(repr=False)
    #: owner, scope or scoped (DESIGN 3.4); a scoped table's scope table and column; whether it is a membership table
    kind: str = "owner"
    scope_relid: int | None = None
    scope_column: str | None = None
    membership: bool = False
    #: a membership table's user column
    member_column: str | None = None
    #: a table copying its parent's scope column: its column referencing that parent (schema step 0009)
    scope_through: str | None = None

    @property
    def identifier(self) -> sql.Identifier:
        """The table as a composable identifier."""
        return self.shape.identifier


def load_shape(conn: psycopg.Connection, relid: int) -> TableShape:
    """Read the columns, single-column CHECK literals and foreign keys of one table."""
    with conn.cursor() as cur:
        cur.execute(
            "select n.nspname::text, c.relname::text from pg_catalog.pg_class as c"
            " join pg_catalog.pg_namespace as n on n.oid = c.relnamespace where c.oid = %s",
            (relid,),
        )
        schema_name, table_name = cur.fetchone() or ("?", "?")
    allowed = _allowed_values(fetch_rows(conn, "verify_check_constraints", {"relid": relid}))
    columns = tuple(
        Column(
            name=row["name"],
            type_sql=row["type_sql"],
            base_type=row["base_type"],
            base_kind=row["base_kind"],
            category=row["category"],
            enum_labels=tuple(row["enum_labels"]) if row["enum_labels"] is not None else None,
            max_length=row["max_length"],
            not_null=row["not_null"],
            has_default=row["has_default"],
            is_identity=row["is_identity"],
            is_generated=row["is_generated"],
            allowed_values=allowed.get(row["name"], ()),
        )
        for row in fetch_rows(conn, "verify_columns", {"relid": relid})
    )
    foreign_keys = tuple(
        ForeignKey(
            name=row["name"],
            columns=tuple(row["columns"]),
            parent_relid=row["parent_relid"],
            parent_schema=row["parent_schema"],
            parent_table=row["parent_table"],
            parent_columns=tuple(row["parent_columns"]),
        )
        for row in fetch_rows(conn, "verify_foreign_keys", {"relid": relid})
    )
    return TableShape(relid, schema_name, table_name, columns, foreign_keys)


def load_synced_tables(conn: psycopg.Connection) -> list[SyncedTable]:
    """Return every registered synced table, parents (lower dependency_rank) first."""
    return [
        SyncedTable(
            relid=row["relid"],
            collection=row["collection"],
            schema_name=row["schema_name"],
            table_name=row["table_name"],
            owner_column=row["owner_column"],
            id_column=row["id_column"],
            id_type=row["id_type"],
            conflict_strategy=row["conflict_strategy"],
            dependency_rank=row["dependency_rank"],
            shape=load_shape(conn, row["relid"]),
            kind=row["kind"],
            scope_relid=row["scope_relid"],
            scope_column=row["scope_column"],
            membership=row["member_column"] is not None,
            member_column=row["member_column"],
            scope_through=row["scope_through"],
        )
        for row in fetch_rows(conn, "verify_synced_tables")
    ]


def _allowed_values(rows: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """Literals a single-column CHECK allows, from ``col = any (array['a'::text, ...])`` or ``col = 'a'``."""
    literal = re.compile(r"'((?:[^']|'')*)'")
    allowed: dict[str, tuple[str, ...]] = {}
    for row in rows:
        definition = row["definition"]
        if "= ANY" not in definition and " IN " not in definition and not re.search(r"= '", definition):
            continue
        values = tuple(value.replace("''", "'") for value in literal.findall(definition))
        if values:
            allowed[row["column_name"]] = values
    return allowed
