"""The benchmark suite cannot rot: ``python -m bench --quick`` runs every benchmark.

No timing is asserted (the figures depend on the machine); what must hold is
that every benchmark runs to the end against the real sync functions, the
concurrency probe finds no missed or stale row (exit status 1 otherwise), and
the markdown table comes out, saying that quick sizes are not held to the targets.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from supabase_sync import sandbox

REPO = Path(__file__).resolve().parents[1]
BACKEND = os.environ.get("SUPABASE_SYNC_TEST_BACKEND", "auto")


def test_quick_benchmark_run_completes_and_prints_the_table() -> None:
    if BACKEND == "auto" and not sandbox.available_backends():
        pytest.skip("no sandbox backend can start PostgreSQL here (no Docker, no PostgreSQL binaries, no pgserver)")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--backend", BACKEND],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"python -m bench --quick exited {done.returncode}:\n{done.stdout}\n{done.stderr[-4000:]}"
    table = done.stdout
    assert "| benchmark | case | sync (median) | reference (median) | ratio | target | met | notes |" in table
    for line_start in (
        "| incremental pull | 10 changed of ",
        "| incremental pull growth |",
        "| initial pull | 2,000 rows |",
        "| push | 1,000 created rows |",
        "| push | 100 updated rows, conflict checks |",
        "| verify --example |",
        "| small calls | push of 10 new rows, 20,000-row table |",
        "| small calls | pull of 10 changed rows, 300 unrelated tables |",
        "| small calls catalog growth | push, 300 unrelated tables vs none |",
        "| sharing | scoped vs owner table, 10 changed of ",
        "| sharing | scoped table vs reference, 10 changed of ",
        "| load (pgbench) | 16 pushers (10 new rows) |",
        "| load (pgbench) | 32 pullers (10 changed rows) |",
    ):
        assert line_start in table, f"missing {line_start!r} in:\n{table}"
    assert "| runs | seconds each | deadlocks | failed transactions | target | met |" in table
    assert "| writers | seconds | pulls | rows written | delivered | missed | stale | duplicated |" in table
    assert "FAILED" not in table
    # Quick sizes are a smoke test: no verdict may read like a missed target of a full run.
    assert "**NO**" not in table
    assert "its figures are not held to the targets" in table
    verdicts = [row.split("|")[7].strip() for row in table.splitlines() if row.startswith("| ") and "<" in row]
    assert verdicts and all(verdict in ("yes (quick)", "no (quick)") for verdict in verdicts), verdicts
