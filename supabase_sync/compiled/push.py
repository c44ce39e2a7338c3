"""The compiled push of an owner table: its ``push_upserts`` and ``push_deletes`` with static SQL.

``sql/templates/push_upserts_table.sql`` and ``push_deletes_table.sql`` are
rendered per synced owner table from its push facts (:class:`PushFacts`: the
writable columns in table order with their types and default expressions, and
its single-column foreign keys), the same facts schema step 0008 stores in
``supabase_sync.push_facts`` and the generic ``push_upserts`` builds its
statements from. ``supabase_sync.apply_push`` calls a table's compiled functions
only while their recorded fingerprint is the table's current one.

A table is compiled only when the templates fit it (:func:`compilable`): its id
column and at least one other column are writable, and it has ``updated_at``
(last-writer-wins) and ``deleted_at`` (soft deletes), as every table ``enable``
prepared has; any other table keeps the generic path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from supabase_sync.catalog import fetch_rows
from supabase_sync.sync_objects import SYNC_COLUMNS

if TYPE_CHECKING:
    from supabase_sync.compiled import CompiledTable

#: Above this many rows that do not all carry every writable column, the
#: compiled push hands them to the generic push_upserts: its statement over
#: the keys the rows carry costs less per row than per-row key tests, and its
#: planning is small beside that many rows (bench: 1k updated rows).
PARTIAL_ROWS = 100

#: A uuid as ``uuid::text`` prints it: ids of this form need no canonical rewrite.
_CANONICAL_UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


@dataclass(frozen=True)
class PushColumn:
    """A column a push may write: name, type (``format_type``) and default expression (``'null'`` for none)."""

    name: str
    type_name: str
    default: str


@dataclass(frozen=True)
class PushForeignKey:
    """A single-column foreign key of the table (checked as the caller when its parent is a synced table)."""

    name: str
    child_column: str
    parent_oid: int
    parent_column: str


@dataclass(frozen=True)
class PushFacts:
    """What the compiled push of one table is rendered from (schema step 0008's push facts)."""

    columns: tuple[PushColumn, ...]
    foreign_keys: tuple[PushForeignKey, ...] = ()

    def with_columns(self, added: Sequence[PushColumn]) -> PushFacts:
        """These facts with ``added`` columns (those the enable plan adds) after the others."""
        known = {column.name for column in self.columns}
        return PushFacts(
            columns=(*self.columns, *(column for column in added if column.name not in known)),
            foreign_keys=self.foreign_keys,
        )


def added_push_columns(present: Iterable[str]) -> list[PushColumn]:
    """The writable sync columns (created_at, updated_at, deleted_at) enable adds to a table lacking them."""
    known = set(present)
    return [
        PushColumn(column.name, column.type_name, column.definition.partition(" default ")[2] or "null")
        for column in SYNC_COLUMNS
        if not column.server_maintained and column.name not in known
    ]


def compilable(table: CompiledTable) -> bool:
    """Whether the push templates fit ``table`` (else its pushes stay on the generic path)."""
    if table.push is None:
        return False
    names = {column.name for column in table.push.columns}
    return table.id_column in names and len(names) > 1 and {"updated_at", "deleted_at"} <= names


def _jsonpath_member(key: str) -> str:
    """``."key"`` with ``\\`` and ``"`` escaped (as supabase_sync.jsonpath_member)."""
    return '."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text_array(names: Sequence[str]) -> sql.Composable:
    return sql.SQL("array[{}]::text[]").format(sql.SQL(", ").join(sql.Literal(name) for name in names))


def _canonical_id(id_type: str) -> sql.Composable:
    """The test that an id (text ``i.id``) is already in its type's canonical text."""
    if id_type == "uuid":
        return sql.SQL("i.id ~ {}").format(sql.Literal(_CANONICAL_UUID))
    if id_type == "text":
        return sql.SQL("true")
    return sql.SQL("false")  # other types: canonical_push_ids decides, as on the generic path


def _facts(table: CompiledTable) -> PushFacts:
    if table.push is None:
        raise ValueError(f"{table.table} has no push facts")  # purposes apply only to compilable tables
    return table.push


def upserts_placeholders(table: CompiledTable) -> dict[str, sql.Composable]:
    """The fields of ``push_upserts_table.sql`` for ``table`` (besides the common ones)."""
    facts = _facts(table)
    columns = facts.columns
    by_name = {column.name: column for column in columns}
    id_type = by_name[table.id_column].type_name
    others = [column for column in columns if column.name != table.id_column]

    def type_of(column: PushColumn) -> sql.Composable:
        return sql.SQL(column.type_name)  # type: ignore[arg-type]  # format_type output, catalog-quoted

    def default_of(column: PushColumn) -> sql.Composable:
        return sql.SQL(column.default)  # type: ignore[arg-type]  # pg_get_expr output of the table's own default

    foreign_keys = [
        {
            "name": key.name,
            "child_column": key.child_column,
            "child_type": by_name[key.child_column].type_name,
            "parent": key.parent_oid,
            "parent_column": key.parent_column,
        }
        for key in facts.foreign_keys
        if key.child_column in by_name
    ]
    return {
        "collection": sql.Literal(table.table.display),
        "id_key": sql.Literal(table.id_column),
        "id_type": sql.SQL(id_type),  # type: ignore[arg-type]  # catalog-quoted
        "id_type_name": sql.Literal(id_type),
        "created_ids": sql.Literal("strict $.created[*]" + _jsonpath_member(table.id_column)),
        "updated_ids": sql.Literal("strict $.updated[*]" + _jsonpath_member(table.id_column)),
        "row_ids": sql.Literal("strict $[*]" + _jsonpath_member(table.id_column)),
        "canonical_id": _canonical_id(id_type),
        "writable_keys": _text_array([column.name for column in columns]),
        "known_keys": _text_array([*(column.name for column in columns), table.owner_column]),
        "column_defs": sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(column.name), type_of(column)) for column in columns
        ),
        "insert_columns": sql.SQL(", ").join(sql.Identifier(column.name) for column in others),
        "insert_values": sql.SQL(", ").join(sql.SQL("p.{}").format(sql.Identifier(column.name)) for column in others),
        "insert_values_partial": sql.SQL(", ").join(
            sql.SQL("case when e.r ? {key} then p.{name} else ({default})::{type} end").format(
                key=sql.Literal(column.name),
                name=sql.Identifier(column.name),
                default=default_of(column),
                type=type_of(column),
            )
            for column in others
        ),
        "update_sets": sql.SQL(", ").join(
            sql.SQL("{name} = p.{name}").format(name=sql.Identifier(column.name)) for column in others
        ),
        "update_sets_partial": sql.SQL(", ").join(
            sql.SQL("{name} = case when e.r ? {key} then p.{name} else t.{name} end").format(
                name=sql.Identifier(column.name), key=sql.Literal(column.name)
            )
            for column in others
        ),
        "foreign_keys": sql.Literal(json.dumps(foreign_keys)),
        "partial_rows": sql.Literal(PARTIAL_ROWS),
    }


def deletes_placeholders(table: CompiledTable) -> dict[str, sql.Composable]:
    """The fields of ``push_deletes_table.sql`` for ``table`` (besides the common ones)."""
    facts = _facts(table)
    id_type = next(column.type_name for column in facts.columns if column.name == table.id_column)
    return {
        "id_key": sql.Literal(table.id_column),
        "id_type": sql.SQL(id_type),  # type: ignore[arg-type]  # catalog-quoted
    }


def read_push_facts(conn: psycopg.Connection, owners: Mapping[int, str]) -> dict[int, PushFacts]:
    """The push facts, as the catalog has them now, of the tables ``owners`` maps (oid -> owner column)."""
    if not owners:
        return {}
    params = {
        "oids": list(owners),
        "owner_columns": list(owners.values()),
        "server_columns": [column.name for column in SYNC_COLUMNS if column.server_maintained],
    }
    return {
        row["table_oid"]: PushFacts(
            columns=tuple(PushColumn(*column) for column in row["columns"]),
            foreign_keys=tuple(
                PushForeignKey(key["name"], key["child_column"], key["parent"], key["parent_column"])
                for key in row["foreign_keys"]
            ),
        )
        for row in fetch_rows(conn, "push_facts", params, qualified=True)
    }
