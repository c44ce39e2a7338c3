"""The ``local`` backend: a throwaway cluster made with the machine's own initdb/pg_ctl.

The binaries are found on PATH, through ``pg_config --bindir``, or under
``/usr/lib/postgresql/<version>/bin`` (highest version), or in the directory
named by ``SUPABASE_SYNC_PG_BINDIR``. The cluster lives in a temporary
directory, listens on a free port of 127.0.0.1 (and a unix socket in that
directory), trusts every local connection and trades durability for speed.
PostgreSQL refuses to run as root, so as root the temporary directory is
given to the ``postgres`` OS user and the commands run as that user.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from supabase_sync.errors import SandboxError
from supabase_sync.sandbox import shim
from supabase_sync.sandbox.base import THROWAWAY_SETTINGS, LogFunction, Sandbox, ServerAddress, free_tcp_port

#: Environment variable naming a directory that holds initdb, pg_ctl and postgres.
BINDIR_ENV_VAR = "SUPABASE_SYNC_PG_BINDIR"
#: The superuser initdb creates; hosted Supabase's superuser has this name too.
SUPERUSER = "supabase_admin"
#: The non-superuser project owner, named as on hosted Supabase.
OWNER_ROLE = "postgres"
#: OS user the server runs as when we are root.
OS_USER = "postgres"

#: What this backend adds to the shared throwaway settings.
LOCAL_SETTINGS = {
    **THROWAWAY_SETTINGS,
    "listen_addresses": "127.0.0.1",
    "log_min_messages": "warning",
    "logging_collector": "off",
}

_PG_CTL_TIMEOUT_SECONDS = 60


def find_bindir() -> Path | None:
    """Return the directory holding initdb, pg_ctl and postgres, or None."""
    for candidate in _bindir_candidates():
        if candidate is not None and _has_server_binaries(candidate):
            return candidate
    return None


def unavailable_reason() -> str | None:
    """Say why this backend cannot run here, or None when it can."""
    if find_bindir() is None:
        return (
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH, "
            f"via pg_config --bindir, under /usr/lib/postgresql/*/bin or in ${BINDIR_ENV_VAR}"
        )
    if os.geteuid() == 0 and not _os_user_exists(OS_USER):
        return f"running as root and there is no {OS_USER!r} OS user to run the server as"
    return None


@contextmanager
def run(*, keep: bool = False, log: LogFunction) -> Iterator[Sandbox]:
    """Start a throwaway cluster and yield it as a :class:`Sandbox`; stop and remove it after.

    With ``keep`` the server is left running and its directory in place.
    """
    reason = unavailable_reason()
    if reason is not None:
        raise SandboxError(
            f"the local sandbox backend is unavailable: {reason}",
            hint=f"install PostgreSQL (e.g. apt-get install postgresql), set {BINDIR_ENV_VAR}, "
            "or use --backend embedded",
        )
    bindir = find_bindir()
    assert bindir is not None
    workdir = Path(tempfile.mkdtemp(prefix="supabase-sync-sandbox-"))
    cluster = _Cluster(bindir=bindir, workdir=workdir)
    ready = False
    try:
        cluster.prepare()
        cluster.start()
        address = ServerAddress(host="127.0.0.1", port=cluster.port, superuser=SUPERUSER)
        sandbox = Sandbox(
            backend="local",
            address=address,
            owner_role=OWNER_ROLE,
            description=f"PostgreSQL from {bindir}, data in {cluster.datadir}",
            data_dir=workdir,
        )
        shim.prepare_new_cluster(sandbox.superuser_dsn, owner_role=sandbox.owner_role)
        log(f"sandbox: local PostgreSQL {cluster.version} on 127.0.0.1:{cluster.port} ({workdir})")
        ready = True
        yield sandbox
    finally:
        # keep applies to a sandbox that was handed over; a failed start is always cleaned up.
        if keep and ready:
            log(f"sandbox: kept running on 127.0.0.1:{cluster.port}; stop it with: {cluster.stop_command()}")
        else:
            cluster.stop_and_remove()


class _Cluster:
    """One data directory and the commands that create, start and stop it."""

    def __init__(self, *, bindir: Path, workdir: Path) -> None:
        self.bindir = bindir
        self.workdir = workdir
        self.datadir = workdir / "data"
        self.logfile = workdir / "postgres.log"
        self.port = 0
        self.version = "?"
        self.run_as = OS_USER if os.geteuid() == 0 else None

    def prepare(self) -> None:
        if self.run_as is not None:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.workdir, user.pw_uid, user.pw_gid)
        self._run(
            [
                str(self.bindir / "initdb"),
                "--pgdata",
                str(self.datadir),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
                "--no-instructions",
            ],
            what="initdb",
        )
        self.version = (self.datadir / "PG_VERSION").read_text().strip()

    def start(self) -> None:
        # A port found free may be taken before the server binds it; try again then.
        attempts = 3
        for attempt in range(1, attempts + 1):
            self.port = free_tcp_port()
            self._write_settings()
            try:
                self._pg_ctl_start()
                return
            except SandboxError:
                tail = self._log_tail()
                if attempt == attempts or not ("could not bind" in tail or "already in use" in tail):
                    raise

    def _write_settings(self) -> None:
        settings = {**LOCAL_SETTINGS, "port": str(self.port), "unix_socket_directories": str(self.workdir)}
        lines = [f"{name} = {_quote_setting(value)}" for name, value in settings.items()]
        # postgresql.auto.conf is read last and rewritten whole, so each attempt replaces the last.
        settings_file = self.datadir / "postgresql.auto.conf"
        settings_file.write_text(
            "# written by supabase-sync's local sandbox\n" + "\n".join(lines) + "\n", encoding="utf-8"
        )
        if self.run_as is not None:
            user = pwd.getpwnam(self.run_as)
            os.chown(settings_file, user.pw_uid, user.pw_gid)

    def _pg_ctl_start(self) -> None:
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "start",
                "--pgdata",
                str(self.datadir),
                "--log",
                str(self.logfile),
                "--wait",
                "--timeout",
                str(_PG_CTL_TIMEOUT_SECONDS),
                "--silent",
            ],
            what="pg_ctl start",
            # Own session: a Ctrl-C meant for us must not reach the server
            # before we stop it ourselves, in order, in the finally block.
            new_session=True,
        )

    def stop_command(self) -> str:
        prefix = f"runuser -u {self.run_as} -- " if self.run_as else ""
        return f"{prefix}{self.bindir / 'pg_ctl'} stop --pgdata {self.datadir} --mode fast && rm -rf {self.workdir}"

    def stop_and_remove(self) -> None:
        try:
            if (self.datadir / "postmaster.pid").exists():
                self._run(
                    [str(self.bindir / "pg_ctl"), "stop", "--pgdata", str(self.datadir), "--mode", "immediate", "--wait"],
                    what="pg_ctl stop",
                    check=False,
                )
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _log_tail(self) -> str:
        try:
            return self.logfile.read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return ""

    def _run(self, command: Sequence[str], *, what: str, check: bool = True, new_session: bool = False) -> None:
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        completed = subprocess.run(
            command,
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            start_new_session=new_session,
            timeout=_PG_CTL_TIMEOUT_SECONDS + 30,
        )
        if check and completed.returncode != 0:
            output = (completed.stderr or completed.stdout).strip()
            tail = self._log_tail().strip()
            detail = f"{output}\n{tail}" if tail else output
            raise SandboxError(
                f"{what} failed (exit {completed.returncode}) for the local sandbox in {self.workdir}: {detail}",
                hint=f"run it by hand to see why: {' '.join(command)}",
            )


def _bindir_candidates() -> Iterator[Path | None]:
    explicit = os.environ.get(BINDIR_ENV_VAR)
    if explicit:
        yield Path(explicit)
        return
    for name in ("pg_ctl", "initdb"):
        found = shutil.which(name)
        if found:
            # Debian links /usr/bin wrappers and /usr/local/bin symlinks to the real directory.
            yield Path(found).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        yield _pg_config_bindir(pg_config)
    yield from _versioned_bindirs(Path("/usr/lib/postgresql"))


def _pg_config_bindir(pg_config: str) -> Path | None:
    try:
        completed = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    return Path(completed.stdout.strip())


def _versioned_bindirs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    versions = [entry for entry in root.iterdir() if re.fullmatch(r"\d+(\.\d+)?", entry.name)]
    versions.sort(key=lambda entry: tuple(int(part) for part in entry.name.split(".")), reverse=True)
    return [entry / "bin" for entry in versions]


def _has_server_binaries(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres"))


def _os_user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _quote_setting(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
