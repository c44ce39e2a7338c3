"""What every check gets: connections, users, synthetic rows, pull and push as a device.

Users act ONLY through :mod:`supabase_sync.rpc` (``call`` for the RPCs,
``as_user`` for plain table requests), the same per-request transaction
PostgREST runs. The superuser connection is used for setup (auth.users) and for
reading what really is in a table, never to act as a user.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from supabase_sync import rpc
from supabase_sync.contract import TableCheck, check_registered_tables
from supabase_sync.names import TableName
from supabase_sync.verify.checks.base import CheckFailure
from supabase_sync.verify.catalog import SyncedTable, TableShape, load_shape
from supabase_sync.verify.synthetic import SyntheticData


@dataclass
class Pull:
    """The merged result of one pull (all pages): per collection, created/updated/deleted."""

    changes: dict[str, dict[str, list[Any]]]
    timestamp: int
    pages: int = 1

    def ids(self, collection: str, kind: str, id_column: str = "id") -> list[str]:
        """The ids listed under ``kind`` for ``collection`` (strings), in order, duplicates kept."""
        entries = self.changes.get(collection, {}).get(kind, [])
        if kind == "deleted":
            return [str(entry[id_column]) if isinstance(entry, dict) else str(entry) for entry in entries]
        return [str(entry.get(id_column)) for entry in entries]

    def all_ids(self, collection: str, id_column: str = "id") -> list[str]:
        """Every id in ``collection``'s created, updated and deleted lists."""
        return [
            row_id for kind in ("created", "updated", "deleted") for row_id in self.ids(collection, kind, id_column)
        ]


