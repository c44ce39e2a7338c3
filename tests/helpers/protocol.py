"""A device of one user talking to the sync RPCs (the protocol tests).

Everything a test does as a user goes through ``supabase_sync.rpc`` (the
PostgREST request transaction); owner-role connections are used only to look
at the database as it is, or to set the scene (registry settings).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest

from supabase_sync import rpc
from supabase_sync.rpc import RpcError

SYNCED = ("public.project", "public.project_member", "public.task", "public.doc_updates")


@dataclass
class Device:
    """One client device of one user: a connection, a client_id and a pull cursor."""

    conn: psycopg.Connection
    user_id: uuid.UUID
    client_id: uuid.UUID = field(default_factory=uuid.uuid4)
    cursor: int | None = None

    def pull(self, **args: Any) -> dict[str, Any]:
        """Call sync_pull with ``args`` (cursor not implied) and return the response."""
        return rpc.call(self.conn, "sync_pull", args, user_id=self.user_id)

    def pull_all(self, *, page_size: int | None = None, use_client_id: bool = False) -> dict[str, dict[str, Any]]:
        """Pull pages from the device cursor until has_more is false; return rows/deleted ids merged."""
        merged: dict[str, dict[str, Any]] = {}
        for _page in range(10_000):
            args: dict[str, Any] = {"last_pulled_at": self.cursor}
            if page_size is not None:
                args["page_size"] = page_size
            if use_client_id:
                args["client_id"] = str(self.client_id)
            response = self.pull(**args)
            for collection, change in response["changes"].items():
                target = merged.setdefault(collection, {})
                for row in change["created"] + change["updated"]:
                    target[row["id"]] = row
                for row_id in change["deleted"]:
                    target[row_id] = None
            assert self.cursor is None or response["timestamp"] >= self.cursor
            self.cursor = response["timestamp"]
            if not response["has_more"]:
                return merged
        raise AssertionError("pull did not finish within 10000 pages")

    def push(self, changes: Mapping[str, Any], **args: Any) -> dict[str, Any]:
        """Call sync_push with ``changes`` and ``args`` and return the response."""
        return rpc.call(self.conn, "sync_push", {"changes": changes, **args}, user_id=self.user_id)

    def push_error(self, changes: Any, **args: Any) -> RpcError:
        """Call sync_push expecting an error; return it."""
        with pytest.raises(RpcError) as caught:
            rpc.call(self.conn, "sync_push", {"changes": changes, **args}, user_id=self.user_id)
        return caught.value

    def pull_error(self, **args: Any) -> RpcError:
        """Call sync_pull expecting an error; return it."""
        with pytest.raises(RpcError) as caught:
            rpc.call(self.conn, "sync_pull", args, user_id=self.user_id)
        return caught.value


def new_id() -> str:
    """A fresh row id as a client makes it."""
    return str(uuid.uuid4())


def project(row_id: str | None = None, **values: Any) -> dict[str, Any]:
    """A project row as a client sends it."""
    return {"id": row_id or new_id(), "name": "project", **values}


def task(project_id: str | None = None, row_id: str | None = None, **values: Any) -> dict[str, Any]:
    """A task row as a client sends it."""
    return {"id": row_id or new_id(), "project_id": project_id, "title": "task", **values}


def snapshot(conn: psycopg.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every synced row, tombstone and push log row, as the owner sees them (to prove nothing changed)."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    for table in (*SYNCED, "supabase_sync.tombstone", "supabase_sync.push_log", "supabase_sync.meta"):
        rows = conn.execute(f"select to_jsonb(t)::text from {table} as t order by 1").fetchall()  # noqa: S608 - fixed names
        state[table] = rows
    return state


def server_rows(conn: psycopg.Connection, user_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """The user's rows per table as the owner sees them, id -> row (None for soft-deleted)."""
    rows: dict[str, dict[str, Any]] = {}
    for table in SYNCED:
        found = conn.execute(
            f"select id::text, to_jsonb(t), deleted_at is not null from {table} as t where user_id = %s",  # noqa: S608
            (user_id,),
        ).fetchall()
        rows[table] = {row_id: (None if deleted else doc) for row_id, doc, deleted in found}
    return rows


def tuples_read(cur: psycopg.Cursor, tables: list[str]) -> int:
    """Tuples the cursor's transaction read from ``tables`` so far (pg_stat_xact_user_tables).

    A backend's pg_stat_xact_* counters hold everything it has not yet flushed (PostgreSQL 15
    flushes at most once a second): on a fresh connection they count this transaction alone.
    """
    cur.execute(
        "select coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)::bigint"
        " from pg_catalog.pg_stat_xact_user_tables where relid = any(%s::regclass[])",
        (tables,),
    )
    row = cur.fetchone()
    assert row is not None
    return int(row[0])
