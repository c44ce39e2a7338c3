"""Sharing (DESIGN 3.4): a scope's viewers read but never write its rows; outsiders neither read nor write them.

Per scoped table (membership tables aside): user A creates a row in a scope
row of A's; A adds B as a ``viewer`` (a plain insert into the membership
table, as A); C is nobody. Everything runs as those users, through plain
table requests and ``sync_push``.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from supabase_sync.rpc import RpcError
from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.checks.base import CheckFailure, CheckSkipped, check
from supabase_sync.verify.context import VerifyContext
from supabase_sync.verify.synthetic import client_row

_FIX = (
    "run `supabase-sync enable <table> --scope-column <column>` again: it re-creates the shared policies"
    " (status lists the gaps), and reinstall the pack (supabase-sync install) for sync_push's checks"
)


def _membership_of(ctx: VerifyContext, table: SyncedTable) -> SyncedTable:
    if table.kind != "scoped" or table.membership or table.scope_column is None:
        raise CheckSkipped(f"{table.collection} is not a scoped table")
    for candidate in ctx.tables:
        if candidate.membership and candidate.scope_relid == table.scope_relid:
            return candidate
    raise CheckSkipped(f"the scope of {table.collection} has no synced membership table")


def _shared_row(ctx: VerifyContext, table: SyncedTable, role: str) -> tuple[str, str, dict[str, Any]]:
    """A's row of ``table`` and user B, a member of its scope row with ``role``."""
    members = _membership_of(ctx, table)
    user_a, user_b = ctx.new_user("a"), ctx.new_user("b")
    row = ctx.insert_as(user_a, table.shape, ctx.synthetic.new_row(table, user_a))
    assert table.scope_column is not None and members.scope_column is not None and members.member_column
    grant = ctx.synthetic.new_row(
        members, user_a, {members.scope_column: row[table.scope_column], members.member_column: user_b, "role": role}
    )
    ctx.insert_as(user_a, members.shape, grant)
    return user_a, user_b, row


def _sees(ctx: VerifyContext, user: str, table: SyncedTable, row_id: str) -> bool:
    statement = sql.SQL("select count(*) from {table} where {id}::text = %s").format(
        table=table.identifier, id=sql.Identifier(table.id_column)
    )
    with ctx.as_user(user) as cur:
        return bool(cur.execute(statement, (row_id,)).fetchone()[0])  # type: ignore[index]


@check("sharing.viewer_write")
def viewer_write(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """A viewer of a scope reads its rows, but a plain update or delete affects nothing and a sync_push update or
    delete answers 42501 naming the row, the row unchanged."""
    assert table is not None
    _user_a, viewer, row = _shared_row(ctx, table, "viewer")
    row_id = str(row[table.id_column])
    if not _sees(ctx, viewer, table, row_id):
        raise CheckFailure(f"a viewer of its scope cannot read row {row_id} of {table.collection}", fix=_FIX)
    before = ctx.read_row(table, row_id)
    with ctx.as_user(viewer) as cur:
        statement = sql.SQL("update {table} set {id} = {id} where {id}::text = %s").format(
            table=table.identifier, id=sql.Identifier(table.id_column)
        )
        if cur.execute(statement, (row_id,)).rowcount:
            raise CheckFailure(f"a viewer updated row {row_id} of {table.collection} through PostgREST", fix=_FIX)
    edited = ctx.synthetic.changed(table, client_row(row))
    for change, entry in (("updated", edited), ("deleted", row_id)):
        try:
            ctx.push(viewer, {table.collection: {"created": [], "updated": [], "deleted": [], change: [entry]}})
        except RpcError as error:
            if error.sqlstate != "42501" or row_id not in error.message:
                raise CheckFailure(
                    f"a viewer's sync_push ({change}) of {table.collection} answered {error.sqlstate}"
                    f" ({error.message}), not 42501 naming row {row_id}",
                    fix=_FIX,
                ) from error
        else:
            raise CheckFailure(f"sync_push let a viewer write ({change}) row {row_id} of {table.collection}", fix=_FIX)
        if ctx.read_row(table, row_id) != before:
            raise CheckFailure(f"a refused viewer push still changed row {row_id} of {table.collection}", fix=_FIX)


@check("sharing.non_member")
def non_member(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """A user who is not a member of a scope reads none of its rows and cannot create one in it through
    sync_push (42501, as for a scope row that does not exist)."""
    assert table is not None
    _membership_of(ctx, table)
    assert table.scope_column is not None
    user_a = ctx.new_user("a")
    outsider = ctx.new_user("c")
    row = ctx.insert_as(user_a, table.shape, ctx.synthetic.new_row(table, user_a))
    row_id = str(row[table.id_column])
    if _sees(ctx, outsider, table, row_id):
        raise CheckFailure(f"a user outside its scope reads row {row_id} of {table.collection}", fix=_FIX)
    intruder = ctx.synthetic.new_row(table, outsider, {table.scope_column: row[table.scope_column]})
    intruder_id = str(intruder[table.id_column])
    try:
        ctx.push(outsider, {table.collection: {"created": [intruder], "updated": [], "deleted": []}})
    except RpcError as error:
        if error.sqlstate != "42501":
            raise CheckFailure(
                f"a push into another user's scope answered {error.sqlstate} ({error.message}), not 42501", fix=_FIX
            ) from error
    else:
        raise CheckFailure(f"sync_push let a user outside its scope create a row of {table.collection} in it", fix=_FIX)
    if ctx.read_row(table, intruder_id) is not None:
        raise CheckFailure(f"a refused push still created row {intruder_id} of {table.collection}", fix=_FIX)
