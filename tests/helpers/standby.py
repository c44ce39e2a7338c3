"""A primary and a streaming hot standby of it, both local clusters (the standby tests).

The session sandbox runs with wal_level minimal; streaming replication needs a
cluster of its own: initdb with wal_level replica, the Supabase shim, then
`pg_basebackup -R` for the standby, started with `recovery_min_apply_delay` so
that replay visibly lags. Both run as the `postgres` OS user when we are root,
like the local sandbox backend.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from supabase_sync.sandbox import shim
from supabase_sync.sandbox.base import Sandbox, ServerAddress, free_tcp_port
from supabase_sync.sandbox.local import OS_USER, OWNER_ROLE, SUPERUSER, find_bindir


@dataclass
class Pair:
    """The primary and the standby, each as a Sandbox; `database` exists on both."""

    primary: Sandbox
    standby: Sandbox
    database: str


def unavailable_reason() -> str | None:
    """Why no standby can be made here (no server binaries, or root without a postgres user), else None."""
    bindir = find_bindir()
    if bindir is None or not (bindir / "pg_basebackup").exists():
        return "no PostgreSQL server binaries with pg_basebackup"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            return f"running as root without a {OS_USER!r} OS user"
    return None


def _run(command: list[str], *, cwd: Path) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", OS_USER, "--", *command]
    completed = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
        env={**os.environ, "LC_ALL": "C", "LANG": "C"}, start_new_session=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {completed.stderr or completed.stdout}")


def _append_settings(datadir: Path, settings: dict[str, str]) -> None:
    with (datadir / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
        for name, value in settings.items():
            conf.write(f"{name} = '{value}'\n")


def _sandbox(port: int, workdir: Path) -> Sandbox:
    return Sandbox(
        backend="local",
        address=ServerAddress(host="127.0.0.1", port=port, superuser=SUPERUSER),
        owner_role=OWNER_ROLE,
        description=f"replication test cluster in {workdir}",
        data_dir=workdir,
    )


@contextmanager
def primary_and_standby(*, apply_delay_ms: int, prepare: callable) -> Iterator[Pair]:  # type: ignore[valid-type]
    """Start a primary, run `prepare(owner_dsn)` on a new database there, then a standby of it; stop both after."""
    bindir = find_bindir()
    assert bindir is not None
    workdir = Path(tempfile.mkdtemp(prefix="supabase-sync-standby-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam(OS_USER)
        os.chown(workdir, user.pw_uid, user.pw_gid)
    primary_dir, standby_dir = workdir / "primary", workdir / "standby"
    started: list[Path] = []
    try:
        _run([str(bindir / "initdb"), "-D", str(primary_dir), "-U", SUPERUSER, "--auth", "trust", "--no-sync",
              "--no-instructions", "--locale", "C", "--encoding", "UTF8"], cwd=workdir)
        primary_port = free_tcp_port()
        _append_settings(primary_dir, {
            "port": str(primary_port), "listen_addresses": "127.0.0.1", "unix_socket_directories": str(workdir),
            "wal_level": "replica", "max_wal_senders": "4", "fsync": "off", "synchronous_commit": "off",
            "timezone": "UTC", "max_connections": "100",
        })
        with (primary_dir / "pg_hba.conf").open("a", encoding="utf-8") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        _run([str(bindir / "pg_ctl"), "start", "-D", str(primary_dir), "-l", str(workdir / "primary.log"), "-w"],
             cwd=workdir)
        started.append(primary_dir)
        primary = _sandbox(primary_port, workdir)
        shim.prepare_new_cluster(primary.superuser_dsn, owner_role=primary.owner_role)
        database = "standby_test"
        prepare(primary.create_database(database))
        _run([str(bindir / "pg_basebackup"), "-D", str(standby_dir), "-h", "127.0.0.1", "-p", str(primary_port),
              "-U", SUPERUSER, "-R", "-X", "stream", "--no-sync", "--checkpoint", "fast"], cwd=workdir)
        standby_port = free_tcp_port()
        _append_settings(standby_dir, {
            "port": str(standby_port), "hot_standby": "on", "recovery_min_apply_delay": f"{apply_delay_ms}ms",
        })
        _run([str(bindir / "pg_ctl"), "start", "-D", str(standby_dir), "-l", str(workdir / "standby.log"), "-w"],
             cwd=workdir)
        started.append(standby_dir)
        standby = _sandbox(standby_port, workdir)
        with psycopg.connect(standby.dsn(database, superuser=True), autocommit=True) as conn:
            assert conn.execute("select pg_is_in_recovery()").fetchone()[0]
        yield Pair(primary, standby, database)
    finally:
        for datadir in reversed(started):
            _run([str(bindir / "pg_ctl"), "stop", "-D", str(datadir), "-m", "immediate", "-w"], cwd=workdir)
        shutil.rmtree(workdir, ignore_errors=True)


def wait_for_replay(pair: Pair, *, timeout: float = 30.0) -> None:
    """Block until the standby has replayed everything the primary wrote so far."""
    with psycopg.connect(pair.primary.dsn(pair.database, superuser=True), autocommit=True) as primary:
        target = primary.execute("select pg_current_wal_lsn()").fetchone()[0]
    with psycopg.connect(pair.standby.dsn(pair.database, superuser=True), autocommit=True) as standby:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = standby.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]
            if done:
                return
            time.sleep(0.05)
    raise AssertionError("the standby did not catch up")
