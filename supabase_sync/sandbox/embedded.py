"""The ``embedded`` backend: PostgreSQL from the ``pgserver`` wheel, no system install needed.

pgserver initialises its cluster with the superuser ``postgres`` and listens on
a unix socket only, so here the project owner role is ``supabase_owner``
(:attr:`Sandbox.owner_role` says so) and DSNs carry ``?host=<socket dir>``.
As root, pgserver runs the server as its own ``pgserver`` OS user.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from supabase_sync.errors import SandboxError
from supabase_sync.sandbox import shim
from supabase_sync.sandbox.base import LogFunction, Sandbox, ServerAddress

SUPERUSER = "postgres"
#: The OS user pgserver runs the server as when we are root.
PGSERVER_OS_USER = "pgserver"
#: pgserver's superuser is already called "postgres", so the owner needs another name.
OWNER_ROLE = "supabase_owner"

#: Throwaway speed settings that take effect on reload (pgserver starts the server itself).
RELOADABLE_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "jit": "off",
    "timezone": "UTC",
}


def unavailable_reason() -> str | None:
    """Say why this backend cannot run here, or None when it can."""
    if importlib.util.find_spec("pgserver") is None:
        return "the pgserver package is not installed (pip install pgserver)"
    return None


@contextmanager
def run(*, keep: bool = False, log: LogFunction) -> Iterator[Sandbox]:
    """Start a pgserver cluster in a temporary directory and yield it as a :class:`Sandbox`.

    On exit the server is stopped and its directory removed, unless ``keep``.
    """
    reason = unavailable_reason()
    if reason is not None:
        raise SandboxError(f"the embedded sandbox backend is unavailable: {reason}", hint="pip install pgserver")
    workdir = Path(tempfile.mkdtemp(prefix="supabase-sync-embedded-"))
    server: Any = None
    ready = False
    try:
        server = _start_server(workdir / "data")
        info = server.get_postmaster_info()
        socket_dir = str(info.socket_dir)
        address = ServerAddress(host=socket_dir, port=int(info.port or 5432), superuser=SUPERUSER)
        sandbox = Sandbox(
            backend="embedded",
            address=address,
            owner_role=OWNER_ROLE,
            description=f"pgserver PostgreSQL, data in {workdir / 'data'}",
            data_dir=workdir,
        )
        _prepare_cluster(sandbox)
        log(f"sandbox: embedded PostgreSQL (pgserver) on socket {socket_dir} ({workdir})")
        ready = True
        yield sandbox
    finally:
        # keep applies to a sandbox that was handed over; a failed start is always cleaned up.
        if keep and ready:
            # pgserver would otherwise stop and delete it when this process exits.
            server.cleanup_mode = None
            log(f"sandbox: kept running; stop it with: {_stop_command(workdir)}")
        else:
            if server is not None:
                # pgserver only forgets it: its own stop waits for a shutdown
                # checkpoint, and for the exited postmaster to be reaped.
                server.cleanup_mode = None
                server.cleanup()
            # Immediate stop: nothing here is worth a checkpoint. Also covers a
            # server whose start was interrupted before pgserver handed it over.
            _stop_immediately(workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)


def _start_server(datadir: Path) -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
        warnings.simplefilter("ignore")
        import pgserver

        try:
            return pgserver.get_server(datadir, cleanup_mode="delete")
        except Exception as error:  # pgserver raises plain subprocess/assertion errors
            raise SandboxError(
                f"the embedded PostgreSQL (pgserver) did not start: {error}",
                hint=f"see the server log in {datadir / 'log'}, or use --backend local",
            ) from error


def _pg_ctl_stop(datadir: Path) -> list[str]:
    from pgserver._commands import POSTGRES_BIN_PATH

    command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "stop", "--pgdata", str(datadir), "--mode", "immediate"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", PGSERVER_OS_USER, "--", *command]
    return command


def _stop_command(workdir: Path) -> str:
    return f"{shlex.join(_pg_ctl_stop(workdir / 'data'))} && rm -rf {shlex.quote(str(workdir))}"


def _stop_immediately(datadir: Path) -> None:
    """Stop the server of ``datadir`` if it runs, also one whose start was interrupted (Ctrl-C, timeout)."""
    if (datadir / "postmaster.pid").exists():
        subprocess.run(_pg_ctl_stop(datadir), capture_output=True, stdin=subprocess.DEVNULL, timeout=60, check=False)


def _prepare_cluster(sandbox: Sandbox) -> None:
    with psycopg.connect(sandbox.superuser_dsn, autocommit=True) as conn:
        for name, value in RELOADABLE_SETTINGS.items():
            conn.execute(sql.SQL("alter system set {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        conn.execute("select pg_reload_conf()")
    shim.prepare_new_cluster(sandbox.superuser_dsn, owner_role=sandbox.owner_role)
