"""Isolation: user B can never reach user A's rows, whichever way B asks.

Plain table requests (select, update, delete, insert with A as owner) and the
sync RPCs (sync_pull; sync_push updating, deleting or creating rows for A), and
the keys through which B's write meets A's rows: foreign keys and unique keys
without the owner column (lint SS018, SS019 find the same keys).
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import sql

from supabase_sync.contract import cross_owner_foreign_keys, cross_owner_unique_keys
from supabase_sync.errors import TableError
from supabase_sync.names import TableName, display_identifier
from supabase_sync.rpc import RpcError
from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.checks.base import CheckFailure, check
from supabase_sync.verify.context import VerifyContext
from supabase_sync.verify.synthetic import client_row, value_for


def _two_users_and_a_row(ctx: VerifyContext, table: SyncedTable) -> tuple[str, str, dict[str, Any]]:
    """Users A and B, and one row of ``table`` A created (plain insert, as A)."""
    user_a = ctx.new_user("a")
    user_b = ctx.new_user("b")
    row = ctx.insert_as(user_a, table.shape, ctx.synthetic.new_row(table, user_a))
    return user_a, user_b, row


def _policy_fix(table: SyncedTable) -> str:
    return (
        f"alter table {table.collection} enable row level security; and keep only owner policies"
        f" `using ((select auth.uid()) = {display_identifier(table.owner_column)})`"
        f" (supabase-sync rls {table.collection} --owner-column {table.owner_column} prints them)"
    )


def _id_filter(table: SyncedTable) -> sql.Composed:
    return sql.SQL("{id}::text = %s").format(id=sql.Identifier(table.id_column))


@check("isolation.select")
def select(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """User B's select returns none of user A's rows."""
    assert table is not None
    user_a, user_b, _row = _two_users_and_a_row(ctx, table)
    statement = sql.SQL("select count(*) from {table} where {owner}::text = %s").format(
        table=table.identifier, owner=sql.Identifier(table.owner_column)
    )
    with ctx.as_user(user_b) as cur:
        seen = cur.execute(statement, (user_a,)).fetchone()[0]  # type: ignore[index]
    if seen:
        raise CheckFailure(f"user B read {seen} row(s) of user A from {table.collection}", fix=_policy_fix(table))


@check("isolation.pull")
def pull(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """B's sync_pull from scratch returns none of A's rows."""
    assert table is not None
    user_a, user_b, row = _two_users_and_a_row(ctx, table)
    result = ctx.pull(user_b)
    leaked = [
        entry
        for kind in ("created", "updated")
        for entry in result.changes.get(table.collection, {}).get(kind, [])
        if str(entry.get(table.owner_column)) == user_a or str(entry.get(table.id_column)) == str(row[table.id_column])
    ]
    if leaked:
        raise CheckFailure(
            f"sync_pull as user B returned {len(leaked)} row(s) of user A from {table.collection}",
            fix=_policy_fix(table),
        )


@check("isolation.dml")
def dml(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """B's plain update and delete of A's row affect nothing; B cannot insert a row owned by A."""
    assert table is not None
    user_a, user_b, row = _two_users_and_a_row(ctx, table)
    row_id = str(row[table.id_column])
    before = ctx.read_row(table, row_id)
    timestamp_column = "updated_at" if table.shape.column("updated_at") else table.id_column
    update = sql.SQL("update {table} set {column} = {column} where {filter}").format(
        table=table.identifier, column=sql.Identifier(timestamp_column), filter=_id_filter(table)
    )
    delete = sql.SQL("delete from {table} where {filter}").format(table=table.identifier, filter=_id_filter(table))
    for verb, statement in (("update", update), ("delete", delete)):
        try:
            with ctx.as_user(user_b) as cur:
                affected = cur.execute(statement, (row_id,)).rowcount
        except RpcError:
            affected = 0
        after = ctx.read_row(table, row_id)
        if affected or after != before:
            raise CheckFailure(
                f"user B could {verb} user A's row {row_id} in {table.collection}", fix=_policy_fix(table)
            )
    forged = ctx.synthetic.new_row(table, user_b, {table.owner_column: user_a})
    try:
        ctx.insert_as(user_b, table.shape, forged)
    except RpcError:
        return
    stored = ctx.read_row(table, forged[table.id_column])
    if stored is not None and str(stored.get(table.owner_column)) == user_a:
        raise CheckFailure(
            f"user B inserted a row owned by user A into {table.collection}",
            fix=f"give the insert policy `with check ((select auth.uid()) = {display_identifier(table.owner_column)})`",
        )


@check("isolation.push")
def push(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """B's sync_push updating A's row refuses that row (listed as deleted on the server, nothing of A's
    revealed) and changes nothing; deleting it is ignored; a created row owned by A in the payload is stored
    as B's."""
    assert table is not None
    user_a, user_b, row = _two_users_and_a_row(ctx, table)
    row_id = str(row[table.id_column])
    before = ctx.read_row(table, row_id)
    edited = ctx.synthetic.changed(table, client_row(row))
    refused = {"table": table.collection, "id": row_id, "reason": "deleted on the server"}
    try:
        response = ctx.push(user_b, {table.collection: {"created": [], "updated": [edited], "deleted": []}})
        answered = refused in response.get("conflicts", []) and user_a not in str(response)
    except RpcError as error:
        # A row that references A's parent row (which B cannot see) is answered like one whose parent is missing;
        # a shared (scoped) row of a scope B cannot write is refused with 42501, as a scope that does not exist.
        answered = error.sqlstate in ("23503", "42501") and user_a not in f"{error.message} {error.detail} {error.hint}"
    if not answered:
        raise CheckFailure(
            f"sync_push of user A's row {row_id} by user B did not refuse that row as deleted on the server",
            fix="reinstall the SQL pack: supabase-sync install",
        )
    if ctx.read_row(table, row_id) != before:
        raise CheckFailure(f"a rejected sync_push by user B still changed user A's row {row_id}")
    ctx.push(user_b, {table.collection: {"created": [], "updated": [], "deleted": [row_id]}})
    if ctx.read_row(table, row_id) != before:
        raise CheckFailure(
            f"sync_push let user B delete user A's row {row_id} in {table.collection}",
            fix="sync_push must ignore deleted ids the caller does not own (reinstall: supabase-sync install)",
        )
    created = ctx.synthetic.new_row(table, user_b, {table.owner_column: user_a})
    try:
        ctx.push(user_b, {table.collection: {"created": [created], "updated": [], "deleted": []}})
    except RpcError:
        return
    stored = ctx.read_row(table, created[table.id_column])
    if stored is not None and str(stored.get(table.owner_column)) != user_b:
        raise CheckFailure(
            f"sync_push by user B created a row in {table.collection} owned by {stored.get(table.owner_column)},"
            " not by B: the payload's owner column must be replaced by auth.uid()"
        )


