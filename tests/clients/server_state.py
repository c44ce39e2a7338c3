"""What the server holds for a user, to compare a device's local data with."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg


def live_rows(
    conn: psycopg.Connection,
    user_id: str,
    columns: Mapping[str, Sequence[str]],
    convert: Callable[[str, Any], Any] = lambda _column, value: value,
) -> dict[str, dict[str, dict[str, Any]]]:
    """The user's rows that are not soft-deleted: table -> id -> {column: convert(column, value)}.

    ``columns`` maps each table (``schema.table``, fixed names of the test) to the
    columns to read.
    """
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for table, names in columns.items():
        found = conn.execute(
            f"select id::text, {', '.join(names)} from {table} where user_id = %s and deleted_at is null",  # noqa: S608 - fixed names
            (user_id,),
        ).fetchall()
        rows[table] = {row[0]: {c: convert(c, v) for c, v in zip(names, row[1:])} for row in found}
    return rows
