"""Concurrency smoke: writers hold transactions open while a device keeps pulling.

A few writers insert rows of one synced table, each in a transaction held open
0-100 ms (so commits land out of order with respect to their versions), while
a puller follows the cursor. Once the writers are done, one last pull; every
written row must have arrived. A pull may repeat a row, never miss one.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from supabase_sync import rpc
from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.checks.base import CheckFailure, CheckSkipped, check
from supabase_sync.verify.context import VerifyContext, insert_statement, json_row
from supabase_sync.verify.synthetic import client_row

WRITERS = 4
ROWS_PER_WRITER = 5
MAX_HOLD_SECONDS = 0.1


def _target(ctx: VerifyContext) -> SyncedTable:
    """The synced table with the fewest dependencies (its rows need the fewest parents)."""
    if not ctx.tables:
        raise CheckSkipped("no synced tables")
    return min(ctx.tables, key=lambda table: (table.dependency_rank, table.collection))


@check("concurrency.no_missed_rows", scope="database")
def no_missed_rows(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """4 writers, each holding its transactions open 0-100 ms, and a device pulling meanwhile: no written row
    is missed."""
    target = _target(ctx)
    user = ctx.new_user("concurrent")
    batches = [[ctx.synthetic.new_row(target, user) for _ in range(ROWS_PER_WRITER)] for _ in range(WRITERS)]
    written = {str(row[target.id_column]) for batch in batches for row in batch}
    errors: list[BaseException] = []
    done = threading.Event()
    seen: set[str] = set()
    pulls = 0

    def write(batch: list[dict[str, Any]], seed: int) -> None:
        chance = random.Random(seed)
        connection = ctx.new_connection()
        try:
            for row in batch:
                with rpc.as_user(connection, user_id=user) as cur:
                    cur.execute(insert_statement(target.shape, client_row(row)), (json_row(client_row(row)),))
                    time.sleep(chance.uniform(0, MAX_HOLD_SECONDS))
        except BaseException as error:  # noqa: BLE001 - reported below, the thread must not die silently
            errors.append(error)
        finally:
            connection.close()

    def follow() -> None:
        nonlocal pulls
        connection = ctx.new_connection()
        cursor: int | None = None
        try:
            while True:
                finished = done.is_set()  # read before pulling: this pull starts after the last commit
                result = ctx.pull(user, last_pulled_at=cursor, collections=[target.collection], conn=connection)
                pulls += 1
                seen.update(result.all_ids(target.collection, target.id_column))
                cursor = result.timestamp
                if finished:
                    return
                time.sleep(0.02)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(batch, index)) for index, batch in enumerate(batches)]
    puller = threading.Thread(target=follow)
    puller.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    puller.join()
    if errors:
        raise CheckFailure(f"a concurrent writer or the puller failed: {errors[0]}")
    missed = sorted(written - seen)
    if missed:
        raise CheckFailure(
            f"{len(missed)} of {len(written)} rows written by {WRITERS} concurrent writers never reached the"
            f" puller ({pulls} pulls), e.g. {missed[0]}: a cursor passed a transaction that was still open",
            fix="sync_pull must use the snapshot's xmin as its cursor (reinstall: supabase-sync install)",
        )
