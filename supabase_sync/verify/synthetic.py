"""Synthetic rows for any synced table, generated from the catalog.

Values come from each column's type (after domains), NOT NULL and defaults,
the literals a single-column CHECK allows, and foreign keys: a referenced row
is created first (synced parents as the same user, in dependency_rank order;
other tables as the project owner) and reused. Nothing here knows the example
project, so verify works on any schema.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from supabase_sync.errors import TableError
from supabase_sync.sync_objects import CLIENT_TIMESTAMPS, SERVER_COLUMNS
from supabase_sync.verify.catalog import (
    Column,
    ForeignKey,
    SyncedTable,
    TableShape,
)

#: Tables whose rows stand for users; a foreign key to them takes the user's id.
USER_TABLES = {("auth", "users")}

InsertRow = Callable[[str | None, TableShape, dict[str, Any]], dict[str, Any]]
"""Inserts one row (user id or None for the project owner, table, row) and returns it as stored."""


def utc_now(offset_seconds: float = 0.0) -> str:
    """An ISO timestamp for client-set columns (created_at, updated_at)."""
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).isoformat()


class ValueSource:
    """Where random ids and client timestamps come from.

    Unseeded (verify): fresh uuid4 values and the current time. Seeded
    (gen-tests, whose output is committed): the same values on every run.
    """

    #: The instant seeded timestamps start from.
    SEEDED_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed) if seed is not None else None

    def new_uuid(self) -> uuid.UUID:
        """A version-4 uuid: random, or the next one of the seeded sequence."""
        if self._random is None:
            return uuid.uuid4()
        return uuid.UUID(int=self._random.getrandbits(128), version=4)

    def now(self, offset_seconds: float = 0.0) -> str:
        """An ISO timestamp: the current time, or the fixed seeded instant (plus the offset)."""
        if self._random is None:
            return utc_now(offset_seconds)
        return (self.SEEDED_EPOCH + timedelta(seconds=offset_seconds)).isoformat()


_UNSEEDED = ValueSource()


def client_row(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as a client sends it back: without the server-maintained columns."""
    return {key: value for key, value in row.items() if key not in SERVER_COLUMNS}


def value_for(column: Column, n: int, source: ValueSource = _UNSEEDED) -> Any:
    """Return a JSON value of ``column``'s type, distinct for each ``n``.

    Ids and timestamps come from ``source``. Raises :class:`TableError` for a
    type it cannot make up.
    """
    if column.base_type == "uuid":
        return str(source.new_uuid())
    if column.base_type in ("timestamp", "timestamptz"):
        stamp = source.now()
        return stamp[:26] if column.base_type == "timestamp" else stamp
    if column.allowed_values:
        return column.allowed_values[n % len(column.allowed_values)]
    if column.enum_labels:
        return column.enum_labels[n % len(column.enum_labels)]
    maker = _BY_TYPE.get(column.base_type) or _BY_CATEGORY.get(column.category)
    if maker is None:
        raise TableError(
            f"verify cannot make up a value for NOT NULL column {column.name} of type {column.type_sql}",
            hint=f"give {column.name} a default, or make it nullable",
        )
    value = maker(n)
    if isinstance(value, str) and column.max_length is not None and len(value) > column.max_length:
        value = value[-column.max_length :]
    return value


def _text(n: int) -> str:
    # Letters and digits only, so a CHECK on a charset (e.g. base64) still passes.
    return f"verify{n:04d}"


_BY_TYPE: dict[str, Callable[[int], Any]] = {
    "bool": lambda n: True,
    "int2": lambda n: n % 30000 + 1,
    "int4": lambda n: n % 1000000 + 1,
    "int8": lambda n: n + 1,
    "numeric": lambda n: n % 100 + 1,
    "float4": lambda n: n % 100 + 0.5,
    "float8": lambda n: n % 100 + 0.5,
    "money": lambda n: n % 100 + 1,
    "json": lambda n: {"verify": n},
    "jsonb": lambda n: {"verify": n},
    "bytea": lambda n: "\\x" + f"{n:08x}",
    "date": lambda n: "2024-01-01",
    "time": lambda n: "12:00:00",
    "timetz": lambda n: "12:00:00+00",
    "interval": lambda n: "1 hour",
    "inet": lambda n: "127.0.0.1",
    "cidr": lambda n: "127.0.0.0/8",
    "macaddr": lambda n: "08:00:2b:01:02:03",
    "tsvector": lambda n: "verify",
    "citext": _text,
    "oid": lambda n: n + 1,
}

_BY_CATEGORY: dict[str, Callable[[int], Any]] = {
    "S": _text,
    "N": lambda n: n % 100 + 1,
    "B": lambda n: True,
    "A": lambda n: [],
}


