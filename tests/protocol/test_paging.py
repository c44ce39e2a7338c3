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


def test_a_bucket_bigger_than_the_page_comes_whole_and_paging_goes_on_after_it(alice: Device, owner) -> None:
    # Three ids of one bucket (hashtextextended(id::text, 0) & 32767) written in
    # one transaction with ten others: with page_size 2 that bucket is the
    # documented bound (a page holds a whole bucket of one version).
    same_bucket = owner.execute(
        "select array_agg(s.id::text) from (select h.id, h.b, count(*) over (partition by h.b) as n"
        " from (select g.id, hashtextextended(g.id::text, 0) & 32767 as b"
        " from (select gen_random_uuid() as id from generate_series(1, 60000)) as g) as h) as s"
        " where s.n >= 3 group by s.b order by s.b limit 1"
    ).fetchone()[0][:3]
    owner.execute(
        "insert into public.project (id, user_id, name)"
        " select i::uuid, %s, 'same bucket' from unnest(%s::text[]) as i"
        " union all select gen_random_uuid(), %s, 'other' from generate_series(1, 10)",
        (alice.user_id, same_bucket, alice.user_id),
    )
    pages = _pages(alice, page_size=2, collections=["public.project"])
    seen = Counter(row_id for page in pages for row_id in _page_ids(page))
    assert len(seen) == 13 and max(seen.values()) == 1
    whole = [page for page in pages if set(same_bucket) & set(_page_ids(page))]
    assert len(whole) == 1 and set(_page_ids(whole[0])) == set(same_bucket)
    assert all(len(_page_ids(page)) <= 2 for page in pages if page is not whole[0])
