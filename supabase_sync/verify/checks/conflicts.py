"""Conflicts: two devices edit the same row; the table's strategy decides.

``reject``: the stale push fails with PT409 and changes nothing. ``lww``: the
newer client ``updated_at`` wins and the loser is listed under ``conflicts``.
A push replayed with the same push_id returns its first response and changes
nothing.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from supabase_sync.rpc import RpcError
from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.checks.base import CheckFailure, CheckSkipped, check
from supabase_sync.verify.context import VerifyContext
from supabase_sync.verify.synthetic import client_row, utc_now


def _edit(ctx: VerifyContext, table: SyncedTable, row: dict[str, Any], seconds_later: float) -> dict[str, Any]:
    return ctx.synthetic.changed(table, client_row(row), seconds_later=seconds_later)


def _compared(row: dict[str, Any] | None) -> dict[str, Any]:
    """The client-visible values of a row, for before/after comparisons."""
    column = [name for name in (row or {}) if name not in ("server_updated_at", "server_version", "instance_id")]
    return {name: json.dumps((row or {}).get(name), sort_keys=True, default=str) for name in column}


@check("conflicts.strategy")
def strategy(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """reject: a stale push fails with PT409 and changes nothing; lww: the older updated_at loses (listed under
    conflicts), the newer wins."""
    assert table is not None
    user = ctx.new_user("conflict")
    device_1, device_2 = str(uuid.uuid4()), str(uuid.uuid4())
    row = ctx.synthetic.new_row(table, user)
    row_id = str(row[table.id_column])
    ctx.push(user, {table.collection: {"created": [row], "updated": [], "deleted": []}}, client_id=device_1)
    cursor = ctx.pull(user, client_id=device_2).timestamp
    winner = _edit(ctx, table, row, seconds_later=10)
    ctx.push(user, {table.collection: {"created": [], "updated": [winner], "deleted": []}}, client_id=device_1)
    before = ctx.read_row(table, row_id)
    stale = _edit(ctx, table, row, seconds_later=5)
    stale_push = {table.collection: {"created": [], "updated": [stale], "deleted": []}}
    if table.conflict_strategy == "reject":
        try:
            ctx.push(user, stale_push, client_id=device_2, last_pulled_at=cursor)
        except RpcError as error:
            if error.sqlstate != "PT409":
                raise CheckFailure(f"a stale push failed with {error.sqlstate} ({error.message}), not PT409") from error
        else:
            raise CheckFailure(
                f"a push editing {table.collection} row {row_id}, changed by another device after the pusher's"
                " last pull, was accepted; strategy 'reject' must answer PT409",
                fix="reinstall the sync functions: supabase-sync install",
            )
        if _compared(ctx.read_row(table, row_id)) != _compared(before):
            raise CheckFailure(f"a push rejected with PT409 still changed row {row_id}")
        return
    if table.conflict_strategy != "lww":
        raise CheckSkipped(f"unknown conflict strategy {table.conflict_strategy!r}")
    if table.shape.column("updated_at") is None:
        raise CheckSkipped(f"{table.collection} has no updated_at column to compare")
    response = ctx.push(user, stale_push, client_id=device_2, last_pulled_at=cursor)
    if _compared(ctx.read_row(table, row_id)) != _compared(before):
        raise CheckFailure(f"an older edit (updated_at earlier) overwrote the newer one of row {row_id} under lww")
    if row_id not in json.dumps(response.get("conflicts", [])):
        raise CheckFailure(f"the losing lww edit of row {row_id} is not listed under conflicts: {response}")
    newest = dict(stale, updated_at=utc_now(60))
    ctx.push(
        user,
        {table.collection: {"created": [], "updated": [newest], "deleted": []}},
        client_id=device_2,
        last_pulled_at=cursor,
    )
    stored = ctx.read_row(table, row_id) or {}
    if str(stored.get("instance_id")) != device_2:
        raise CheckFailure(f"a newer lww edit (updated_at later) of row {row_id} did not win")


@check("conflicts.replay")
def replay(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """A push replayed with its push_id returns its first response and changes nothing."""
    assert table is not None
    user = ctx.new_user("replay")
    device = str(uuid.uuid4())
    row = ctx.synthetic.new_row(table, user)
    row_id = str(row[table.id_column])
    push_id = str(uuid.uuid4())
    first_changes = {table.collection: {"created": [row], "updated": [], "deleted": []}}
    first = ctx.push(user, first_changes, client_id=device, push_id=push_id)
    later = _edit(ctx, table, row, seconds_later=5)
    ctx.push(user, {table.collection: {"created": [], "updated": [later], "deleted": []}}, client_id=device)
    before = ctx.read_row(table, row_id)
    again = ctx.push(user, first_changes, client_id=device, push_id=push_id)
    if _compared(ctx.read_row(table, row_id)) != _compared(before):
        raise CheckFailure(
            f"replaying push_id {push_id} wrote row {row_id} of {table.collection} again",
            fix="reinstall the sync functions: supabase-sync install",
        )
    if again != first:
        raise CheckFailure(f"replaying push_id {push_id} answered {again}, not its first response {first}")
