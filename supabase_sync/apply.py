"""Runs a plan: executes it step by step, prints it, or writes it as migrations.

One code path, three destinations (alembic's offline mode): the text executed
statement by statement against a database is exactly the text ``--dry-run``
prints and the migration files hold.

A plain plan runs in one transaction. An online plan (see
:mod:`supabase_sync.plan`) runs its DDL step in one short transaction whose
``set local lock_timeout`` bounds how long other sessions queue behind it; a
lock not granted in time (55P03) rolls the step back and it is tried again
after an exponential back-off. Then each index is built with ``create index
concurrently`` outside any transaction (other sessions keep reading and
writing), its progress read from ``pg_stat_progress_create_index`` on a second
connection and logged, and the result checked valid (``pg_index.indisvalid``).
Every failure names the state the table is left in: unchanged, or
"re-run enable to complete".
"""

from __future__ import annotations

import enum
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import errors as pg_errors

from supabase_sync.dsn import connection_failed, mask_dsn, resolve_db_url
from supabase_sync.errors import ApplyFailed, ConfigError, first_line
from supabase_sync.migrations import migration_filename, write_migration
from supabase_sync.plan import Phase, Plan, Step, Timeouts
from supabase_sync.progress import LogFunction, ignore
from supabase_sync.project import project_at

#: Back-off before the n-th retry of a step whose lock was not granted: 0.5 s, doubling, at most 8 s.
_FIRST_BACKOFF = 0.5
_MAX_BACKOFF = 8.0
#: An index build running longer than this gets progress lines on the log, one per interval.
PROGRESS_INTERVAL = 5.0


class Destination(enum.Enum):
    """Where a plan goes."""

    DATABASE = "database"
    MIGRATION = "migration"
    STDOUT = "stdout"


@dataclass(frozen=True)
class Target:
    """The resolved destination of a command: a database URL or a migrations folder."""

    destination: Destination
    db_url: str | None = None
    migrations_dir: Path | None = None


@dataclass
class PlanResult:
    """What a command did (or, with ``dry_run``, would do).

    ``sql`` is the whole script; ``statements`` the plan's statements in order
    (each exactly as executed); ``planned`` the SQL of the plan's own statements
    (without label, before an online plan adds its timeouts and turns index
    builds concurrent); ``executed`` those run against the database
    (empty for a dry run or a migration file);
    ``migration_path`` the file written (or that would be written), ``migration_paths``
    and ``migration_texts`` every file with its text (an online plan writes two);
    ``notes`` and ``warnings`` what the plan's header says (warnings: something
    the user should act on, such as a referenced table that is not synced).
    """

    command: str
    destination: Destination
    dry_run: bool
    sql: str
    changed: bool
    statements: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)
    migration_path: Path | None = None
    migration_paths: list[Path] = field(default_factory=list)
    migration_texts: list[str] = field(default_factory=list)
    db_url: str | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready summary (the database URL masked)."""
        return {
            "command": self.command,
            "destination": self.destination.value,
            "dry_run": self.dry_run,
            "changed": self.changed,
            "migration_path": str(self.migration_path) if self.migration_path else None,
            "migration_paths": [str(path) for path in self.migration_paths],
            "db_url": mask_dsn(self.db_url) if self.db_url else None,
            "statements": len(self.executed),
            "notes": self.notes,
            "warnings": self.warnings,
            "sql": self.sql,
        }


def resolve_target(
    db_url: str | None,
    *,
    migrations_dir: str | Path | None,
    project_dir: str | Path | None = None,
) -> Target:
    """Decide where a command's plan goes.

    In order: ``migrations_dir`` if given; ``db_url`` if given; the
    ``supabase/migrations`` folder when ``project_dir`` (default: the current
    directory) is a Supabase project; ``SUPABASE_DB_URL`` / ``DATABASE_URL``.
    A project folder wins over the environment so that an app's DATABASE_URL
    never turns ``supabase-sync install`` into a live change by surprise.
    """
    if migrations_dir is not None:
        return Target(Destination.MIGRATION, migrations_dir=Path(migrations_dir))
    if db_url:
        return Target(Destination.DATABASE, db_url=db_url)
    project = project_at(project_dir)
    if project is not None:
        return Target(Destination.MIGRATION, migrations_dir=project.migrations_dir)
    from_environment = resolve_db_url(None, required=False)
    if from_environment:
        return Target(Destination.DATABASE, db_url=from_environment)
    raise ConfigError(
        "no database URL given and no supabase/config.toml in the current folder",
        hint="pass --db-url URL (or set SUPABASE_DB_URL), run inside a Supabase project folder, "
        "or pass --migrations-dir DIR",
    )


def connect(db_url: str) -> psycopg.Connection:
    """Open an autocommit connection to ``db_url``; :class:`ConnectionFailed` names the masked URL."""
    try:
        return psycopg.connect(db_url, autocommit=True)
    except psycopg.Error as error:
        raise connection_failed(db_url, error) from error


@contextmanager
def connection(db_url: str) -> Iterator[psycopg.Connection]:
    """Yield an autocommit connection to ``db_url`` and close it afterwards."""
    conn = connect(db_url)
    try:
        yield conn
    finally:
        conn.close()


def _run_transaction(conn: psycopg.Connection, plan: Plan, step: Step) -> list[str]:
    """Run ``step``'s statements in one transaction; raise :class:`psycopg.Error` tagged with the failing label."""
    executed: list[str] = []
    with conn.transaction():
        for statement in step.statements:
            chunk = statement.chunk()
            try:
                conn.execute(chunk.encode("utf-8"))
            except psycopg.Error as error:
                error.add_note(statement.label)
                raise
            executed.append(chunk)
    return executed


