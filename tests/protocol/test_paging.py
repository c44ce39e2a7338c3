"""Paging: pages never miss or repeat a row, never split a transaction, never pass the watermark."""

from __future__ import annotations

from collections import Counter

import psycopg
from helpers.protocol import Device, project

from supabase_sync import rpc


def _write_in_transactions(owner: psycopg.Connection, user_id, *, rows: int, per_transaction: int) -> None:
    """Insert rows for user_id as the owner, `per_transaction` per transaction (stamp_row runs as usual)."""
    for start in range(0, rows, per_transaction):
        owner.execute(
            "insert into public.project (user_id, name) select %s, 'p' || n from generate_series(%s::int, %s::int) as n",
            (user_id, start, min(start + per_transaction, rows) - 1),
        )


def _pages(device: Device, **args) -> list[dict]:
    pages = []
    cursor = None
    for _ in range(100):
        page = device.pull(last_pulled_at=cursor, **args)
        pages.append(page)
        assert cursor is None or page["timestamp"] > cursor, "a page with has_more must move the cursor"
        cursor = page["timestamp"]
        if not page["has_more"]:
            return pages
    raise AssertionError("paging did not end")


def _page_ids(page: dict) -> list[str]:
    change = page["changes"]["public.project"]
    return [row["id"] for row in change["created"] + change["updated"]] + list(change["deleted"])


def test_2500_rows_from_many_transactions_page_by_1000_without_missing_or_repeating_a_row(
    alice: Device, owner
) -> None:
    _write_in_transactions(owner, alice.user_id, rows=2500, per_transaction=7)
    pages = _pages(alice, page_size=1000, collections=["public.project"])
    assert len(pages) == 3
    assert all(len(_page_ids(page)) <= 1000 for page in pages)
    seen = Counter(row_id for page in pages for row_id in _page_ids(page))
    assert len(seen) == 2500
    assert max(seen.values()) == 1
    assert [page["has_more"] for page in pages] == [True, True, False]


def test_one_transaction_bigger_than_a_page_splits_across_pages_at_bucket_boundaries(alice: Device, owner) -> None:
    _write_in_transactions(owner, alice.user_id, rows=5, per_transaction=5)
    _write_in_transactions(owner, alice.user_id, rows=40, per_transaction=40)
    _write_in_transactions(owner, alice.user_id, rows=5, per_transaction=5)
    pages = _pages(alice, page_size=10, collections=["public.project"])
    sizes = [len(_page_ids(page)) for page in pages]
    assert max(sizes) <= 10
    assert sum(sizes) == 50 == len({row_id for page in pages for row_id in _page_ids(page)})
    assert [page["has_more"] for page in pages] == [True] * (len(pages) - 1) + [False]


def test_each_id_appears_once_per_response(alice: Device, owner) -> None:
    cursor = alice.pull()["timestamp"]
    row = project()
    alice.push({"public.project": {"created": [row]}})
    with rpc.as_user(alice.conn, user_id=alice.user_id) as cur:
        cur.execute("delete from public.project where id = %s", (row["id"],))
    alice.push({"public.project": {"created": [row], "deleted": [row["id"]]}})
    change = alice.pull(last_pulled_at=cursor)["changes"]["public.project"]
    ids = [r["id"] for r in change["created"] + change["updated"]] + change["deleted"]
    assert ids == [row["id"]]
    assert alice.pull()["changes"]["public.project"]["deleted"] == []  # from null: nothing to delete


def test_default_page_size_comes_from_meta(alice: Device, owner) -> None:
    owner.execute("update supabase_sync.meta set value = '3' where key = 'default_page_size'")
    _write_in_transactions(owner, alice.user_id, rows=9, per_transaction=1)
    first = alice.pull(collections=["public.project"])
    assert first["has_more"] is True
    assert len(_page_ids(first)) == 3


def test_an_open_transaction_pins_the_cursor_so_pulls_repeat_rows_but_always_finish(
    alice: Device, example_db
) -> None:
    blocker = example_db.connect()
    blocker.autocommit = False
    blocker.execute("select pg_current_xact_id()")  # an open write transaction with an xid
    try:
        for _ in range(4):
            alice.push({"public.project": {"created": [project()]}})
        first = alice.pull(page_size=2, collections=["public.project"])
        # Everything written after the blocker began sits above the watermark:
        # the page returns page_size of it, has_more false (no livelock), and
        # the cursor stays until the blocker ends.
        assert first["has_more"] is False
        assert len(_page_ids(first)) == 2
        again = alice.pull(last_pulled_at=first["timestamp"], page_size=2, collections=["public.project"])
        assert sorted(_page_ids(again)) == sorted(_page_ids(first))
    finally:
        blocker.rollback()
    after = alice.pull(last_pulled_at=first["timestamp"], collections=["public.project"])
    final = alice.pull(last_pulled_at=after["timestamp"], collections=["public.project"])
    assert after["timestamp"] > first["timestamp"]
    assert _page_ids(final) == []
