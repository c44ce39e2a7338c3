"""Initial pull of 1k, 10k and 100k rows for one user, every page.

Each of three users owns one of the sizes; their rows are written in ten
interleaved transactions among other users' rows. A run pulls from a null
cursor page by page (the default page size, as clients do) until ``has_more``
is false, checks that no row came twice, and is timed beside
``select jsonb_agg(t) from t where user_id = $1`` as the same user. Bytes are
the compact JSON of every page vs the reference's array. Target: at most 1.5x.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from bench.harness import (
    COLLECTION,
    Bench,
    Result,
    Section,
    analyze,
    json_bytes,
    load_rows,
    log,
    median,
    page_rows,
    pull_all,
    reference,
    sync_pull,
    timed,
    user_id,
    warm_up,
)

TITLE = "initial pull"
FULL_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (200, 2_000)
TRANSACTIONS = 10
#: Other users' rows interleaved with the measured users' (per load transaction).
NEIGHBOUR_USERS = 20
MAX_RATIO = 1.5


def run(bench: Bench, section: Section) -> None:
    """Load the users, then time full pulls vs the reference for each size."""
    sizes = QUICK_SIZES if bench.settings.quick else FULL_SIZES
    owners = {size: user_id(1000 + index) for index, size in enumerate(sizes)}
    neighbours = [user_id(2000 + number) for number in range(NEIGHBOUR_USERS)]
    database = bench.new_database("bench_pull_initial")
    with database.connect() as owner, database.connect() as api:
        seconds = 0.0
        for _ in range(TRANSACTIONS):
            for size, user in owners.items():
                seconds += load_rows(owner, users=[user], rows=size // TRANSACTIONS, transactions=1)
            seconds += load_rows(owner, users=neighbours, rows=sizes[-1] // TRANSACTIONS // 10, transactions=1)
        analyze(owner)
        log(f"loaded initial-pull data in {seconds:.1f} s")
        section.notes.append(f"load of {sum(sizes):,} rows for {len(sizes)} users plus neighbours: {seconds:.1f} s")
        smallest = owners[sizes[0]]
        warm_up(sync_pull, api, smallest, last_pulled_at=None, collections=[COLLECTION])
        warm_up(reference, api, smallest, "reference_initial", {"user_id": smallest}, read_only=True)
        for size, user in owners.items():
            pulls: list[float] = []
            references: list[float] = []
            for attempt in range(bench.runs + 1):  # attempt 0 warms the caches and plans
                pull_seconds, (pages, _) = timed(pull_all, api, user)
                reference_seconds, rows = timed(
                    reference, api, user, "reference_initial", {"user_id": user}, read_only=True
                )
                if attempt:
                    pulls.append(pull_seconds)
                    references.append(reference_seconds)
            bench.profile(
                f"initial pull, first page of {size} rows",
                database,
                _first_page_and_reference,
                user,
            )
            ids = [row["id"] for page in pages for row in page_rows(page)]
            twice = len(ids) - len(set(ids))
            if len(set(ids)) != size or len(rows or []) != size:
                raise AssertionError(
                    f"expected {size} rows, sync_pull gave {len(set(ids))} distinct, the reference {len(rows or [])}"
                )
            byte_ratio = json_bytes(pages) / json_bytes(rows)
            section.results.append(
                Result(
                    benchmark=TITLE,
                    case=f"{size:,} rows",
                    seconds=median(pulls),
                    reference_seconds=median(references),
                    max_ratio=MAX_RATIO,
                    note=f"{len(pages)} pages, {byte_ratio:.2f}x the reference's bytes, "
                    + (f"**{twice} rows sent twice** (target: none)" if twice else "no row sent twice"),
                )
            )


def _first_page_and_reference(conn: psycopg.Connection[Any], user: uuid.UUID) -> None:
    """One profiled round: the first page of an initial pull, then the reference."""
    sync_pull(conn, user, last_pulled_at=None, collections=[COLLECTION])
    reference(conn, user, "reference_initial", {"user_id": user}, read_only=True)
