"""``verify``: a project's migrations in a throwaway Postgres, then every check, as real users.

Sandbox -> new database -> the project's ``supabase/migrations`` in the
Supabase CLI's order -> the sync pack when the migrations did not install it
-> the checks of :mod:`supabase_sync.verify.checks` for every synced table ->
a :class:`~supabase_sync.verify.report.VerifyReport`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

from supabase_sync import sandbox
from supabase_sync.dsn import mask_dsn
from supabase_sync.errors import ConfigError
from supabase_sync.verify.catalog import SyncedTable, load_synced_tables
from supabase_sync.verify.checks import Check, all_checks
from supabase_sync.verify.checks.base import CheckFailure, CheckSkipped
from supabase_sync.verify.context import VerifyContext
from supabase_sync.verify.report import CheckResult, VerifyReport

Progress = Callable[[str], None]

#: The bundled example project, relative to the package (wheel) or the repository root.
EXAMPLE = Path("examples") / "todo"


def example_project() -> Path:
    """Return the folder of the bundled example project (``examples/todo``)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / EXAMPLE, package.parent / EXAMPLE):
        if (candidate / "supabase" / "migrations").is_dir():
            return candidate
    raise ConfigError(
        "the bundled example project (examples/todo) is not part of this installation",
        hint="run from a source checkout of supabase-sync, or pass a Supabase project folder",
    )


def resolve_project(project_dir: str | Path | None, *, example: bool = False) -> Path:
    """Return the Supabase project folder to verify (the one holding ``supabase/migrations``).

    ``project_dir`` may also be the ``supabase`` folder itself; None means the
    current directory. Raises :class:`ConfigError` when there are no migrations.
    """
    if example:
        if project_dir is not None:
            raise ConfigError("pass either a project folder or --example, not both")
        return example_project()
    folder = Path(project_dir) if project_dir is not None else Path.cwd()
    if (folder / "supabase" / "migrations").is_dir():
        return folder
    if folder.name == "supabase" and (folder / "migrations").is_dir():
        return folder.parent
    shown = folder if project_dir is not None else f"{folder} (the current folder)"
    raise ConfigError(
        f"no supabase/migrations folder in {shown}",
        hint="pass a Supabase project folder (made by `supabase init`) or --example",
    )


def verify(
    project_dir: str | Path | None = None,
    *,
    example: bool = False,
    backend: str = "auto",
    db_url: str | None = None,
    keep: bool = False,
    progress: Progress | None = None,
) -> VerifyReport:
    """Apply a project's migrations in a throwaway database and check every synced table as real users.

    ``backend`` is the sandbox backend ("auto", "local", "embedded", "docker",
    "url" with ``db_url``); ``keep`` leaves the sandbox and its database running
    (the report's ``kept_dsn`` says where, password masked); ``progress``
    receives one line per step. Returns the report; it does not raise when
    checks fail (``report.ok`` is False), only when verification could not run.
    """
    started = time.monotonic()
    say = _timed(progress, started)
    project = resolve_project(project_dir, example=example)
    migrations_dir = project / "supabase" / "migrations"
    with sandbox.start(backend, keep=keep, db_url=db_url, log=say) as box:
        dbname = f"supabase_sync_verify_{uuid.uuid4().hex[:8]}"
        box.create_database(dbname)
        owner_dsn, superuser_dsn = box.dsn(dbname), box.dsn(dbname, superuser=True)
        report = VerifyReport(project_dir=str(project), backend=box.backend)
        try:
            report.pack_installed_by = _prepare_database(owner_dsn, superuser_dsn, migrations_dir, say)
            report.setup_seconds = time.monotonic() - started
            _run_checks(report, owner_dsn, superuser_dsn, say)
        finally:
            if keep:
                report.kept_dsn = mask_dsn(owner_dsn)
                say(f"kept database {dbname}: psql '{report.kept_dsn}'")
            else:
                box.drop_database(dbname)
    report.total_seconds = time.monotonic() - started
    return report


def _timed(progress: Progress | None, started: float) -> Progress:
    def say(message: str) -> None:
        if progress is not None:
            progress(f"[{time.monotonic() - started:5.1f}s] {message}")

    return say


def _prepare_database(owner_dsn: str, superuser_dsn: str, migrations_dir: Path, say: Progress) -> str:
    """Apply the project's migrations, then the sync pack if they did not install it; say who installed it."""
    from supabase_sync.migrations import apply_migrations

    applied = apply_migrations(owner_dsn, migrations_dir, on_file=lambda path: say(f"applying {path.name}"))
    say(f"applied {len(applied)} migration(s) from {migrations_dir}")
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        installed = conn.execute("select to_regclass('supabase_sync.synced_table') is not null").fetchone()
    if installed and installed[0]:
        return "migrations"
    from supabase_sync.api import install

    say("the migrations do not install supabase-sync; installing the sync pack")
    install(db_url=owner_dsn)
    return "verify"


def _run_checks(report: VerifyReport, owner_dsn: str, superuser_dsn: str, say: Progress) -> None:
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        tables = load_synced_tables(conn)
    report.tables = [table.collection for table in tables]
    say(f"synced tables: {', '.join(report.tables) or 'none'}")
    ctx = VerifyContext(owner_dsn=owner_dsn, superuser_dsn=superuser_dsn, tables=tables)
    try:
        if not tables:
            report.results.append(
                CheckResult(
                    "structure.registry",
                    None,
                    "fail",
                    0.0,
                    "no table is registered in supabase_sync.synced_table: nothing syncs",
                    fix="supabase-sync enable public.<table> --owner-column user_id, then apply the migration",
                )
            )
        for item in all_checks():
            targets: list[SyncedTable | None] = list(tables) if item.scope == "table" else [None]
            for table in targets:
                result = run_check(ctx, item, table)
                report.results.append(result)
                where = f" {result.table}" if result.table else ""
                say(f"{result.outcome:5} {result.check}{where} ({result.seconds * 1000:.0f} ms)")
    finally:
        ctx.close()


def run_check(ctx: VerifyContext, item: Check, table: SyncedTable | None) -> CheckResult:
    """Run one check on one table (or the database) and return its timed result."""
    started = time.monotonic()
    collection = table.collection if table is not None else None
    try:
        item.run(ctx, table)
    except CheckFailure as failure:
        return CheckResult(
            item.name,
            collection,
            "fail",
            time.monotonic() - started,
            failure.message,
            failure.fix,
            requirements=failure.requirements,
        )
    except CheckSkipped as skipped:
        return CheckResult(item.name, collection, "skip", time.monotonic() - started, str(skipped))
    except Exception as error:  # noqa: BLE001 - one broken check must not hide the others' results
        ctx.close()  # a connection may be left in a bad state; the next check reconnects
        message = f"{type(error).__name__}: {str(error).strip()}"
        return CheckResult(item.name, collection, "error", time.monotonic() - started, message)
    return CheckResult(item.name, collection, "pass", time.monotonic() - started, item.summary)
