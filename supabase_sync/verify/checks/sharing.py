"""Sharing (DESIGN 3.4): who reads and writes a scope's rows, and what a pull says when that changes.

User A owns scope rows (``public.project``); B, C are added to or removed from
their membership table with plain inserts and deletes as A, the way an app
does it through PostgREST. Everything runs as those users, through plain table
requests, ``sync_pull`` and ``sync_push``. The pull checks (grant, revoke,
move) follow docs/protocol.md "Sharing": a scope gained since the cursor
arrives as ``created``, a scope lost or a row moved out of sight as ``deleted``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg import sql

from supabase_sync.rpc import RpcError
from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.checks.base import CheckFailure, CheckSkipped, check
from supabase_sync.verify.context import Pull, VerifyContext
from supabase_sync.verify.synthetic import client_row

_FIX = (
    "run `supabase-sync enable <table> --scope-column <column>` again: it re-creates the shared policies"
    " (status lists the gaps), and reinstall the pack (supabase-sync install) for sync_push's checks"
)
_PULL_FIX = (
    "reinstall the pack (supabase-sync install): sync_pull delivers gained scopes as created and lost scopes"
    " and moved rows as deleted from supabase_sync.access_event (docs/protocol.md \"Sharing\")"
)


# --- the scope a table belongs to ------------------------------------------------


def _scope_tables(ctx: VerifyContext, table: SyncedTable) -> tuple[SyncedTable, SyncedTable]:
    """The scope table ``table`` belongs to (itself, for a scope table) and that scope's membership table."""
    if table.kind == "scope":
        scope_relid: int | None = table.relid
    elif table.kind == "scoped":
        scope_relid = table.scope_relid
    else:
        raise CheckSkipped(f"{table.collection} is not shared (an owner table)")
    scope = next((candidate for candidate in ctx.tables if candidate.relid == scope_relid), None)
    members = next((c for c in ctx.tables if c.membership and c.scope_relid == scope_relid), None)
    if scope is None or members is None:
        raise CheckSkipped(f"the scope of {table.collection} has no synced membership table")
    return scope, members


def _scoped_rows_only(ctx: VerifyContext, table: SyncedTable) -> SyncedTable:
    """The membership table of ``table``'s scope; skips scope and membership tables themselves."""
    if table.kind != "scoped" or table.membership or table.scope_column is None:
        raise CheckSkipped(f"{table.collection} is not a scoped table")
    return _scope_tables(ctx, table)[1]


def _new_scope_row(ctx: VerifyContext, scope: SyncedTable, owner: str) -> str:
    """A new scope row of ``owner``; returns its id."""
    ctx.synthetic.forget_parents(owner)
    return str(ctx.insert_as(owner, scope.shape, ctx.synthetic.new_row(scope, owner))[scope.id_column])


def _row_in_new_scope(ctx: VerifyContext, table: SyncedTable, owner: str) -> tuple[str, dict[str, Any]]:
    """A new scope row of ``owner`` and one row of ``table`` in it: (the scope row's id, the stored row).

    The row is the scope row itself for the scope table, another user's membership for the membership table.
    """
    scope, members = _scope_tables(ctx, table)
    if table.relid == scope.relid:
        scope_id = _new_scope_row(ctx, scope, owner)
        return scope_id, ctx.read_row(table, scope_id) or {}
    if table.membership:
        scope_id = _new_scope_row(ctx, scope, owner)
        return scope_id, _grant(ctx, owner, members, scope_id, ctx.new_user("d"), "editor")
    assert table.scope_column is not None
    ctx.synthetic.forget_parents(owner)
    row = ctx.insert_as(owner, table.shape, ctx.synthetic.new_row(table, owner))
    return str(row[table.scope_column]), row


def _grant(
    ctx: VerifyContext, owner: str, members: SyncedTable, scope_id: str, user: str, role: str
) -> dict[str, Any]:
    """``owner`` adds ``user`` to scope row ``scope_id`` with ``role`` (a plain insert); returns the membership row."""
    assert members.scope_column is not None and members.member_column is not None
    overrides = {members.scope_column: scope_id, members.member_column: user, "role": role}
    return ctx.insert_as(owner, members.shape, ctx.synthetic.new_row(members, owner, overrides))


