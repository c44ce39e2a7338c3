"""Runs a plan: executes it in one transaction, prints it, or writes it as a migration.

One code path, three destinations (alembic's offline mode): the text executed
statement by statement against a database is exactly the text ``--dry-run``
prints and the migration file holds.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from supabase_sync.dsn import connection_failed, mask_dsn, resolve_db_url
from supabase_sync.errors import ApplyFailed, ConfigError, first_line
from supabase_sync.migrations import migration_filename, write_migration
from supabase_sync.plan import Plan
from supabase_sync.project import project_at


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
    (each exactly as executed); ``executed`` those run against the database
    (empty for a dry run or a migration file);
    ``migration_path`` the file written (or that would be written);
    ``notes`` and ``warnings`` what the plan's header says (warnings: something
    the user should act on, such as a referenced table that is not synced).
    """

    command: str
    destination: Destination
    dry_run: bool
    sql: str
    changed: bool
    statements: list[str] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)
    migration_path: Path | None = None
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


def execute_plan(
    conn: psycopg.Connection,
    plan: Plan,
    *,
    on_statement: Callable[[str], None] | None = None,
) -> list[str]:
    """Execute ``plan`` in one transaction on ``conn``; return the statements executed.

    The plan's first statement takes the advisory lock, so concurrent plans run
    one after another. Any failure rolls everything back and raises
    :class:`ApplyFailed` naming the statement.
    """
    executed: list[str] = []
    with conn.transaction():
        for statement in plan.statements:
            chunk = statement.chunk()
            try:
                conn.execute(chunk.encode("utf-8"))
            except psycopg.Error as error:
                raise ApplyFailed(
                    f"{plan.command} failed at '{statement.label}': {first_line(error)}",
                    hint="nothing was changed (the transaction was rolled back); "
                    "run with --dry-run to see the SQL",
                ) from error
            executed.append(chunk)
            if on_statement is not None:
                on_statement(chunk)
    return executed


def run_plan(
    plan: Plan,
    target: Target,
    *,
    dry_run: bool,
    migration_name: str,
    conn: psycopg.Connection | None = None,
) -> PlanResult:
    """Send ``plan`` to ``target``: execute it, or write it as a migration; ``dry_run`` only prints.

    ``conn`` is reused when the caller already holds a connection to ``target``.
    """
    script = plan.script()
    result = PlanResult(
        command=plan.command,
        destination=target.destination,
        dry_run=dry_run,
        sql=script,
        changed=plan.changes_something,
        statements=plan.chunks(),
        db_url=target.db_url,
        notes=list(plan.notes),
        warnings=list(plan.warnings),
    )
    if target.destination is Destination.MIGRATION:
        assert target.migrations_dir is not None
        if dry_run:
            result.migration_path = target.migrations_dir / migration_filename(migration_name)
        else:
            result.migration_path = write_migration(target.migrations_dir, migration_name, script)
        return result
    if dry_run or target.destination is Destination.STDOUT:
        return result
    assert target.db_url is not None
    if conn is not None:
        result.executed = execute_plan(conn, plan)
        return result
    with connection(target.db_url) as own:
        result.executed = execute_plan(own, plan)
    return result