@check("isolation.foreign_keys")
def foreign_keys(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """B cannot make a row reference A's row through a foreign key (no existence oracle, no hold on A's deletes).

    Each foreign key of the table to a synced table that does not include the
    owner column is tried with a plain insert as user B pointing at user A's
    parent row (what the Data API allows when the key is not composite)."""
    assert table is not None
    checks = [ctx.contract(synced) for synced in ctx.tables]
    own = TableName(table.schema_name, table.table_name)
    crossing = [foreign_key for foreign_key in cross_owner_foreign_keys(checks) if foreign_key.table == own]
    if not crossing:
        return
    parents = {TableName(synced.schema_name, synced.table_name): synced for synced in ctx.tables}
    user_a, user_b = ctx.new_user("a"), ctx.new_user("b")
    for foreign_key in crossing:
        parent = parents[foreign_key.parent]
        parent_row = ctx.insert_as(user_a, parent.shape, ctx.synthetic.new_row(parent, user_a))
        child = ctx.synthetic.new_row(table, user_b, {foreign_key.column: parent_row[parent.id_column]})
        try:
            ctx.insert_as(user_b, table.shape, child)
        except RpcError:
            continue
        raise CheckFailure(f"user B's row references user A's row: {foreign_key.problem}", fix=foreign_key.fix_sql())


@check("isolation.unique")
def unique_keys(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """B cannot learn through a unique key whether A holds a value (no 23505 oracle, no squatting of values).

    Each unique constraint or index of the table without the owner column (a
    scoped table's scope column) is tried with a sync_push as user B of a new
    row holding user A's values in the columns the key reads. A partial key is
    tried with synthetic rows as they come: one they do not fall under passes."""
    assert table is not None
    keys = cross_owner_unique_keys([ctx.contract(table)])
    if not keys:
        return
    user_a, user_b = ctx.new_user("a"), ctx.new_user("b")
    referencing = {name for foreign_key in table.shape.foreign_keys for name in foreign_key.columns}
    for unique_key in keys:
        copied = [name for name in unique_key.copied_columns if name not in (table.id_column, table.owner_column)]
        held = ctx.synthetic.new_row(table, user_a)
        try:
            # A nullable column the key reads gets a value (nulls never collide); a fresh one, as the table
            # already holds the rows of other checks. Defaults stay (a partial key's predicate often reads one),
            # and so do references (a made-up one has no parent).
            held.update(
                {
                    column.name: value_for(column, uuid.uuid4().int % 1_000_000_000)
                    for name in copied
                    if held.get(name) is None
                    and name not in referencing
                    and (column := table.shape.column(name)) is not None
                    and not column.has_default
                }
            )
        except TableError:
            continue  # a type verify cannot make up a value of: lint SS019 still reports the key
        stored = ctx.insert_as(user_a, table.shape, held)
        row = ctx.synthetic.new_row(table, user_b, {name: stored.get(name) for name in copied})
        try:
            ctx.push(user_b, {table.collection: {"created": [row], "updated": [], "deleted": []}})
        except RpcError as error:
            if error.sqlstate == "23505":
                raise CheckFailure(
                    f"sync_push by user B answered 23505 for a value user A holds: {unique_key.problem}",
                    fix=unique_key.fix_sql(),
                ) from None
