"""Wall time of ``supabase-sync verify --example``, cluster start included.

Runs the real command in a subprocess, as a user would, once per backend
(local, embedded in a full run; ``--quick`` times only the benchmark's own
backend, once). Target: under 15 s.
"""

from __future__ import annotations

import subprocess
import sys

from bench.harness import Bench, Result, Section, log, median, timed

TITLE = "verify --example"
MAX_SECONDS = 15.0
FULL_RUNS = 3
#: Generous: a hung verify must not hang the benchmark.
TIMEOUT_SECONDS = 300


def backends_to_time(bench: Bench) -> list[str]:
    """The full run times every requested backend; quick times the one already proven to work."""
    if not bench.settings.quick:
        return list(bench.settings.verify_backends)
    own = getattr(bench.sandbox, "backend", "auto")
    return [own if own in ("docker", "local", "embedded") else "auto"]


def verify_once(backend: str) -> subprocess.CompletedProcess[str]:
    """Run ``supabase-sync verify --example --backend <backend>`` and wait for it."""
    return subprocess.run(
        [sys.executable, "-m", "supabase_sync", "verify", "--example", "--backend", backend],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def run(bench: Bench, section: Section) -> None:
    """Time verify per backend; a backend that is unavailable or fails is reported, not timed."""
    runs = 1 if bench.settings.quick else min(bench.runs, FULL_RUNS)
    for backend in backends_to_time(bench):
        times: list[float] = []
        for _ in range(runs):
            seconds, done = timed(verify_once, backend)
            if done.returncode != 0:
                tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                section.failed.append(f"verify --example --backend {backend} exited {done.returncode}: {tail}")
                break
            log(f"verify --example on {backend}: {seconds:.1f} s")
            times.append(seconds)
        if times:
            section.results.append(
                Result(
                    benchmark=TITLE,
                    case=f"{backend} backend",
                    seconds=median(times),
                    max_seconds=MAX_SECONDS,
                    note=f"subprocess, cluster start included, {len(times)} runs",
                )
            )