@dataclass
class VerifyContext:
    """Shared state of one verify run: the database, its synced tables and helpers."""

    owner_dsn: str
    superuser_dsn: str
    tables: list[SyncedTable]
    _connections: dict[bool, psycopg.Connection] = field(default_factory=dict, repr=False)
    _auth_columns: set[str] | None = field(default=None, repr=False)
    _contract: dict[TableName, TableCheck] | None = field(default=None, repr=False)
    synthetic: SyntheticData = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.synthetic = SyntheticData(self.tables, load_shape=self._load_shape, insert=self._insert_parent)

    # -- connections -------------------------------------------------------------------

    def conn(self, *, superuser: bool = False) -> psycopg.Connection:
        """The shared autocommit connection (as the project owner, or the superuser)."""
        existing = self._connections.get(superuser)
        if existing is None or existing.closed:
            existing = psycopg.connect(self.superuser_dsn if superuser else self.owner_dsn, autocommit=True)
            self._connections[superuser] = existing
        return existing

    def new_connection(self) -> psycopg.Connection:
        """A new autocommit connection as the project owner (the caller closes it)."""
        return psycopg.connect(self.owner_dsn, autocommit=True)

    def close(self) -> None:
        """Close the shared connections."""
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    # -- users -------------------------------------------------------------------------

    def new_user(self, label: str = "user") -> str:
        """Insert a new user into auth.users and return its id."""
        user_id = str(uuid.uuid4())
        conn = self.conn(superuser=True)
        if self._auth_columns is None:
            rows = conn.execute(
                "select attname::text from pg_catalog.pg_attribute"
                " where attrelid = 'auth.users'::regclass and attnum > 0 and not attisdropped"
            ).fetchall()
            self._auth_columns = {row[0] for row in rows}
        values: dict[str, Any] = {"id": user_id}
        if "email" in self._auth_columns:
            values["email"] = f"verify-{label}-{user_id[:8]}@example.invalid"
        for column, value in (("aud", "authenticated"), ("role", "authenticated")):
            if column in self._auth_columns:
                values[column] = value
        statement = sql.SQL("insert into auth.users ({columns}) values ({values})").format(
            columns=sql.SQL(", ").join(map(sql.Identifier, values)),
            values=sql.SQL(", ").join(sql.Placeholder() * len(values)),
        )
        conn.execute(statement, list(values.values()))
        return user_id

    # -- acting as users (through supabase_sync.rpc only) ------------------------------

    def pull(
        self,
        user_id: str | None,
        *,
        client_id: str | None = None,
        last_pulled_at: int | None = None,
        collections: list[str] | None = None,
        role: str | None = None,
        conn: psycopg.Connection | None = None,
        max_pages: int = 1000,
    ) -> Pull:
        """Call sync_pull as ``user_id`` and follow ``has_more`` pages; return the merged changes."""
        merged: dict[str, dict[str, list[Any]]] = {}
        cursor = last_pulled_at
        for page in range(1, max_pages + 1):
            args: dict[str, Any] = {"last_pulled_at": cursor}
            if collections is not None:
                args["collections"] = collections
            if client_id is not None:
                args["client_id"] = client_id
            response = rpc.call(conn or self.conn(), "sync_pull", args, user_id=user_id, role=role)
            for collection, kinds in (response.get("changes") or {}).items():
                target = merged.setdefault(collection, {"created": [], "updated": [], "deleted": []})
                for kind in ("created", "updated", "deleted"):
                    target[kind].extend(kinds.get(kind) or [])
            cursor = response["timestamp"]
            if not response.get("has_more"):
                return Pull(merged, cursor, page)
        raise CheckFailure(f"sync_pull still had more pages after {max_pages} calls")

    def push(
        self,
        user_id: str,
        changes: Mapping[str, Any],
        *,
        client_id: str | None = None,
        last_pulled_at: int | None = None,
        push_id: str | None = None,
    ) -> dict[str, Any]:
        """Call sync_push as ``user_id``; return its response (raises rpc.RpcError)."""
        args: dict[str, Any] = {"changes": dict(changes), "last_pulled_at": last_pulled_at}
        if push_id is not None:
            args["push_id"] = push_id
        if client_id is not None:
            args["client_id"] = client_id
        result: dict[str, Any] = rpc.call(self.conn(), "sync_push", args, user_id=user_id)
        return result

    @contextmanager
    def as_user(self, user_id: str | None, *, role: str | None = None) -> Iterator[psycopg.Cursor]:
        """A cursor in a PostgREST-like transaction as ``user_id`` (plain table requests)."""
        with rpc.as_user(self.conn(), user_id=user_id, role=role) as cur:
            yield cur

    def insert_as(self, user_id: str | None, table: TableShape, row: Mapping[str, Any]) -> dict[str, Any]:
        """Insert ``row`` into ``table`` with plain DML as the user; return the stored row."""
        with self.as_user(user_id) as cur:
            cur.execute(insert_statement(table, row), (json_row(row),))
            stored = cur.fetchone()
        return dict(stored[0]) if stored else {}

    # -- looking at what is really there ----------------------------------------------

    def read_row(self, table: SyncedTable, row_id: Any) -> dict[str, Any] | None:
        """The stored row with ``row_id`` as the superuser sees it (bypassing RLS), or None."""
        statement = sql.SQL("select to_jsonb(t) from {table} as t where {id}::text = %s").format(
            table=table.identifier, id=sql.Identifier(table.id_column)
        )
        row = self.conn(superuser=True).execute(statement, (str(row_id),)).fetchone()
        return dict(row[0]) if row else None

    def contract(self, table: SyncedTable) -> TableCheck:
        """``table`` judged against the per-table contract (every synced table is read at the first call)."""
        if self._contract is None:
            self._contract = {check.table: check for check in check_registered_tables(self.conn(superuser=True))}
        return self._contract[TableName(table.schema_name, table.table_name)]

    # -- helpers for synthetic data ----------------------------------------------------

    def _load_shape(self, relid: int) -> TableShape:
        return load_shape(self.conn(superuser=True), relid)

    def _insert_parent(self, user_id: str | None, table: TableShape, row: dict[str, Any]) -> dict[str, Any]:
        if user_id is not None and any(synced.relid == table.relid for synced in self.tables):
            return self.insert_as(user_id, table, row)
        # A non-synced parent (lookup table...) is set up by the project owner.
        with self.conn().cursor() as cur:
            cur.execute(insert_statement(table, row), (json_row(row),))
            stored = cur.fetchone()
        return dict(stored[0]) if stored else row


def insert_statement(table: TableShape, row: Mapping[str, Any]) -> sql.Composed:
    """``insert ... select <cols> from jsonb_populate_record(...) returning to_jsonb(row)``.

    Only the given columns are written, so defaults apply to the others, and
    PostgreSQL itself converts the JSON values to the column types.
    """
    columns = sql.SQL(", ").join(map(sql.Identifier, row))
    return sql.SQL(
        "insert into {table} as t ({columns}) select {columns}"
        " from jsonb_populate_record(null::{table}, %s::jsonb) returning to_jsonb(t)"
    ).format(table=table.identifier, columns=columns)


def json_row(row: Mapping[str, Any]) -> str:
    """A row as the JSON text insert_statement expects."""
    return json.dumps(dict(row), default=str)