def _failed_label(error: psycopg.Error) -> str:
    return error.__notes__[-1] if getattr(error, "__notes__", None) else "?"


def _backoff(attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` (1, 2...): exponential, capped, with a little jitter."""
    return min(_FIRST_BACKOFF * 2 ** (attempt - 1), _MAX_BACKOFF) * random.uniform(0.8, 1.2)  # noqa: S311


def _run_ddl(conn: psycopg.Connection, plan: Plan, step: Step, timeouts: Timeouts, log: LogFunction) -> list[str]:
    """Run the DDL step in one short transaction, retried with back-off while a lock is not granted."""
    attempts = timeouts.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            return _run_transaction(conn, plan, step)
        except pg_errors.LockNotAvailable as error:
            if attempt == attempts:
                raise ApplyFailed(
                    f"{plan.command} failed: the lock for '{_failed_label(error)}' was not granted within"
                    f" --lock-timeout {Timeouts.setting(timeouts.lock_timeout)} in {attempts} attempts"
                    " (another session holds the table); nothing was changed",
                    hint="run enable again when the table is quieter, or raise --retries or --lock-timeout",
                ) from error
            pause = _backoff(attempt)
            log(
                f"{plan.command}: lock for '{_failed_label(error)}' not granted within"
                f" {Timeouts.setting(timeouts.lock_timeout)} (attempt {attempt}/{attempts}); nothing changed,"
                f" retrying in {pause:.1f}s"
            )
            time.sleep(pause)
        except pg_errors.QueryCanceled as error:
            raise ApplyFailed(
                f"{plan.command} failed at '{_failed_label(error)}': {first_line(error)}"
                f" (--statement-timeout {Timeouts.setting(timeouts.statement_timeout)}); nothing was changed",
                hint="raise --statement-timeout, or run enable when the table is quieter",
            ) from error
        except psycopg.Error as error:
            raise ApplyFailed(
                f"{plan.command} failed at '{_failed_label(error)}': {first_line(error)}; nothing was changed",
                hint="the transaction was rolled back; run with --dry-run to see the SQL",
            ) from error
    raise AssertionError("unreachable")  # pragma: no cover


_PROGRESS = """
select p.phase, p.blocks_done, p.blocks_total, p.tuples_done, p.tuples_total
from pg_catalog.pg_stat_progress_create_index as p
where p.pid = %s
"""


def _describe_progress(row: tuple[object, ...] | None) -> str:
    if row is None:
        return "starting"
    phase, blocks_done, blocks_total, tuples_done, tuples_total = row
    text = str(phase)
    if isinstance(blocks_total, int) and blocks_total > 0 and isinstance(blocks_done, int):
        text += f", blocks {blocks_done}/{blocks_total} ({100 * blocks_done // blocks_total}%)"
    elif isinstance(tuples_total, int) and tuples_total > 0 and isinstance(tuples_done, int):
        text += f", tuples {tuples_done}/{tuples_total} ({100 * tuples_done // tuples_total}%)"
    return text


@contextmanager
def _progress_reporter(
    db_url: str | None, pid: int, index: str, log: LogFunction, interval: float
) -> Iterator[None]:
    """While the block runs, log the build progress of backend ``pid`` every ``interval`` seconds."""
    if db_url is None or interval <= 0:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        started = time.monotonic()
        try:
            with psycopg.connect(db_url, autocommit=True) as watcher:
                while not done.wait(interval):
                    row = watcher.execute(_PROGRESS, (pid,)).fetchone()
                    log(f"building {index}: {_describe_progress(row)} ({time.monotonic() - started:.0f}s)")
        except psycopg.Error as error:  # progress is a courtesy; the build goes on without it
            log(f"building {index}: no progress report ({first_line(error)})")

    thread = threading.Thread(target=watch, name=f"progress of {index}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)


def _index_valid(conn: psycopg.Connection, index: str) -> bool | None:
    """True/False for ``index``'s ``indisvalid``; None when it does not exist."""
    row = conn.execute(
        "select i.indisvalid from pg_catalog.pg_index as i where i.indexrelid = pg_catalog.to_regclass(%s)",
        (index,),
    ).fetchone()
    return None if row is None else bool(row[0])


def _run_index(
    conn: psycopg.Connection,
    plan: Plan,
    step: Step,
    timeouts: Timeouts,
    log: LogFunction,
    *,
    db_url: str | None,
    progress_interval: float,
) -> list[str]:
    """Build one index concurrently (outside any transaction), retried while a lock is not granted; check it valid."""
    assert step.index is not None
    incomplete = (
        "the table is synced but its pulls scan without the index {index}; re-run enable to complete"
        " (it drops an invalid leftover and builds the index again)"
    ).format(index=step.index)
    attempts = timeouts.retries + 1
    for attempt in range(1, attempts + 1):
        executed: list[str] = []
        try:
            for statement in step.statements:
                chunk = statement.chunk()
                try:
                    if statement is step.build:
                        with _progress_reporter(db_url, conn.info.backend_pid, step.index, log, progress_interval):
                            conn.execute(chunk.encode("utf-8"))
                    else:
                        conn.execute(chunk.encode("utf-8"))
                except psycopg.Error as error:
                    error.add_note(statement.label)
                    raise
                executed.append(chunk)
        except pg_errors.LockNotAvailable as error:
            _reset_session(conn)
            if attempt == attempts:
                raise ApplyFailed(
                    f"{plan.command} failed: the lock for '{_failed_label(error)}' was not granted within"
                    f" --lock-timeout {Timeouts.setting(timeouts.lock_timeout)} in {attempts} attempts; {incomplete}",
                    hint="run enable again when no long transaction is open, or raise --retries or --lock-timeout",
                ) from error
            pause = _backoff(attempt)
            log(
                f"{plan.command}: lock for '{_failed_label(error)}' not granted within"
                f" {Timeouts.setting(timeouts.lock_timeout)} (attempt {attempt}/{attempts}); retrying in {pause:.1f}s"
            )
            time.sleep(pause)
            continue
        except psycopg.Error as error:
            _reset_session(conn)
            raise ApplyFailed(
                f"{plan.command} failed at '{_failed_label(error)}': {first_line(error)}; {incomplete}",
                hint="fix the cause (raise --index-timeout if the build timed out) and run enable again",
            ) from error
        if _index_valid(conn, step.index) is not True:
            raise ApplyFailed(
                f"{plan.command} failed: {step.index} is not valid after its concurrent build"
                f" (another build of it may be running); {incomplete}",
                hint="run enable again once no other build of the index runs",
            )
        return executed
    raise AssertionError("unreachable")  # pragma: no cover


def _reset_session(conn: psycopg.Connection) -> None:
    """Give the session its own timeouts back after a failed step outside a transaction."""
    try:
        conn.execute("reset lock_timeout; reset statement_timeout")
    except psycopg.Error:
        pass


def execute_plan(
    conn: psycopg.Connection,
    plan: Plan,
    *,
    db_url: str | None = None,
    log: LogFunction | None = None,
    progress_interval: float | None = None,
) -> list[str]:
    """Execute ``plan`` on the autocommit ``conn``, step by step; return the statements executed.

    A plain plan is one transaction: any failure rolls everything back and
    raises :class:`ApplyFailed` naming the statement. An online plan runs as
    the module's docstring says; ``db_url`` (the database of ``conn``) lets
    progress of index builds be read on a second connection, logged to ``log``
    once a build runs longer than ``progress_interval`` seconds (default :data:`PROGRESS_INTERVAL`). Each step's
    first statement of a plain or DDL step takes the advisory lock, so
    concurrent plans run one after another.
    """
    say = log or ignore
    interval = PROGRESS_INTERVAL if progress_interval is None else progress_interval
    executed: list[str] = []
    for step in plan.steps():
        if step.phase is Phase.PLAIN:
            try:
                executed.extend(_run_transaction(conn, plan, step))
            except psycopg.Error as error:
                raise ApplyFailed(
                    f"{plan.command} failed at '{_failed_label(error)}': {first_line(error)}",
                    hint="nothing was changed (the transaction was rolled back); run with --dry-run to see the SQL",
                ) from error
            continue
        assert plan.timeouts is not None
        if step.phase is Phase.DDL:
            executed.extend(_run_ddl(conn, plan, step, plan.timeouts, say))
        else:
            executed.extend(
                _run_index(conn, plan, step, plan.timeouts, say, db_url=db_url, progress_interval=interval)
            )
    return executed


def run_plan(
    plan: Plan,
    target: Target,
    *,
    dry_run: bool,
    migration_name: str,
    conn: psycopg.Connection | None = None,
    log: LogFunction | None = None,
) -> PlanResult:
    """Send ``plan`` to ``target``: execute it, or write it as migrations; ``dry_run`` only prints.

    ``conn`` is reused when the caller already holds a connection to ``target``;
    ``log`` receives the retries and index build progress of an online plan.
    An online plan's migration is two files: the DDL, then the concurrent index
    builds one second later (see :meth:`Plan.files`).
    """
    script = plan.script()
    result = PlanResult(
        command=plan.command,
        destination=target.destination,
        dry_run=dry_run,
        sql=script,
        changed=plan.changes_something,
        statements=plan.chunks(),
        planned=[statement.sql_text() for statement in plan.statements],
        db_url=target.db_url,
        notes=list(plan.notes),
        warnings=list(plan.warnings),
    )
    if target.destination is Destination.MIGRATION:
        assert target.migrations_dir is not None
        files = plan.files()
        result.sql = "\n".join(text for _suffix, text in files)
        for offset, (suffix, text) in enumerate(files):
            name = migration_name + suffix
            if dry_run:
                moment = datetime.now(UTC) + timedelta(seconds=offset)
                path = target.migrations_dir / migration_filename(name, now=moment)
            else:
                path = write_migration(target.migrations_dir, name, text)
            result.migration_paths.append(path)
            result.migration_texts.append(text)
        result.migration_path = result.migration_paths[0]
        return result
    if dry_run or target.destination is Destination.STDOUT:
        return result
    assert target.db_url is not None
    if conn is not None:
        result.executed = execute_plan(conn, plan, db_url=target.db_url, log=log)
        return result
    with connection(target.db_url) as own:
        result.executed = execute_plan(own, plan, db_url=target.db_url, log=log)
    return result