def _revoke(ctx: VerifyContext, owner: str, members: SyncedTable, membership: dict[str, Any]) -> None:
    """``owner`` removes a membership row (a plain delete)."""
    statement = sql.SQL("delete from {table} where {id}::text = %s").format(
        table=members.identifier, id=sql.Identifier(members.id_column)
    )
    with ctx.as_user(owner) as cur:
        removed = cur.execute(statement, (str(membership[members.id_column]),)).rowcount
    if not removed:
        raise CheckFailure(
            f"the owner of a scope row could not delete a membership row of {members.collection}", fix=_FIX
        )


def _revoke_by_push(ctx: VerifyContext, owner: str, members: SyncedTable, membership: dict[str, Any]) -> None:
    """``owner`` removes a membership row the way a client deletes a row: sync_push ``deleted`` (a soft delete:
    the row stays, with deleted_at set)."""
    membership_id = str(membership[members.id_column])
    response = ctx.push(owner, {members.collection: {"created": [], "updated": [], "deleted": [membership_id]}})
    if response.get("applied", {}).get(members.collection, {}).get("deleted") != 1:
        raise CheckFailure(
            f"the owner of a scope row could not delete membership row {membership_id} of {members.collection}"
            f" with sync_push (answer: {response})",
            fix=_FIX,
        )


def _move(ctx: VerifyContext, owner: str, table: SyncedTable, row_id: str, to_scope_id: str) -> None:
    """``owner`` moves row ``row_id`` to scope row ``to_scope_id``: its scope column, or (a table copying its
    parent's scope column) its parent's, which the pack's trigger carries down to it."""
    assert table.scope_column is not None
    statement = sql.SQL("update {table} set {scope} = %s where {id}::text = %s").format(
        table=table.identifier, scope=sql.Identifier(table.scope_column), id=sql.Identifier(table.id_column)
    )
    with ctx.as_user(owner) as cur:
        cur.execute(statement, (to_scope_id, row_id))
    if _scope_id_of(ctx, table, row_id) == to_scope_id:
        return
    parent = _scope_parent(ctx, table, row_id)
    if parent is None:
        raise CheckFailure(f"the owner of both scope rows could not move row {row_id} of {table.collection}", fix=_FIX)
    _move(ctx, owner, parent[0], parent[1], to_scope_id)
    if _scope_id_of(ctx, table, row_id) != to_scope_id:
        raise CheckFailure(
            f"moving the parent {parent[0].collection} row {parent[1]} to another scope row left row {row_id} of"
            f" {table.collection} behind: its scope column is not kept equal to its parent's",
            fix=f"supabase-sync enable {table.collection} --scope-column {table.scope_column} --scope-through <column>",
        )


def _scope_id_of(ctx: VerifyContext, table: SyncedTable, row_id: str) -> str | None:
    assert table.scope_column is not None
    stored = ctx.read_row(table, row_id) or {}
    value = stored.get(table.scope_column)
    return None if value is None else str(value)


def _scope_parent(ctx: VerifyContext, table: SyncedTable, row_id: str) -> tuple[SyncedTable, str] | None:
    """The row of a scoped table of the same scope that ``row_id`` references (whose scope column it copies):
    through the column the registry records, else the first such foreign key (a registry before pack 3)."""
    stored = ctx.read_row(table, row_id) or {}
    parents = {
        candidate.relid: candidate
        for candidate in ctx.tables
        if candidate.kind == "scoped" and not candidate.membership and candidate.scope_relid == table.scope_relid
    }
    recorded_first = sorted(table.shape.foreign_keys, key=lambda key: key.columns != (table.scope_through,))
    for foreign_key in recorded_first:
        parent = parents.get(foreign_key.parent_relid)
        if parent is not None and len(foreign_key.columns) == 1 and stored.get(foreign_key.columns[0]) is not None:
            return parent, str(stored[foreign_key.columns[0]])
    return None


