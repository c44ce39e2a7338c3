"""Server-maintained columns: no client can forge them, by plain request or by push.

server_created_at, server_updated_at, server_version, server_created_version
and instance_id are set by the ``supabase_sync_stamp`` trigger; what a client
sends for them is overwritten (plain insert/update) or ignored (sync_push).
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import sql

from supabase_sync.render.table import render_stamp_trigger
from supabase_sync.sync_objects import SERVER_COLUMNS
from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.checks.base import CheckFailure, check
from supabase_sync.verify.context import VerifyContext

_FORGED_TIME = "2000-01-01T00:00:00+00:00"
_FORGED_VERSION = "7"


def _forged_values(table: SyncedTable) -> dict[str, Any]:
    values = {
        "server_created_at": _FORGED_TIME,
        "server_updated_at": _FORGED_TIME,
        "server_version": _FORGED_VERSION,
        "server_created_version": _FORGED_VERSION,
        "instance_id": str(uuid.uuid4()),
    }
    return {name: value for name, value in values.items() if table.shape.column(name) is not None}


def _forged_columns(stored: dict[str, Any] | None, forged: dict[str, Any]) -> list[str]:
    """Names of the columns whose stored value is the forged one."""
    if stored is None:
        return []
    found = []
    for name, value in forged.items():
        kept = stored.get(name)
        if kept is None:
            continue
        if name.endswith("_at") and str(kept).startswith("2000-01-01"):
            found.append(name)
        elif str(kept) == str(value):
            found.append(name)
    return found


def _fix(table: SyncedTable) -> str:
    return f"{render_stamp_trigger(table.shape.table).inline()} (or supabase-sync enable {table.collection})"


@check("server_columns.forge")
def forge(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """Values a client sends for server_created_at, server_updated_at, server_version, server_created_version,
    instance_id are never stored (plain insert, plain update, push); a push stores its client_id as
    instance_id."""
    assert table is not None
    forged = _forged_values(table)
    if not forged:
        raise CheckFailure(f"{table.collection} has none of {', '.join(SERVER_COLUMNS)}", fix=_fix(table))
    user = ctx.new_user("forger")
    row = ctx.synthetic.new_row(table, user, forged)
    ctx.insert_as(user, table.shape, row)
    kept = _forged_columns(ctx.read_row(table, row[table.id_column]), forged)
    if kept:
        raise CheckFailure(f"a plain insert stored client values for {', '.join(kept)}", fix=_fix(table))
    update = sql.SQL("update {table} set {assignments} where {id}::text = %s").format(
        table=table.identifier,
        assignments=sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(name)) for name in forged),
        id=sql.Identifier(table.id_column),
    )
    with ctx.as_user(user) as cur:
        cur.execute(update, [*forged.values(), str(row[table.id_column])])
    kept = _forged_columns(ctx.read_row(table, row[table.id_column]), forged)
    if kept:
        raise CheckFailure(f"a plain update stored client values for {', '.join(kept)}", fix=_fix(table))
    client_id = str(uuid.uuid4())
    pushed = ctx.synthetic.new_row(table, user, forged)
    ctx.push(user, {table.collection: {"created": [pushed], "updated": [], "deleted": []}}, client_id=client_id)
    stored = ctx.read_row(table, pushed[table.id_column])
    if stored is None:
        raise CheckFailure(f"sync_push did not create row {pushed[table.id_column]} in {table.collection}")
    kept = _forged_columns(stored, forged)
    if kept:
        raise CheckFailure(f"sync_push stored client values for {', '.join(kept)}", fix=_fix(table))
    if "instance_id" in forged and str(stored.get("instance_id")) != client_id:
        raise CheckFailure(
            f"sync_push with client_id {client_id} stored instance_id {stored.get('instance_id')}",
            fix=_fix(table),
        )
