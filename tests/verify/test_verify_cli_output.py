"""What `supabase-sync verify` prints: each check once in a terminal, a JSON document whatever happens."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from supabase_sync.cli import main
from supabase_sync.sandbox import Sandbox
from helpers.projects import build_project

PROGRESS_MARK = "s] "  # every progress line starts with its elapsed time: "[  1.0s] "


def _run_in_a_terminal(args: list[str]) -> tuple[int, list[str]]:
    """Run ``args`` with stdout and stderr on one pseudo-terminal; return the exit code and the lines left on screen."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "160"}
    process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = process.wait(timeout=600)
    text = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    # What a terminal shows: a carriage return goes back to the line's start, ESC[K erases the rest.
    return code, [line.split("\r")[-1].replace("\x1b[K", "") for line in text.split("\n")]


def test_verify_in_a_terminal_shows_each_check_once(tmp_path: Path, sandbox: Sandbox) -> None:
    project = build_project(tmp_path)
    args = [sys.executable, "-m", "supabase_sync", "verify", str(project), "--backend", "url"]
    code, screen = _run_in_a_terminal([*args, "--db-url", sandbox.superuser_dsn])

    assert code == 0, "\n".join(screen)
    assert screen[0].split() == ["check", "table", "result", "time"]
    select_rows = [line for line in screen if line.startswith("isolation.select ")]
    assert len(select_rows) == 4, "\n".join(screen)  # one per synced table, from the table only
    assert not [line for line in screen if PROGRESS_MARK in line], "\n".join(screen)


def test_verify_outside_a_terminal_logs_every_step_on_stderr(tmp_path: Path, sandbox: Sandbox) -> None:
    project = build_project(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "supabase_sync", "verify", str(project), "--backend", "url"]
        + ["--db-url", sandbox.superuser_dsn],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    logged = [line for line in done.stderr.splitlines() if "isolation.select" in line]
    assert len(logged) == 4 and all(PROGRESS_MARK in line for line in logged)
    assert "\r" not in done.stderr
    assert sum(line.startswith("isolation.select ") for line in done.stdout.splitlines()) == 4


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["{tmp}"], "no supabase/migrations folder in"),
        (
            ["--example", "--backend", "url", "--db-url", "postgresql://postgres@127.0.0.1:9/x?connect_timeout=2"],
            "cannot connect to postgresql://postgres@127.0.0.1:9/x",
        ),
    ],
)
def test_verify_json_that_cannot_run_prints_a_json_error_and_exits_1(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["verify", "--json", *(arg.format(tmp=tmp_path) for arg in args)])
    captured = capsys.readouterr()
    assert exited.value.code == 1
    document = json.loads(captured.out)
    assert document["passed"] is False and expected in document["error"] and document["hint"]
    assert captured.err.startswith("error: ") and len(captured.err.splitlines()) == 1
