"""No change is ever missed, whatever the transaction timing; a killed push applies nothing."""

from __future__ import annotations

import random
import threading
import time
import uuid
from typing import Any

import pytest
from helpers.protocol import Device, new_id, project, task

from supabase_sync import rpc
from supabase_sync.rpc import RpcError

WRITERS = 3
WRITE_SECONDS = 6.0


def _writer(example_db: Any, user_id: uuid.UUID, seed: int, stop: threading.Event, errors: list[str], counts: list[int]) -> None:
    """Transactions of 1-4 writes (insert/update/soft delete/hard delete) kept open 0-200 ms before commit."""
    rng = random.Random(seed)
    conn = example_db.connect()
    mine: list[str] = []
    try:
        for _ in range(10_000):
            if stop.is_set():
                return
            with rpc.as_user(conn, user_id=user_id) as cur:
                for _ in range(rng.randint(1, 4)):
                    action = rng.random()
                    if not mine or action < 0.5:
                        row_id = new_id()
                        cur.execute("insert into public.project (id, user_id, name) values (%s, %s, 'new')", (row_id, user_id))
                        mine.append(row_id)
                    elif action < 0.8:
                        cur.execute("update public.project set name = %s where id = %s", (f"v{rng.random()}", rng.choice(mine)))
                    elif action < 0.92:
                        cur.execute("update public.project set deleted_at = now() where id = %s", (rng.choice(mine),))
                    else:
                        cur.execute("delete from public.project where id = %s", (mine.pop(rng.randrange(len(mine))),))
                    counts[0] += 1
                time.sleep(rng.uniform(0, 0.2))
    except Exception as error:  # noqa: BLE001 - reported by the test thread
        errors.append(repr(error))


def _apply(replica: dict[str, Any], page: dict[str, Any]) -> int:
    change = page["changes"]["public.project"]
    for row in change["created"] + change["updated"]:
        replica[row["id"]] = row["server_version"]
    for row_id in change["deleted"]:
        replica[row_id] = None
    return len(change["created"]) + len(change["updated"]) + len(change["deleted"])


def _bulk_writer(
    example_db: Any, user_id: uuid.UUID, seed: int, stop: threading.Event, errors: list[str], counts: list[int]
) -> None:
    """Transactions of 5,000 rows for one user (inserts, or updates of 5,000 existing rows), open 0-200 ms."""
    rng = random.Random(seed)
    conn = example_db.connect()
    try:
        for _ in range(10_000):
            if stop.is_set():
                return
            with rpc.as_user(conn, user_id=user_id) as cur:
                if rng.random() < 0.6:
                    cur.execute(
                        "insert into public.project (user_id, name) select %s, 'bulk' from generate_series(1, 5000)",
                        (user_id,),
                    )
                else:
                    # Rows locked in id order first: two writers updating overlapping random sets in
                    # scan order would deadlock on each other (the workload's own deadlock, not the sync's).
                    cur.execute(
                        "with picked as (select id from public.project where user_id = %s order by random() limit 5000),"
                        " locked as (select p.id from public.project as p inner join picked using (id)"
                        " order by p.id for update of p)"
                        " update public.project set name = %s where id in (select id from locked)",
                        (user_id, f"b{rng.random()}"),
                    )
                counts[0] += 5000
                time.sleep(rng.uniform(0, 0.2))
    except Exception as error:  # noqa: BLE001 - reported by the test thread
        errors.append(repr(error))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("writer", "writer_count", "page_size"),
    [(_writer, WRITERS, 25), (_bulk_writer, 2, 100)],
    ids=["small transactions, pages of 25", "5,000-row transactions, pages of 100"],
)
def test_concurrent_writers_and_a_paging_puller_end_with_an_exact_replica(
    example_db: Any, alice: Device, owner, writer: Any, writer_count: int, page_size: int
) -> None:
    stop = threading.Event()
    errors: list[str] = []
    counts = [0]
    writers = [
        threading.Thread(target=writer, args=(example_db, alice.user_id, seed, stop, errors, counts))
        for seed in range(writer_count)
    ]
    for thread in writers:
        thread.start()
    replica: dict[str, Any] = {}
    cursor = None
    delivered = 0
    deadline = time.monotonic() + WRITE_SECONDS
    for _ in range(10_000):
        if time.monotonic() > deadline:
            break
        page = alice.pull(last_pulled_at=cursor, page_size=page_size, collections=["public.project"])
        applied = _apply(replica, page)
        assert applied <= page_size
        delivered += applied
        cursor = page["timestamp"]
        if not page["has_more"]:
            time.sleep(0.05)
    stop.set()
    for thread in writers:
        thread.join(timeout=30)
    assert not errors, errors
    for _ in range(10_000):
        page = alice.pull(last_pulled_at=cursor, page_size=page_size, collections=["public.project"])
        delivered += _apply(replica, page)
        cursor = page["timestamp"]
        if not page["has_more"]:
            break
    server = {
        row_id: (None if deleted else version)
        for row_id, version, deleted in owner.execute(
            "select id::text, server_version::text, deleted_at is not null from public.project where user_id = %s",
            (alice.user_id,),
        ).fetchall()
    }
    hard_deleted = {row_id for row_id, version in replica.items() if version is None and row_id not in server}
    missed = [row_id for row_id in server if row_id not in replica]
    stale = [row_id for row_id, version in server.items() if row_id in replica and replica[row_id] != version]
    print(f"writes={counts[0]} rows={len(server)} hard_deleted={len(hard_deleted)} delivered={delivered} missed={len(missed)} stale={len(stale)}")
    assert counts[0] > 50
    assert missed == []
    assert stale == []
    assert {row_id for row_id, version in replica.items() if version is not None} == {
        row_id for row_id, version in server.items() if version is not None
    }