# --- what a pull said about one row ----------------------------------------------


def _listed(result: Pull, table: SyncedTable, row_id: str) -> list[str]:
    """Under which kinds (created, updated, deleted) a pull listed ``row_id``, once per listing."""
    return [
        kind
        for kind in ("created", "updated", "deleted")
        for listed in result.ids(table.collection, kind, table.id_column)
        if listed == row_id
    ]


def _expect_listed(result: Pull, table: SyncedTable, row_id: str, kind: str, after: str) -> None:
    listed = _listed(result, table, row_id)
    if listed != [kind]:
        said = " and ".join(listed) if listed else "nothing"
        raise CheckFailure(
            f"after {after}, the next pull listed row {row_id} of {table.collection} as {said}, not once as {kind}",
            fix=_PULL_FIX,
        )


def _sees(ctx: VerifyContext, user: str, table: SyncedTable, row_id: str) -> bool:
    statement = sql.SQL("select count(*) from {table} where {id}::text = %s").format(
        table=table.identifier, id=sql.Identifier(table.id_column)
    )
    with ctx.as_user(user) as cur:
        return bool(cur.execute(statement, (row_id,)).fetchone()[0])  # type: ignore[index]


def _push_refused(ctx: VerifyContext, user: str, table: SyncedTable, change: str, entry: Any, who: str) -> RpcError:
    """``user``'s sync_push of one ``change`` must answer 42501 naming the row; returns the error."""
    row_id = str(entry[table.id_column]) if isinstance(entry, dict) else str(entry)
    try:
        ctx.push(user, {table.collection: {"created": [], "updated": [], "deleted": [], change: [entry]}})
    except RpcError as error:
        if error.sqlstate != "42501" or row_id not in error.message:
            raise CheckFailure(
                f"{who}'s sync_push ({change}) of {table.collection} answered {error.sqlstate} ({error.message}),"
                f" not 42501 naming row {row_id}",
                fix=_FIX,
            ) from error
        return error
    raise CheckFailure(f"sync_push let {who} write ({change}) row {row_id} of {table.collection}", fix=_FIX)


def _push_answered_as_unseen(ctx: VerifyContext, user: str, table: SyncedTable, edited: dict[str, Any]) -> None:
    """An update of a scope row ``user`` no longer sees is answered as for any row they cannot see
    (docs/protocol.md "Threat model"): refused as deleted on the server, or 42501 naming it."""
    row_id = str(edited[table.id_column])
    refused = {"table": table.collection, "id": row_id, "reason": "deleted on the server"}
    try:
        response = ctx.push(user, {table.collection: {"created": [], "updated": [edited], "deleted": []}})
    except RpcError as error:
        if error.sqlstate == "42501" and row_id in error.message:
            return
        raise CheckFailure(
            f"a removed member's sync_push of scope row {row_id} of {table.collection} answered {error.sqlstate}"
            f" ({error.message}), not 42501 naming it",
            fix=_FIX,
        ) from error
    if refused not in response.get("conflicts", []):
        raise CheckFailure(
            f"sync_push let a removed member write (updated) scope row {row_id} of {table.collection}", fix=_FIX
        )


# --- the checks --------------------------------------------------------------------


