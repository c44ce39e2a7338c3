"""``python -m bench.ab BEFORE AFTER``: the small calls of two source trees, interleaved in one run.

On a machine shared with other jobs, single-call medians of two separate runs
move by more than the change being measured. This puts both packs in one
cluster and alternates them: database ``a`` gets the SQL pack of the source
tree BEFORE (e.g. ``git archive main | tar -x -C /tmp/main``), database ``b``
the pack of AFTER, each with ``public.bench_task`` filled alike; then, round
by round, on a and then on b, as the same user, at the statement level of
:mod:`bench.small_calls`, each call beside its reference:

- push: ``sync_push`` of 10 new rows (cursor, ``push_id``, ``client_id``),
  beside the bare insert of 10 other rows;
- pull: ``sync_pull`` of the 10 rows the user changed since its cursor, beside
  ``jsonb_agg`` of those rows by user and ids;
- first page: the first page of a pull from null (the default page size),
  beside ``jsonb_agg`` of every row of the user (a large pull must not get
  worse).

Each tree's pack is installed by that tree's own library (a subprocess with
``PYTHONPATH`` set to it). Markdown on stdout, progress on stderr; no figure
is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench.harness import COLLECTION, TABLE, WARM_UP_CALLS, analyze, bench_sql, load_rows, log, pull_all, user_id
from bench.push import new_rows, push_changes
from bench.small_calls import _CHANGE_ROWS, _PULL, PUSH_CALL, ROWS, create_unrelated_tables, statement_seconds
from supabase_sync import rpc
from supabase_sync import sandbox

USERS = 100
_INSTALL = (
    "import sys; from supabase_sync import api; "
    "api.install(sys.argv[1]); api.enable([sys.argv[2]], db_url=sys.argv[1])"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The two trees and the sizes."""
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="source tree of pack a (a checkout or an exported commit)")
    parser.add_argument("after", type=Path, help="source tree of pack b")
    parser.add_argument("--rows", type=int, default=200_000, help="rows of public.bench_task (default 200k)")
    parser.add_argument("--unrelated-tables", type=int, default=0, help="ordinary tables added to each database")
    parser.add_argument("--calls", type=int, default=30, help="measured calls per side (default 30)")
    return parser.parse_args(argv)


def _prepare(cluster: Any, name: str, tree: Path, args: argparse.Namespace) -> str:
    """Database ``name`` with the pack of ``tree``, the bench table enabled and filled."""
    cluster.create_database(name)
    dsn = cluster.dsn(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(bench_sql("table"))
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    subprocess.run([sys.executable, "-c", _INSTALL, dsn, TABLE], env=env, cwd=tree, check=True, capture_output=True)
    users = [user_id(5000 + number) for number in range(USERS)]
    with psycopg.connect(dsn, autocommit=True) as conn:
        load_rows(conn, users=users, rows=args.rows, transactions=max(4, args.rows // 50_000))
        if args.unrelated_tables:
            create_unrelated_tables(conn, args.unrelated_tables)
        analyze(conn)
    log(f"{name}: pack of {tree}, {args.rows} rows, {args.unrelated_tables} unrelated tables")
    return dsn


#: The measured calls, each with its reference: (case, call, reference, what the reference is).
CASES = (
    ("push", "push of 10 new rows", "bare insert"),
    ("pull", "pull of 10 changed rows", "jsonb_agg by ids"),
    ("first_page", "first page of a pull from null", "jsonb_agg of the user's rows"),
)


def _round(conn: psycopg.Connection[Any], me: uuid.UUID, cursor: int, mine: list[Any], rng: random.Random) -> tuple[dict[str, tuple[float, float]], int]:
    """One round of every case on one database: {case: (call seconds, reference seconds)} and the next cursor."""
    device = uuid.uuid4()
    found: dict[str, tuple[float, float]] = {}
    push_params = {
        "changes": Jsonb(push_changes("created", new_rows(me, ROWS, label="ab push"))),
        "cursor": cursor,
        "push_id": uuid.uuid4(),
        "client_id": device,
    }
    push_seconds, _ = statement_seconds(conn, me, PUSH_CALL, push_params)
    insert_params = {"rows": Jsonb(new_rows(me, ROWS, label="ab insert"))}
    insert_seconds, _ = statement_seconds(conn, me, bench_sql("reference_insert"), insert_params)
    found["push"] = (push_seconds, insert_seconds)
    # The user's edit of 10 rows, then the pull of exactly those (from a cursor taken before).
    _, cursor = pull_all(conn, me, cursor)
    changed = rng.sample(mine, ROWS)
    with rpc.as_user(conn, user_id=str(me)) as cur:
        cur.execute(_CHANGE_ROWS, [changed])
    pull_seconds, _ = statement_seconds(conn, me, _PULL, {"cursor": cursor, "collections": [COLLECTION], "client_id": device})
    agg_seconds, _ = statement_seconds(conn, me, bench_sql("reference_incremental"), {"user_id": me, "ids": changed})
    found["pull"] = (pull_seconds, agg_seconds)
    first_seconds, _ = statement_seconds(conn, me, _PULL, {"cursor": None, "collections": [COLLECTION], "client_id": device})
    all_seconds, _ = statement_seconds(conn, me, bench_sql("reference_initial"), {"user_id": me})
    found["first_page"] = (first_seconds, all_seconds)
    return found, cursor


def main(argv: list[str] | None = None) -> int:
    """Measure both packs interleaved and print their medians and ratios."""
    args = parse_args(argv)
    me = user_id(5000)
    trees = {"a": args.before, "b": args.after}
    rng = random.Random(13)
    with sandbox.start("local") as cluster:
        dsns = {name: _prepare(cluster, f"ab_{name}", tree, args) for name, tree in trees.items()}
        conns = {name: psycopg.connect(dsn, autocommit=True) for name, dsn in dsns.items()}
        cursors = {name: pull_all(conn, me)[1] for name, conn in conns.items()}
        mine = {
            name: [row[0] for row in conn.execute("select id from public.bench_task where user_id = %s", [me])]
            for name, conn in conns.items()
        }
        samples: dict[str, dict[str, list[tuple[float, float]]]] = {name: {} for name in trees}
        for attempt in range(WARM_UP_CALLS + args.calls):
            for name, conn in conns.items():
                found, cursors[name] = _round(conn, me, cursors[name], mine[name], rng)
                if attempt >= WARM_UP_CALLS:
                    for case, pair in found.items():
                        samples[name].setdefault(case, []).append(pair)
        for conn in conns.values():
            conn.close()
    print(f"{args.rows:,} rows over {USERS} users, {args.unrelated_tables:,} unrelated tables, "
          f"medians of {args.calls} interleaved rounds (executor time)")
    print()
    print("| case | pack | tree | call | reference | ratio |")
    print("|---|---|---|---:|---:|---:|")
    for case, label, reference in CASES:
        for name, tree in trees.items():
            call = statistics.median(pair[0] for pair in samples[name][case])
            base = statistics.median(pair[1] for pair in samples[name][case])
            print(f"| {label} (reference: {reference}) | {name} | {tree} | {call * 1000:.2f} ms | {base * 1000:.2f} ms "
                  f"| {call / base:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