def test_while_an_older_write_transaction_is_open_a_pulled_row_can_conflict_until_it_ends(
    example_db: Any, alice: Device, owner
) -> None:
    phone, laptop = alice, Device(example_db.connect(), alice.user_id)
    row = project()
    phone.push({"public.project": {"created": [row]}}, client_id=str(phone.client_id))
    laptop.pull_all()
    blocker = example_db.connect()
    blocker.autocommit = False
    blocker.execute("select pg_current_xact_id()")  # began before the change below
    try:
        phone.push({"public.project": {"updated": [{"id": row["id"], "name": "phone"}]}}, client_id=str(phone.client_id))
        pulled = laptop.pull_all()
        assert pulled["public.project"][row["id"]]["name"] == "phone"  # the laptop has the change...
        error = laptop.push_error(
            {"public.project": {"updated": [{"id": row["id"], "name": "laptop"}]}},
            last_pulled_at=laptop.cursor,
            client_id=str(laptop.client_id),
        )
        assert error.sqlstate == "PT409"  # ...but the watermark cannot pass the open transaction yet
    finally:
        blocker.commit()
    laptop.pull_all()
    laptop.push(
        {"public.project": {"updated": [{"id": row["id"], "name": "laptop"}]}},
        last_pulled_at=laptop.cursor,
        client_id=str(laptop.client_id),
    )
    assert owner.execute("select name from public.project where id = %s", (row["id"],)).fetchone()[0] == "laptop"


def test_a_push_killed_while_waiting_on_a_lock_applies_nothing_and_its_retry_applies_once(
    example_db: Any, alice: Device, owner
) -> None:
    parent = project()
    held = task(parent["id"])
    alice.push({"public.project": {"created": [parent]}, "public.task": {"created": [held]}})
    fresh_project, fresh_task = project(), task(parent["id"])
    changes = {
        "public.project": {"created": [fresh_project]},
        "public.task": {"created": [fresh_task], "updated": [{"id": held["id"], "title": "edited"}]},
    }
    push_id = str(uuid.uuid4())
    locker = example_db.connect(superuser=True)
    locker.autocommit = False
    locker.execute("select 1 from public.task where id = %s for update", (held["id"],))
    pusher = Device(example_db.connect(), alice.user_id)
    pid = pusher.conn.info.backend_pid
    outcome: list[BaseException] = []

    def push() -> None:
        try:
            pusher.push(changes, push_id=push_id)
        except BaseException as error:  # noqa: BLE001 - inspected below
            outcome.append(error)

    thread = threading.Thread(target=push)
    thread.start()
    killer = example_db.connect(superuser=True)
    for _ in range(200):
        waiting = killer.execute(
            "select wait_event_type from pg_stat_activity where pid = %s", (pid,)
        ).fetchone()
        if waiting and waiting[0] == "Lock":
            break
        time.sleep(0.05)
    else:
        pytest.fail("the push never waited on the row lock")
    # The push already inserted its project row when it blocked on the task row.
    assert killer.execute("select pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    thread.join(timeout=30)
    locker.rollback()
    assert outcome and not isinstance(outcome[0], AssertionError)
    count = "select count(*) from public.{} where id = %s"
    assert owner.execute(count.format("project"), (fresh_project["id"],)).fetchone()[0] == 0
    assert owner.execute(count.format("task"), (fresh_task["id"],)).fetchone()[0] == 0
    assert owner.execute("select count(*) from supabase_sync.push_log").fetchone()[0] == 0
    retried = alice.push(changes, push_id=push_id)
    assert retried["applied"] == {
        "public.project": {"created": 1, "updated": 0, "deleted": 0},
        "public.task": {"created": 1, "updated": 1, "deleted": 0},
    }
    version = owner.execute("select server_version::text from public.task where id = %s", (held["id"],)).fetchone()[0]
    assert alice.push(changes, push_id=push_id) == retried
    assert owner.execute("select server_version::text from public.task where id = %s", (held["id"],)).fetchone()[0] == version
    assert owner.execute(count.format("project"), (fresh_project["id"],)).fetchone()[0] == 1


def test_a_retry_racing_the_first_attempt_of_a_push_applies_once(example_db: Any, alice: Device, owner) -> None:
    push_id = str(uuid.uuid4())
    row = project()
    results: list[Any] = []

    def push() -> None:
        device = Device(example_db.connect(), alice.user_id)
        try:
            results.append(device.push({"public.project": {"created": [row]}}, push_id=push_id))
        except RpcError as error:
            results.append(error)

    threads = [threading.Thread(target=push) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 3 and all(result == results[0] for result in results)
    assert owner.execute("select count(*) from supabase_sync.push_log").fetchone()[0] == 1