@check("sharing.viewer_write")
def viewer_write(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """A viewer of a scope pulls its rows, but a plain update affects nothing and every sync_push write (create,
    update, delete) answers 42501 naming the row, the data unchanged."""
    assert table is not None
    members = _scoped_rows_only(ctx, table)
    owner, viewer = ctx.new_user("a"), ctx.new_user("b")
    scope_id, row = _row_in_new_scope(ctx, table, owner)
    _grant(ctx, owner, members, scope_id, viewer, "viewer")
    row_id = str(row[table.id_column])
    if not _sees(ctx, viewer, table, row_id):
        raise CheckFailure(f"a viewer of its scope cannot read row {row_id} of {table.collection}", fix=_FIX)
    if _listed(ctx.pull(viewer), table, row_id) != ["created"]:
        raise CheckFailure(f"a viewer's pull from null lacks row {row_id} of {table.collection}", fix=_PULL_FIX)
    before = ctx.read_row(table, row_id)
    with ctx.as_user(viewer) as cur:
        statement = sql.SQL("update {table} set {id} = {id} where {id}::text = %s").format(
            table=table.identifier, id=sql.Identifier(table.id_column)
        )
        if cur.execute(statement, (row_id,)).rowcount:
            raise CheckFailure(f"a viewer updated row {row_id} of {table.collection} through PostgREST", fix=_FIX)
    new_row = ctx.synthetic.row_beside(table, viewer, row)
    edited = ctx.synthetic.changed(table, client_row(row))
    for change, entry in (("created", new_row), ("updated", edited), ("deleted", row_id)):
        _push_refused(ctx, viewer, table, change, entry, "a viewer")
        if ctx.read_row(table, row_id) != before or ctx.read_row(table, new_row[table.id_column]) is not None:
            raise CheckFailure(f"a refused viewer push ({change}) still changed {table.collection}", fix=_FIX)


@check("sharing.non_member")
def non_member(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """A user who is not a member of a scope reads and pulls none of its rows, and a sync_push creating a row in
    it answers 42501 with the same message as for a scope row that does not exist."""
    assert table is not None
    _scoped_rows_only(ctx, table)
    assert table.scope_column is not None
    owner, outsider = ctx.new_user("a"), ctx.new_user("c")
    _scope_id, row = _row_in_new_scope(ctx, table, owner)
    row_id = str(row[table.id_column])
    if _sees(ctx, outsider, table, row_id):
        raise CheckFailure(f"a user outside its scope reads row {row_id} of {table.collection}", fix=_FIX)
    if _listed(ctx.pull(outsider), table, row_id):
        raise CheckFailure(f"a user outside its scope pulled row {row_id} of {table.collection}", fix=_PULL_FIX)
    intruder = ctx.synthetic.row_beside(table, outsider, row)
    phantom = _nowhere(ctx, table, intruder)
    answers = [
        _push_refused(ctx, outsider, table, "created", candidate, "a user outside its scope")
        for candidate in (intruder, phantom)
    ]
    for candidate in (intruder, phantom):
        if ctx.read_row(table, candidate[table.id_column]) is not None:
            raise CheckFailure(f"a refused push still created row {candidate[table.id_column]} of {table.collection}")
    said = [
        _without(f"{error.message} {error.detail} {error.hint}", str(candidate[table.id_column]))
        for error, candidate in zip(answers, (intruder, phantom), strict=True)
    ]
    if said[0] != said[1]:
        raise CheckFailure(
            f"a push into another user's scope of {table.collection} answers differently from one into a scope row"
            f" that does not exist ({said[0]!r} vs {said[1]!r}): it tells that the scope row exists",
            fix=_FIX,
        )


def _nowhere(ctx: VerifyContext, table: SyncedTable, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with a new id, in a scope row and under synced parents that do not exist: it names nothing of A's."""
    assert table.scope_column is not None
    synced = {candidate.relid: candidate for candidate in ctx.tables}
    scope, _members = _scope_tables(ctx, table)
    moved = dict(row)
    for foreign_key in table.shape.foreign_keys:
        parent = synced.get(foreign_key.parent_relid)
        column = foreign_key.columns[0] if len(foreign_key.columns) == 1 else None
        if parent is not None and column in moved and column != table.owner_column:
            moved[column] = ctx.synthetic.new_id(parent.shape, parent.id_column)
    moved[table.scope_column] = ctx.synthetic.new_id(scope.shape, scope.id_column)
    moved[table.id_column] = ctx.synthetic.new_id(table.shape, table.id_column)
    return moved


def _without(text: str, row_id: str) -> str:
    return text.replace(row_id, "<id>")


@check("sharing.grant")
def grant(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """A user added to a scope gets, in their next pull from their earlier cursor, the scope's rows as created,
    and nothing of the owner's other scopes."""
    assert table is not None
    _scope, members = _scope_tables(ctx, table)
    owner, member = ctx.new_user("a"), ctx.new_user("b")
    _other_scope, other = _row_in_new_scope(ctx, table, owner)
    scope_id, row = _row_in_new_scope(ctx, table, owner)
    cursor = ctx.pull(member).timestamp
    _grant(ctx, owner, members, scope_id, member, "editor")
    after = ctx.pull(member, last_pulled_at=cursor)
    _expect_listed(after, table, str(row[table.id_column]), "created", "B was added to its scope")
    other_id = str(other[table.id_column])
    if _listed(after, table, other_id):
        raise CheckFailure(
            f"after B was added to one scope row, B's pull returned row {other_id} of {table.collection} of another"
            " scope row of the same owner",
            fix=_PULL_FIX,
        )


@check("sharing.revoke")
def revoke(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """A user removed from a scope (a plain delete of the membership row) gets its rows' ids as deleted in their
    next pull, and a sync_push updating one answers 42501 (the scope row itself: as any row they cannot see), the
    row unchanged."""
    _check_revoke(ctx, table, _revoke, "B was removed")


@check("sharing.revoke_pushed")
def revoke_pushed(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """The same when the membership row is deleted the way clients delete (sync_push `deleted`, which sets
    deleted_at): a soft-deleted membership grants nothing, to reads, pulls and pushes alike."""
    _check_revoke(ctx, table, _revoke_by_push, "B's membership row was deleted with sync_push")


_Remove = Callable[[VerifyContext, str, SyncedTable, dict[str, Any]], None]


def _check_revoke(ctx: VerifyContext, table: SyncedTable | None, remove: _Remove, after: str) -> None:
    assert table is not None
    _scope, members = _scope_tables(ctx, table)
    owner, member = ctx.new_user("a"), ctx.new_user("b")
    scope_id, row = _row_in_new_scope(ctx, table, owner)
    membership = _grant(ctx, owner, members, scope_id, member, "editor")
    row_id = str(row[table.id_column])
    before = ctx.pull(member)
    if _listed(before, table, row_id) != ["created"]:
        raise CheckFailure(f"a member's pull from null lacks row {row_id} of {table.collection}", fix=_PULL_FIX)
    remove(ctx, owner, members, membership)
    if _sees(ctx, member, table, row_id):
        raise CheckFailure(f"after {after}, B still reads row {row_id} of {table.collection}", fix=_FIX)
    _expect_listed(ctx.pull(member, last_pulled_at=before.timestamp), table, row_id, "deleted", after)
    stored = ctx.read_row(table, row_id)
    edited = ctx.synthetic.changed(table, client_row(row))
    if table.kind == "scope":
        _push_answered_as_unseen(ctx, member, table, edited)
    else:
        _push_refused(ctx, member, table, "updated", edited, "a removed member")
    if ctx.read_row(table, row_id) != stored:
        raise CheckFailure(f"a removed member's refused push still changed row {row_id} of {table.collection}")


@check("sharing.move")
def move(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """A row moved to a scope row a member does not see is deleted in that member's next pull, and created in
    the next pull of a member of the new scope row only."""
    assert table is not None
    members = _scoped_rows_only(ctx, table)
    scope, _members = _scope_tables(ctx, table)
    owner, member_b, member_c = ctx.new_user("a"), ctx.new_user("b"), ctx.new_user("c")
    from_scope, row = _row_in_new_scope(ctx, table, owner)
    to_scope = _new_scope_row(ctx, scope, owner)
    _grant(ctx, owner, members, from_scope, member_b, "editor")
    _grant(ctx, owner, members, to_scope, member_c, "editor")
    row_id = str(row[table.id_column])
    cursor_b, cursor_c = ctx.pull(member_b).timestamp, ctx.pull(member_c).timestamp
    _move(ctx, owner, table, row_id, to_scope)
    _expect_listed(ctx.pull(member_b, last_pulled_at=cursor_b), table, row_id, "deleted", "it moved out of B's scope")
    _expect_listed(ctx.pull(member_c, last_pulled_at=cursor_c), table, row_id, "created", "it moved into C's scope")