class SyntheticData:
    """Makes rows for synced tables and creates the parent rows they reference.

    ``load_shape`` reads a (non-synced) table's shape by relid; ``insert`` writes
    one parent row, as the given user or as the project owner.
    """

    def __init__(
        self,
        tables: list[SyncedTable],
        *,
        load_shape: Callable[[int], TableShape],
        insert: InsertRow,
        seed: int | None = None,
    ) -> None:
        self._source = ValueSource(seed)
        self._synced = {table.relid: table for table in tables}
        self._load_shape = load_shape
        self._insert = insert
        self._counter = itertools.count(1)
        self._parents: dict[tuple[str, int], dict[str, Any]] = {}

    def new_row(self, table: SyncedTable, user_id: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return a new row of ``table`` owned by ``user_id`` (not inserted), parents created.

        ``overrides`` replace generated values by column name.
        """
        if table.membership and table.scope_relid is not None:
            # One membership row per (scope row, user): each new one gets a scope row of its own.
            self._parents.pop((user_id, table.scope_relid), None)
        row = self._fill(table.shape, user_id, owner_column=table.owner_column, id_column=table.id_column)
        row.update(overrides or {})
        return row

    def forget_parents(self, user_id: str) -> None:
        """Make the next rows of ``user_id`` reference new parent rows (a second scope row of theirs, say)."""
        for key in [key for key in self._parents if key[0] == user_id]:
            del self._parents[key]

    def row_beside(self, table: SyncedTable, user_id: str, row: dict[str, Any]) -> dict[str, Any]:
        """A new row of ``table`` by ``user_id`` under the same synced parents (and scope row) as ``row``.

        What a member writing into another user's scope sends; ``row`` is a stored row of ``table``.
        """
        same_place = {
            column: row[column]
            for foreign_key in table.shape.foreign_keys
            if foreign_key.parent_relid in self._synced
            for column in foreign_key.columns
            if column in row and column != table.owner_column
        }
        if table.scope_column is not None and table.scope_column in row:
            same_place[table.scope_column] = row[table.scope_column]
        return self.new_row(table, user_id, same_place)

    def changed(self, table: SyncedTable, row: dict[str, Any], *, seconds_later: float = 1.0) -> dict[str, Any]:
        """Return ``row`` edited as a client would: a later ``updated_at`` and one new value."""
        edited = dict(row)
        if table.shape.column("updated_at") is not None:
            edited["updated_at"] = self._source.now(seconds_later)
        column = self.mutable_column(table)
        if column is not None:
            edited[column.name] = value_for(column, next(self._counter), self._source)
        return edited

    def mutable_column(self, table: SyncedTable) -> Column | None:
        """A plain data column an edit can change (text preferred), or None."""
        skip = self._special_columns(table.shape, table.owner_column, table.id_column)
        candidates = [
            column
            for column in table.shape.columns
            if column.name not in skip
            and not column.is_generated
            and not column.is_identity
            and column.category in ("S", "N")
            and not column.allowed_values
        ]
        candidates.sort(key=lambda column: column.category != "S")
        return candidates[0] if candidates else None

    def _special_columns(self, shape: TableShape, owner_column: str | None, id_column: str | None) -> set[str]:
        names = set(SERVER_COLUMNS) | set(CLIENT_TIMESTAMPS)
        names.update(name for name in (owner_column, id_column) if name)
        for foreign_key in shape.foreign_keys:
            names.update(foreign_key.columns)
        return names

    def _fill(
        self, shape: TableShape, user_id: str, *, owner_column: str | None, id_column: str | None
    ) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for foreign_key in shape.foreign_keys:
            row.update(self._reference(shape, foreign_key, user_id, owner_column))
        if owner_column:
            row[owner_column] = user_id
        for column in shape.columns:
            if column.name in row or column.is_generated or column.is_identity or column.name in SERVER_COLUMNS:
                continue
            if column.name == id_column:
                row[column.name] = self._id_value(column)
            elif column.name in ("created_at", "updated_at") and column.category == "D":
                row[column.name] = self._source.now()
            elif column.not_null and not column.has_default:
                row[column.name] = value_for(column, next(self._counter), self._source)
        return row

    def new_id(self, shape: TableShape, id_column: str) -> Any:
        """A fresh value for ``shape``'s id column (an id no row has: a scope row that does not exist, say)."""
        column = shape.column(id_column)
        assert column is not None, f"{shape.name} has no column {id_column}"
        return self._id_value(column)

    def _id_value(self, column: Column) -> Any:
        if column.base_type == "uuid":
            return str(self._source.new_uuid())
        if column.category == "N":
            return next(self._counter) * 1000 + self._source.new_uuid().int % 1000
        return f"verify{self._source.new_uuid().hex}"

    def _reference(
        self, shape: TableShape, foreign_key: ForeignKey, user_id: str, owner_column: str | None
    ) -> dict[str, Any]:
        """Values for one foreign key's columns: the user, a parent row, or nothing."""
        if (foreign_key.parent_schema, foreign_key.parent_table) in USER_TABLES:
            return {column: user_id for column in foreign_key.columns}
        if foreign_key.parent_relid == shape.relid:
            return {}  # self reference: leave it null (a root row)
        required = any(
            (column := shape.column(name)) is not None and column.not_null and name != owner_column
            for name in foreign_key.columns
        )
        if foreign_key.parent_relid not in self._synced and not required:
            return {}
        parent = self._parent_row(foreign_key.parent_relid, user_id)
        return {
            column: parent.get(parent_column)
            for column, parent_column in zip(foreign_key.columns, foreign_key.parent_columns, strict=True)
            if column != owner_column
        }

    def _parent_row(self, relid: int, user_id: str) -> dict[str, Any]:
        """The one parent row of table ``relid`` for this user, created on first use."""
        key = (user_id, relid)
        if key in self._parents:
            return self._parents[key]
        synced = self._synced.get(relid)
        if synced is not None:
            row = self._insert(user_id, synced.shape, self.new_row(synced, user_id))
        else:
            shape = self._load_shape(relid)
            row = self._insert(None, shape, self._fill(shape, user_id, owner_column=None, id_column=None))
        self._parents[key] = row
        return row
