"""``python -m bench.ab_push BEFORE AFTER``: the 10-row push of two source trees, interleaved in one run.

On a machine shared with other jobs, single-call medians of two separate runs
move by more than the change being measured. This puts both packs in one
cluster and alternates them: database ``a`` gets the SQL pack of the source
tree BEFORE (e.g. ``git archive main | tar -x -C /tmp/main``), database ``b``
the pack of AFTER, each with ``public.bench_task`` filled alike; then, call by
call, the push of 10 new rows (cursor, ``push_id``, ``client_id``) and its
bare-insert reference run on a, then on b, as the same user, at the statement
level of :mod:`bench.small_calls`. Each tree's pack is installed by that
tree's own library (a subprocess with ``PYTHONPATH`` set to it). Markdown on
stdout, progress on stderr; no figure is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench.harness import TABLE, WARM_UP_CALLS, analyze, bench_sql, load_rows, log, pull_all, user_id
from bench.push import new_rows, push_changes
from bench.small_calls import PUSH_CALL, ROWS, create_unrelated_tables, statement_seconds
from supabase_sync import sandbox

USERS = 100
_INSTALL = (
    "import sys; from supabase_sync import api; "
    "api.install(sys.argv[1]); api.enable([sys.argv[2]], db_url=sys.argv[1])"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The two trees and the sizes."""
    parser = argparse.ArgumentParser(prog="python -m bench.ab_push", description=__doc__.split("\n\n")[0])
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


def main(argv: list[str] | None = None) -> int:
    """Measure both packs interleaved and print their medians and ratios."""
    args = parse_args(argv)
    me = user_id(5000)
    device = uuid.uuid4()
    trees = {"a": args.before, "b": args.after}
    with sandbox.start("local") as cluster:
        dsns = {name: _prepare(cluster, f"ab_push_{name}", tree, args) for name, tree in trees.items()}
        conns = {name: psycopg.connect(dsn, autocommit=True) for name, dsn in dsns.items()}
        cursors = {name: pull_all(conn, me)[1] for name, conn in conns.items()}
        samples: dict[str, dict[str, list[float]]] = {name: {"push": [], "insert": []} for name in trees}
        for attempt in range(WARM_UP_CALLS + args.calls):
            for name, conn in conns.items():
                push_params = {
                    "changes": Jsonb(push_changes("created", new_rows(me, ROWS, label="ab push"))),
                    "cursor": cursors[name],
                    "push_id": uuid.uuid4(),
                    "client_id": device,
                }
                push_seconds, _ = statement_seconds(conn, me, PUSH_CALL, push_params)
                insert_params = {"rows": Jsonb(new_rows(me, ROWS, label="ab insert"))}
                insert_seconds, _ = statement_seconds(conn, me, bench_sql("reference_insert"), insert_params)
                if attempt >= WARM_UP_CALLS:
                    samples[name]["push"].append(push_seconds)
                    samples[name]["insert"].append(insert_seconds)
        for conn in conns.values():
            conn.close()
    print(f"push of {ROWS} new rows, {args.rows:,} rows, {args.unrelated_tables:,} unrelated tables, "
          f"medians of {args.calls} interleaved calls")
    print()
    print("| pack | tree | push | bare insert | ratio |")
    print("|---|---|---:|---:|---:|")
    for name, tree in trees.items():
        push = statistics.median(samples[name]["push"])
        insert = statistics.median(samples[name]["insert"])
        print(f"| {name} | {tree} | {push * 1000:.2f} ms | {insert * 1000:.2f} ms | {push / insert:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
