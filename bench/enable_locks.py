"""``python -m bench.enable_locks``: the locks each step of enable takes, and for how long.

Builds a plain table of ``--rows`` rows (default 1M; uuid key and owner), then
enables it twice on identical copies, while two other sessions read and update a
row by primary key every 20 ms:

- **online** (what ``enable --db-url`` runs): the DDL transaction, then each
  index built concurrently;
- **reference**: the same statements in one transaction with a plain
  ``create index`` (how enable ran before issue 12), measured in the same run.

For each statement it prints the locks the enabling session holds on the table
afterwards (from ``pg_locks``; for a concurrent build, the modes seen while it
runs), how long the statement took, and how long the strongest lock was held
(the transaction's length). Then the worst read and update wait of the other
sessions, and their ratio to the reference. Markdown on stdout, progress on
stderr. No figure is asserted: timings belong to the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from dataclasses import dataclass, field

import psycopg

from supabase_sync import api, sandbox

from supabase_sync.enable import build_enable_plan, judge_tables
from supabase_sync.names import TableName
from supabase_sync.plan import Phase, Timeouts

TABLE = TableName("public", "big")
_LOCKS = """
select string_agg(l.mode, ', ' order by l.mode)
from pg_catalog.pg_locks as l
where l.pid = %s and l.relation = 'public.big'::regclass and l.granted
"""


def say(message: str) -> None:
    print(f"[enable_locks] {message}", file=sys.stderr, flush=True)


def create_table(dsn: str, rows: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table if exists public.big")
        conn.execute("create table public.big (id uuid not null, user_id uuid not null, body text not null)")
        conn.execute(
            "insert into public.big select md5(i::text)::uuid, md5((i %% 1000)::text)::uuid, 'row ' || i"
            " from generate_series(1, %s) as i",
            (rows,),
        )
        conn.execute("alter table public.big add primary key (id)")
        conn.execute("vacuum analyze public.big")


@dataclass
class Traffic:
    """A pk read and a pk update every 20 ms in two sessions; keeps the worst waits."""

    dsn: str
    worst: dict[str, float] = field(default_factory=lambda: {"read": 0.0, "update": 0.0})
    stop: threading.Event = field(default_factory=threading.Event)

    def _run(self, kind: str) -> None:
        statement = (
            "select body from public.big where id = md5('4242')::uuid"
            if kind == "read"
            else "update public.big set body = body where id = md5('4243')::uuid"
        )
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stop.is_set():
                started = time.monotonic()
                conn.execute(statement)
                waited = time.monotonic() - started
                self.worst[kind] = max(self.worst[kind], waited)
                self.stop.wait(max(0.0, 0.02 - waited))

    def __enter__(self) -> Traffic:
        self.threads = [threading.Thread(target=self._run, args=(kind,), daemon=True) for kind in ("read", "update")]
        for thread in self.threads:
            thread.start()
        time.sleep(0.3)
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.2)
        self.stop.set()
        for thread in self.threads:
            thread.join()


@dataclass
class Row:
    step: str
    statement: str
    locks: str
    seconds: float


def _watch_locks(dsn: str, pid: int, seen: set[str], done: threading.Event) -> None:
    with psycopg.connect(dsn, autocommit=True) as watcher:
        while not done.wait(0.02):
            (modes,) = watcher.execute(_LOCKS, (pid,)).fetchone() or (None,)
            seen.update((modes or "").split(", ") if modes else [])


def run_steps(dsn: str, *, online: bool) -> tuple[list[Row], float]:
    """Enable public.big statement by statement, recording locks and times; return rows and the longest lock hold."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        judgement = judge_tables(
            conn, [TABLE], owner_column="user_id", conflict_strategy="reject", add_missing_columns=True, db_url=dsn
        )
        plan = build_enable_plan(judgement.checks, timeouts=Timeouts() if online else None)
        if not online:
            plan.timeouts = None
        pid = conn.info.backend_pid
        rows: list[Row] = []
        longest = 0.0
        for step in plan.steps():
            in_transaction = step.phase is not Phase.CONCURRENT_INDEX
            started = time.monotonic()
            transaction = conn.transaction() if in_transaction else None
            if transaction is not None:
                transaction.__enter__()
            for statement in step.statements:
                began = time.monotonic()
                if in_transaction:
                    conn.execute(statement.chunk().encode())
                    (locks,) = conn.execute(_LOCKS, (pid,)).fetchone() or (None,)
                else:
                    seen: set[str] = set()
                    done = threading.Event()
                    watcher = threading.Thread(target=_watch_locks, args=(dsn, pid, seen, done))
                    watcher.start()
                    conn.execute(statement.chunk().encode())
                    done.set()
                    watcher.join()
                    locks = ", ".join(sorted(seen))
                rows.append(Row(step.phase.value, statement.label, locks or "-", time.monotonic() - began))
            if transaction is not None:
                transaction.__exit__(None, None, None)
                longest = max(longest, time.monotonic() - started)
                rows.append(Row(step.phase.value, "commit (locks released)", "-", 0.0))
        return rows, longest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", default="auto")
    args = parser.parse_args()
    with sandbox.start(args.backend, log=say) as box:
        results: dict[str, tuple[list[Row], float, dict[str, float]]] = {}
        for mode in ("reference", "online"):
            name = f"enable_locks_{mode}"
            box.create_database(name)
            dsn = box.dsn(name)
            api.install(db_url=dsn)
            say(f"{mode}: loading {args.rows:,} rows")
            create_table(dsn, args.rows)
            with psycopg.connect(dsn) as conn:
                version = conn.execute("show server_version").fetchone()[0]
            say(f"{mode}: enabling")
            with Traffic(dsn) as traffic:
                rows, longest = run_steps(dsn, online=mode == "online")
            results[mode] = (rows, longest, dict(traffic.worst))
            box.drop_database(name)
    print(
        f"enable of a {args.rows:,}-row table, PostgreSQL {version} on {platform.machine()}, {_cores()} cores;"
        " two sessions doing a pk read and a pk update every 20 ms\n"
    )
    for mode in ("online", "reference"):
        rows, longest, worst = results[mode]
        print(f"### {mode}\n")
        print("| step | statement | locks held on the table after it (during it, for a concurrent build) | seconds |")
        print("|---|---|---|---|")
        for row in rows:
            print(f"| {row.step} | {row.statement} | {row.locks} | {row.seconds:.3f} |")
        print(
            f"\nlongest transaction (strongest lock held): {longest:.3f} s;"
            f" worst read wait {worst['read'] * 1000:.1f} ms, worst update wait {worst['update'] * 1000:.1f} ms\n"
        )
    online, reference = results["online"][2], results["reference"][2]
    for kind in ("read", "update"):
        ratio = online[kind] / reference[kind] if reference[kind] else float("nan")
        print(
            f"worst {kind} wait: online {online[kind] * 1000:.1f} ms / reference {reference[kind] * 1000:.1f} ms"
            f" = {ratio:.3f}"
        )
    return 0


def _cores() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
