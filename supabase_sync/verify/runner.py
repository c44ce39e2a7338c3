"""``verify``: a project's migrations in a throwaway Postgres, then every check, as real users.

Sandbox -> new database -> the project's ``supabase/migrations`` in the
Supabase CLI's order -> the sync pack when the migrations did not install it
-> the checks of :mod:`supabase_sync.verify.checks` for every synced table ->
a :class:`~supabase_sync.verify.report.VerifyReport`.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from supabase_sync.dsn import mask_dsn
from supabase_sync.progress import LogFunction, timed
from supabase_sync.project import find_project
from supabase_sync.sandbox.migrated import migrated_database
from supabase_sync.verify.catalog import SyncedTable, load_synced_tables
from supabase_sync.verify.checks import Check, all_checks
from supabase_sync.verify.checks.base import CheckFailure, CheckSkipped
from supabase_sync.verify.context import VerifyContext
from supabase_sync.verify.report import CheckResult, VerifyReport


def verify(
    project_dir: str | Path | None = None,
    *,
    example: bool = False,
    backend: str = "auto",
    sandbox_url: str | None = None,
    keep: bool = False,
    log: LogFunction | None = None,
) -> VerifyReport:
    """Apply a project's migrations in a throwaway database and check every synced table as real users.

    ``backend`` is the sandbox backend ("auto", "local", "embedded", "docker",
    "url" with ``sandbox_url``, the server where the throwaway database is
    created); ``keep`` leaves the sandbox and its database running (the
    report's ``kept_dsn`` says where, password masked); ``log`` receives one
    line per step. Returns the report; it does not raise when checks fail
    (``report.passed`` is False), only when verification could not run.
    """
    started = time.monotonic()
    say = timed(log, started)
    project = find_project(project_dir, example=example)
    with migrated_database(
        project.migrations_dir,
        purpose="verify",
        backend=backend,
        sandbox_url=sandbox_url,
        install_pack=True,
        keep=keep,
        log=say,
    ) as database:
        report = VerifyReport(
            project_dir=str(project.root), backend=database.sandbox.backend, image=database.sandbox.image
        )
        report.pack_installed_by = database.pack_installed_by or "migrations"
        report.setup_seconds = time.monotonic() - started
        try:
            _run_checks(report, database.owner_dsn, database.superuser_dsn, say)
        finally:
            if keep:
                report.kept_dsn = mask_dsn(database.owner_dsn)
                say(f"kept database {database.name}: psql '{report.kept_dsn}'")
    report.total_seconds = time.monotonic() - started
    return report


def _run_checks(report: VerifyReport, owner_dsn: str, superuser_dsn: str, say: LogFunction) -> None:
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
