"""Pulls on a lagging hot standby: "nothing new yet", never PT410; a foreign cursor on the primary still is.

A real streaming standby (pg_basebackup -R) replays with a delay
(recovery_min_apply_delay) while writers write on the primary; one client
alternates its pulls between the standby and the primary, page by page, as a
load balancer in front of Supabase read replicas would send them.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from helpers.standby import Pair, primary_and_standby, unavailable_reason, wait_for_replay

from supabase_sync import rpc
from supabase_sync.migrations import apply_migrations
from supabase_sync.rpc import RpcError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "todo" / "supabase" / "migrations"

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=f"no standby: {unavailable_reason()}")


@pytest.fixture(scope="module")
def pair() -> Any:
    with primary_and_standby(apply_delay_ms=400, prepare=lambda dsn: apply_migrations(dsn, EXAMPLE)) as made:
        yield made


def _user(pair: Pair) -> uuid.UUID:
    user_id = uuid.uuid4()
    with psycopg.connect(pair.primary.dsn(pair.database, superuser=True), autocommit=True) as conn:
        conn.execute(
            "insert into auth.users (id, aud, role, email) values (%s, 'authenticated', 'authenticated', %s)",
            (user_id, f"{user_id}@example.test"),
        )
    return user_id


def _writer(pair: Pair, user_id: uuid.UUID, seed: int, stop: threading.Event, errors: list[str]) -> None:
    rng = random.Random(seed)
    mine: list[str] = []
    with psycopg.connect(pair.primary.dsn(pair.database), autocommit=True) as conn:
        try:
            while not stop.is_set():
                with rpc.as_user(conn, user_id=user_id) as cur:
                    for _ in range(rng.randint(1, 30)):
                        action = rng.random()
                        if not mine or action < 0.6:
                            row_id = str(uuid.uuid4())
                            cur.execute("insert into public.project (id, user_id, name) values (%s, %s, 'n')", (row_id, user_id))
                            mine.append(row_id)
                        elif action < 0.85:
                            cur.execute("update public.project set name = %s where id = %s", (str(rng.random()), rng.choice(mine)))
                        else:
                            cur.execute("delete from public.project where id = %s", (mine.pop(rng.randrange(len(mine))),))
                time.sleep(rng.uniform(0, 0.05))
        except Exception as error:  # noqa: BLE001 - reported by the test thread
            errors.append(repr(error))


def _apply(replica: dict[str, Any], page: dict[str, Any]) -> None:
    change = page["changes"].get("public.project", {"created": [], "updated": [], "deleted": []})
    for row in change["created"] + change["updated"]:
        replica[row["id"]] = row["server_version"]
    for row_id in change["deleted"]:
        replica[row_id] = None


@pytest.mark.slow
def test_a_client_alternating_standby_and_primary_never_resyncs_and_misses_nothing(pair: Pair) -> None:
    user_id = _user(pair)
    wait_for_replay(pair)
    stop, errors = threading.Event(), []
    writers = [threading.Thread(target=_writer, args=(pair, user_id, seed, stop, errors)) for seed in range(2)]
    for thread in writers:
        thread.start()
    connections = [
        psycopg.connect(pair.standby.dsn(pair.database), autocommit=True),
        psycopg.connect(pair.primary.dsn(pair.database), autocommit=True),
    ]
    replica: dict[str, Any] = {}
    cursor = None
    resyncs = nothing_new = pulls = 0
    deadline = time.monotonic() + 6.0
    try:
        while time.monotonic() < deadline:
            conn = connections[pulls % 2]
            pulls += 1
            try:
                page = rpc.call(
                    conn, "sync_pull", {"last_pulled_at": cursor, "page_size": 50, "collections": ["public.project"]},
                    user_id=user_id,
                )
            except RpcError as error:
                if error.sqlstate == "PT410":
                    resyncs += 1
                    continue
                raise
            if page["changes"] == {} and page["timestamp"] == cursor:
                nothing_new += 1
            _apply(replica, page)
            assert cursor is None or page["timestamp"] >= cursor
            cursor = page["timestamp"]
            time.sleep(0.02)
        stop.set()
        for thread in writers:
            thread.join(timeout=30)
        assert not errors, errors
        wait_for_replay(pair)
        for conn in connections:  # the standby, caught up, then the primary: both finish the same way
            for _ in range(1000):
                page = rpc.call(
                    conn, "sync_pull", {"last_pulled_at": cursor, "page_size": 50, "collections": ["public.project"]},
                    user_id=user_id,
                )
                _apply(replica, page)
                cursor = page["timestamp"]
                if not page["has_more"]:
                    break
        with psycopg.connect(pair.primary.dsn(pair.database), autocommit=True) as owner:
            server = {
                row_id: (None if deleted else version)
                for row_id, version, deleted in owner.execute(
                    "select id::text, server_version::text, deleted_at is not null from public.project where user_id = %s",
                    (user_id,),
                ).fetchall()
            }
    finally:
        stop.set()
        for conn in connections:
            conn.close()
    missed = [row_id for row_id in server if row_id not in replica]
    stale = [row_id for row_id, version in server.items() if replica.get(row_id, version) != version]
    kept_deleted = [row_id for row_id, version in replica.items() if version is not None and row_id not in server]
    print(f"pulls={pulls} nothing_new={nothing_new} rows={len(server)} resyncs={resyncs} missed={len(missed)} stale={len(stale)}")
    assert nothing_new > 0, "replay never lagged behind a cursor: the test proved nothing"
    assert (resyncs, missed, stale, kept_deleted) == (0, [], [], [])


def test_a_cursor_ahead_of_replay_answers_nothing_new_yet_on_the_standby(pair: Pair) -> None:
    user_id = _user(pair)
    wait_for_replay(pair)
    # Replay paused while the primary writes and pulls: the standby is behind that cursor however long
    # the primary's calls take (the 400 ms apply delay alone would make this depend on their speed).
    with psycopg.connect(pair.standby.dsn(pair.database, superuser=True), autocommit=True) as replay:
        replay.execute("select pg_catalog.pg_wal_replay_pause()")
        try:
            with psycopg.connect(pair.primary.dsn(pair.database), autocommit=True) as primary:
                with rpc.as_user(primary, user_id=user_id) as cur:
                    cur.execute("insert into public.project (user_id, name) values (%s, 'x')", (user_id,))
                ahead = rpc.call(primary, "sync_pull", {"collections": ["public.project"]}, user_id=user_id)["timestamp"]
            with psycopg.connect(pair.standby.dsn(pair.database), autocommit=True) as standby:
                page = rpc.call(standby, "sync_pull", {"last_pulled_at": ahead}, user_id=user_id)
        finally:
            replay.execute("select pg_catalog.pg_wal_replay_resume()")
    assert page == {"changes": {}, "timestamp": ahead, "has_more": False}
    with psycopg.connect(pair.standby.dsn(pair.database), autocommit=True) as standby:
        # A cursor of another database (far ahead) on the standby: still no PT410 there; the primary answers it.
        foreign = 2**52
        assert rpc.call(standby, "sync_pull", {"last_pulled_at": foreign}, user_id=user_id)["timestamp"] == foreign
    with psycopg.connect(pair.primary.dsn(pair.database), autocommit=True) as primary:
        with pytest.raises(RpcError) as caught:
            rpc.call(primary, "sync_pull", {"last_pulled_at": foreign}, user_id=user_id)
        assert caught.value.sqlstate == "PT410"
