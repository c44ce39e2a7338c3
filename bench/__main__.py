"""``python -m bench``: start a sandbox, run the benchmarks, print a markdown table.

Exit status: 0 when every benchmark ran (targets missed are reported, never
fatal: timings depend on the machine; a ``--quick`` run's small sizes are not
held to the targets at all, and its report says so), 1 when a benchmark failed to run or the
concurrency probe found a missed or stale row (a correctness bug, not a timing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path
from types import ModuleType

import psycopg

from bench import (
    concurrency,
    load,
    pull_incremental,
    pull_initial,
    pull_production,
    push,
    sharing,
    small_calls,
    verify_time,
)
from bench.harness import Bench, Section, Settings, log, render_markdown

BENCHMARKS: dict[str, ModuleType] = {
    "pull_incremental": pull_incremental,
    "pull_initial": pull_initial,
    "pull_production": pull_production,
    "push": push,
    "small_calls": small_calls,
    "sharing": sharing,
    "load": load,
    "verify": verify_time,
    "concurrency": concurrency,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line of ``python -m bench``."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark supabase-sync against hand-written reference queries, "
        "measured in the same run on the same rows as the same user.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, 1-2 repetitions (a smoke run for CI, well under 2 minutes)"
    )
    parser.add_argument(
        "--backend",
        default="auto",
        choices=["auto", "docker", "local", "embedded", "url"],
        help="sandbox backend for the benchmark cluster (default: auto)",
    )
    parser.add_argument("--db-url", default=None, help="superuser URL of an existing server (with --backend url)")
    parser.add_argument("--runs", type=int, default=None, help="repetitions per measurement (default: 5, quick: 2)")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated benchmarks to run (default: all of {','.join(BENCHMARKS)})",
    )
    parser.add_argument(
        "--verify-backends",
        default="local,embedded",
        help="backends `verify --example` is timed on in a full run (default: local,embedded; "
        "--quick times only the benchmark's own backend)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        default=None,
        help="after measuring, run each sync call once more under auto_explain (ANALYZE, BUFFERS, "
        "nested statements) and append the plans to FILE",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only.split(",")) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def machine_line(superuser_dsn: str, backend: str) -> str:
    """Describe where the figures were measured: cores, memory, server, backend, date."""
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        row = conn.execute("show server_version").fetchone()
    server = row[0] if row else "?"
    return (
        f"{os.cpu_count()} cores, {_memory_gib():.0f} GiB RAM, {platform.system()} {platform.machine()}, "
        f"PostgreSQL {server} ({backend} backend), Python {platform.python_version()}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            kib = int(meminfo.readline().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return kib / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks in one sandbox and print the report; return the exit status."""
    args = parse_args(argv)
    quick = bool(args.quick)
    settings = Settings(
        quick=quick,
        runs=args.runs or (2 if quick else 5),
        backend=args.backend,
        db_url=args.db_url,
        verify_backends=tuple(name for name in args.verify_backends.split(",") if name),
        profile_path=Path(args.profile).resolve() if args.profile else None,
    )
    from supabase_sync import sandbox

    started = time.perf_counter()
    sections: list[Section] = []
    with sandbox.start(settings.backend, db_url=settings.db_url) as cluster:
        log(f"sandbox backend: {cluster.backend}")
        bench = Bench(settings, cluster)
        header = machine_line(cluster.superuser_dsn, cluster.backend)
        for name in args.only.split(","):
            module = BENCHMARKS[name]
            section = Section(title=module.TITLE)
            sections.append(section)
            log(f"running {name}")
            try:
                module.run(bench, section)
            except Exception as error:  # noqa: BLE001 - record it, keep the others running
                log(f"{name} failed: {type(error).__name__}: {error}")
                section.failed.append(f"{type(error).__name__}: {error}")
    total = time.perf_counter() - started
    mode = "quick" if quick else "full"
    print(f"supabase-sync benchmarks ({mode} run, {settings.runs} runs per figure, medians): {header}")
    print()
    print(render_markdown(sections, quick=quick))
    print()
    print(f"total time: {total:.1f} s")
    return 1 if any(section.failed for section in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
