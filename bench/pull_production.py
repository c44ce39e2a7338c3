"""Pulls on production shapes (issue 10): one huge transaction, fresh deletions, resync after purge.

- **import**: 300k rows (quick: 20k) for one user in one transaction (what a
  bulk import or `enable` on a filled table does); the user pulls from null in
  pages of 1000. Reported: the median and the slowest page beside the
  reference for the same rows (`jsonb_agg` of the page's ids by primary key).
- **deletes**: 1,250 hard deletes in one transaction plus 100 in one each,
  autovacuum off and no ANALYZE since (statistics stale: analyzed before);
  the incremental pull beside the hand-written tombstone query (target: the
  issue's 0.5 s; the ratio is shown, the reference does less).
- **resync after purge**: a user of 20k rows (quick: 2k) from 20 transactions,
  some soft-deleted and purged; a full paged resync (pages of 1000) beside
  the `jsonb_agg` of all the user's rows.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench.harness import (
    COLLECTION,
    Bench,
    Result,
    Section,
    load_rows,
    log,
    median,
    page_rows,
    reference,
    sync_pull,
    timed,
    user_id,
    warm_up,
)
from supabase_sync import rpc

TITLE = "production-shaped pulls"
PAGE_SIZE = 1000


def run(bench: Bench, section: Section) -> None:
    """The three cases, each on its own database."""
    _import(bench, section)
    _deletes(bench, section)
    _resync_after_purge(bench, section)


def _page_ids(page: dict[str, Any]) -> list[str]:
    change = page["changes"].get(COLLECTION, {})
    return [row["id"] for row in page_rows(page)] + list(change.get("deleted", []))


def _import(bench: Bench, section: Section) -> None:
    rows = 20_000 if bench.settings.quick else 300_000
    me = user_id(3000)
    database = bench.new_database("bench_pull_import")
    with database.connect() as owner, database.connect() as api:
        seconds = load_rows(owner, users=[me], rows=rows, transactions=1)
        versions = owner.execute("select count(distinct server_version) from public.bench_task").fetchone()[0]
        log(f"imported {rows} rows in one transaction ({versions} version) in {seconds:.1f} s")
        warm_up(sync_pull, api, me, last_pulled_at=None, collections=[COLLECTION], page_size=PAGE_SIZE)
        cursor = None
        page_seconds: list[float] = []
        reference_seconds: list[float] = []
        seen: set[str] = set()
        largest = 0
        while True:
            took, page = timed(
                sync_pull, api, me, last_pulled_at=cursor, collections=[COLLECTION], page_size=PAGE_SIZE
            )
            ids = _page_ids(page)
            largest = max(largest, len(ids))
            seen.update(ids)
            page_seconds.append(took)
            ref_took, _ = timed(reference, api, me, "reference_page", {"user_id": me, "ids": ids}, read_only=True)
            reference_seconds.append(ref_took)
            cursor = page["timestamp"]
            if not page["has_more"]:
                break
        if len(seen) != rows:
            raise AssertionError(f"the paged pull delivered {len(seen)} of {rows} rows")
        section.results.append(
            Result(
                benchmark=TITLE,
                case=f"{rows:,} rows of one user in one transaction: median page",
                seconds=median(page_seconds),
                reference_seconds=median(reference_seconds),
                max_ratio=3.0,
                note=f"{len(page_seconds)} pages of <= {largest} entries (page_size {PAGE_SIZE})",
            )
        )
        section.results.append(
            Result(
                benchmark=TITLE,
                case=f"{rows:,} rows of one user in one transaction: slowest page",
                seconds=max(page_seconds),
                max_seconds=1.5,
                note=f"total {sum(page_seconds):.1f} s, p90 {statistics.quantiles(page_seconds, n=10)[-1] * 1000:.0f} ms",
            )
        )


def _deletes(bench: Bench, section: Section) -> None:
    me = user_id(3001)
    database = bench.new_database("bench_pull_deletes")
    with database.connect() as owner, database.connect() as api, database.connect(superuser=True) as su:
        for table in ("public.bench_task", "supabase_sync.tombstone"):
            owner.execute(f"alter table {table} set (autovacuum_enabled = off)")
        load_rows(owner, users=[me], rows=20_000, transactions=10)
        su.execute("analyze public.bench_task, supabase_sync.tombstone")
        ids = [row[0] for row in owner.execute("select id::text from public.bench_task order by id limit 1350")]
        cursor = sync_pull(api, me, last_pulled_at=None, collections=[COLLECTION], page_size=100_000)["timestamp"]
        since = owner.execute("select pg_snapshot_xmin(pg_current_snapshot())::text").fetchone()[0]
        with rpc.as_user(api, user_id=str(me)) as cur:
            cur.execute("delete from public.bench_task where id = any(%s::uuid[])", (ids[:1250],))
        for row_id in ids[1250:]:
            with rpc.as_user(api, user_id=str(me)) as cur:
                cur.execute("delete from public.bench_task where id = %s", (row_id,))
        pulls: list[float] = []
        references: list[float] = []
        for _ in range(bench.runs + 1):
            took, page = timed(sync_pull, api, me, last_pulled_at=cursor, collections=[COLLECTION], page_size=2000)
            if sorted(page["changes"][COLLECTION]["deleted"]) != sorted(ids):
                raise AssertionError("the pull did not list every deleted id")
            ref_took, _ = timed(reference, api, me, "reference_deleted", {"user_id": me, "since": since}, read_only=True)
            pulls.append(took)
            references.append(ref_took)
        section.results.append(
            Result(
                benchmark=TITLE,
                case="1,350 fresh hard deletes, statistics stale (no ANALYZE since)",
                seconds=median(pulls[1:]),
                reference_seconds=median(references[1:]),
                max_seconds=0.5,
                note=f"first (cold) pull {pulls[0] * 1000:.1f} ms; the reference lists ids only (no jsonb, no"
                " lives-again check)",
            )
        )


def _resync_after_purge(bench: Bench, section: Section) -> None:
    rows = 2_000 if bench.settings.quick else 20_000
    me = user_id(3002)
    database = bench.new_database("bench_pull_resync")
    with database.connect() as owner, database.connect() as api:
        load_rows(owner, users=[me], rows=rows, transactions=20)
        owner.execute(
            "update public.bench_task set deleted_at = now() where id in"
            " (select id from public.bench_task order by id limit %s)",
            (rows // 10,),
        )
        owner.execute("alter table public.bench_task disable trigger supabase_sync_stamp")
        owner.execute("update public.bench_task set server_updated_at = now() - interval '2 days' where deleted_at is not null")
        owner.execute("alter table public.bench_task enable trigger supabase_sync_stamp")
        owner.execute("select supabase_sync.purge(interval '1 day')")
        live = rows - rows // 10
        pulls: list[float] = []
        references: list[float] = []
        pages = 0
        for _ in range(bench.runs + 1):
            cursor, seen, pages = None, set(), 0
            started_took = 0.0
            while True:
                took, page = timed(
                    sync_pull, api, me, last_pulled_at=cursor, collections=[COLLECTION], page_size=PAGE_SIZE
                )
                started_took += took
                pages += 1
                seen.update(row["id"] for row in page_rows(page))
                cursor = page["timestamp"]
                if not page["has_more"]:
                    break
            if len(seen) != live:
                raise AssertionError(f"the resync delivered {len(seen)} of {live} live rows")
            ref_took, _ = timed(reference, api, me, "reference_initial", {"user_id": me}, read_only=True)
            pulls.append(started_took)
            references.append(ref_took)
        section.results.append(
            Result(
                benchmark=TITLE,
                case=f"paged resync after purge, {live:,} live rows",
                seconds=median(pulls[1:]),
                reference_seconds=median(references[1:]),
                note=f"{pages} pages of {PAGE_SIZE}, no PT410; reference: one jsonb_agg of the same rows",
            )
        )
