"""Round trip: what one device pushes, the user's other device pulls, exactly once.

Two devices (two client_ids) of one user pull, then device 1 creates, updates
and deletes a row; after each push device 2 pulls from its last cursor and must
see the row under ``created``, ``updated``, then ``deleted``, once, nowhere else.
"""

from __future__ import annotations

import uuid
from typing import Any

from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.checks.base import CheckFailure, check
from supabase_sync.verify.context import Pull, VerifyContext

_KINDS = ("created", "updated", "deleted")


def _expect_once(result: Pull, table: SyncedTable, row_id: str, kind: str, after: str) -> None:
    """Fail unless ``row_id`` is listed exactly once, under ``kind``, in ``result``."""
    placements = {other: result.ids(table.collection, other, table.id_column).count(row_id) for other in _KINDS}
    if placements[kind] == 1 and sum(placements.values()) == 1:
        return
    found = ", ".join(f"{count}x {other}" for other, count in placements.items() if count) or "nowhere"
    raise CheckFailure(
        f"after device 1 {after} row {row_id} of {table.collection}, device 2's pull listed it {found};"
        f" expected exactly once under {kind!r} (on a shared server, a transaction left open elsewhere holds"
        " the cursor back and makes pulls repeat rows: close it and run verify again)",
        fix="check the stamp trigger and the owner policies (supabase-sync enable "
        f"{table.collection}), and that sync_pull is the shipped one (supabase-sync install)",
    )


@check("roundtrip.two_devices")
def two_devices(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """Create, update and delete pushed by device 1 reach device 2's pulls as created, updated, deleted, each
    exactly once."""
    assert table is not None
    user = ctx.new_user("devices")
    device_1, device_2 = str(uuid.uuid4()), str(uuid.uuid4())
    row = ctx.synthetic.new_row(table, user)  # parents exist before the first pull
    row_id = str(row[table.id_column])
    cursor_1 = ctx.pull(user, client_id=device_1).timestamp
    cursor_2 = ctx.pull(user, client_id=device_2).timestamp

    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("created", "created", {"created": [row], "updated": [], "deleted": []}),
        ("updated", "updated", {"created": [], "updated": [ctx.synthetic.changed(table, row)], "deleted": []}),
        ("deleted", "deleted", {"created": [], "updated": [], "deleted": [row_id]}),
    ]
    for kind, verb, changes in steps:
        ctx.push(user, {table.collection: changes}, client_id=device_1, last_pulled_at=cursor_1)
        cursor_1 = ctx.pull(user, client_id=device_1, last_pulled_at=cursor_1).timestamp
        result = ctx.pull(user, client_id=device_2, last_pulled_at=cursor_2)
        _expect_once(result, table, row_id, kind, verb)
        cursor_2 = result.timestamp
