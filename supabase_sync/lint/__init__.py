"""``supabase-sync lint``: sqlfluff over SQL files, then semantic lints over a schema.

Two passes, one report:

1. **style**: sqlfluff (dialect postgres) over the files, configured by the
   shipped ``sql/.sqlfluff`` layered under the project's own sqlfluff
   configuration; correctness rules everywhere, style rules where a
   configuration of the user's asks for them or with ``style_rules``
   (:mod:`supabase_sync.lint.style`).
2. **semantic**: the schema the files produce (the project's migrations applied
   in a throwaway sandbox) or a live database (``db_url``) is read from the
   catalog and checked for missing row level security, per-row ``auth.uid()``
   calls, open write policies, unindexed owner columns, mutable search paths,
   exposed SECURITY DEFINER functions, half-enabled synced tables and tables
   without a primary key (:mod:`supabase_sync.lint.rules` over :mod:`supabase_sync.lint.catalog`); plpgsql bodies
   go through plpgsql_check when the server has it
   (:mod:`supabase_sync.lint.function_bodies`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import psycopg

from supabase_sync.dsn import connection_failed, mask_dsn
from supabase_sync.errors import ConfigError, MigrationFailed
from supabase_sync.progress import LogFunction, ignore
from supabase_sync.project import Project
from supabase_sync.sync_objects import PACK_SCHEMA
from supabase_sync.lint import function_bodies, style
from supabase_sync.lint.catalog import read_lint_catalog
from supabase_sync.lint.rules import run_rules
from supabase_sync.lint.report import (
    FORMATS,
    LEVELS,
    Finding,
    Level,
    LintReport,
    Problem,
    format_report,
    sort_findings,
)

__all__ = [
    "FORMATS",
    "LEVELS",
    "Finding",
    "Level",
    "LintReport",
    "Problem",
    "default_targets",
    "format_report",
    "lint",
]

#: A folder of plain SQL files linted besides the migrations when present (this repository's own ``sql/``).
SQL_FOLDER = "sql"


def default_targets(project_dir: str | Path = ".") -> list[Path]:
    """The folders ``lint`` reads when given no path: ``supabase/migrations`` and ``sql``, when present."""
    root = Path(project_dir)
    return [folder for folder in (Project(root).migrations_dir, root / SQL_FOLDER) if folder.is_dir()]


def lint(
    paths: Sequence[str | Path] | None = None,
    *,
    db_url: str | None = None,
    migrations_dir: str | Path | None = None,
    project_dir: str | Path = ".",
    processes: int | None = None,
    style_checks: bool = True,
    style_rules: bool = False,
    fix: bool = False,
    semantic_checks: bool = True,
    backend: str = "auto",
    sandbox_url: str | None = None,
    log: LogFunction | None = None,
) -> LintReport:
    """Lint SQL files with sqlfluff, then the schema they produce (or ``db_url``) semantically.

    ``paths`` are files or folders (default: ``supabase/migrations`` and ``sql``
    of ``project_dir``). The semantic lints inspect ``db_url`` when given, else
    ``migrations_dir`` (default: ``supabase/migrations`` of ``project_dir``)
    applied in a ``backend`` sandbox (``sandbox_url``: the server of the ``url``
    backend); with neither they are skipped with a note.
    ``style_checks`` runs sqlfluff at all; a file no sqlfluff configuration of
    the user's covers gets only its correctness rules unless ``style_rules``
    (:mod:`supabase_sync.lint.style`); ``fix`` writes sqlfluff's fixes back
    first (``report.fixed`` lists the files). ``processes`` sqlfluff workers
    (default: one per CPU). Never raises for
    what it finds: unreadable or unparsable files and failing migrations are
    :class:`Problem` entries of the report; raises :class:`ConfigError` when a
    path does not exist or there is nothing to lint, :class:`~supabase_sync.errors.ConnectionFailed`
    when ``db_url`` cannot be reached.
    """
    say = log or ignore
    root = Path(project_dir)
    report = LintReport()
    targets = [Path(path) for path in paths] if paths else default_targets(root)
    if not targets:
        raise ConfigError(
            f"nothing to lint in {root.resolve()}: no supabase/migrations or sql folder",
            hint="run it in a Supabase project folder, or pass .sql files or folders to lint",
        )
    files = style.discover_sql_files(targets)
    report.files = [style.display_path(path, root) for path in files]
    if style_checks:
        _style_pass(report, files, root=root, processes=processes, style_rules=style_rules, fix=fix, say=say)
    if semantic_checks:
        sources = function_bodies.shown_files(files, report.files)
        _semantic_pass(
            report,
            root=root,
            db_url=db_url,
            migrations_dir=migrations_dir,
            backend=backend,
            sandbox_url=sandbox_url,
            say=say,
            sources=sources,
        )
    report.findings = sort_findings(report.findings)
    return report


def _style_pass(
    report: LintReport,
    files: list[Path],
    *,
    root: Path,
    processes: int | None,
    style_rules: bool,
    fix: bool,
    say: LogFunction,
) -> None:
    say(f"sqlfluff{' --fix' if fix else ''}: {len(files)} file{'s' if len(files) != 1 else ''}")
    results = style.lint_files(files, processes=processes, base=root, style_rules=style_rules, fix=fix)
    for result in results:
        report.findings.extend(result.findings)
        report.problems.extend(result.problems)
    report.fixed = [result.path for result in results if result.fixed]
    unstyled = [result.path for result in results if not result.style_rules]
    if unstyled:
        count = len(unstyled)
        report.notes.append(
            f"sqlfluff's style rules (layout, capitalisation...) were not applied to {count} file"
            f"{'s' if count != 1 else ''} no sqlfluff configuration of yours covers, only its correctness rules: "
            "pass --style for supabase-sync's style, or write it as .sqlfluff (supabase-sync lint --write-config)"
        )


def _semantic_pass(
    report: LintReport,
    *,
    root: Path,
    db_url: str | None,
    migrations_dir: str | Path | None,
    backend: str,
    sandbox_url: str | None,
    say: LogFunction,
    sources: list[tuple[str, str]],
) -> None:
    if db_url:
        _lint_live_database(report, db_url, say=say, sources=sources)
        return
    folder = Path(migrations_dir) if migrations_dir is not None else Project(root).migrations_dir
    if migrations_dir is not None and not folder.is_dir():
        raise ConfigError(f"migrations folder {folder} does not exist", hint="pass the folder holding the migrations")
    if not folder.is_dir():
        report.notes.append(
            "semantic lints skipped: no supabase/migrations folder to apply and no --db-url "
            "(pass --migrations-dir DIR or --db-url URL)"
        )
        return
    _lint_migrations_in_sandbox(report, folder, root=root, backend=backend, sandbox_url=sandbox_url, say=say)


def _lint_live_database(report: LintReport, db_url: str, *, say: LogFunction, sources: list[tuple[str, str]]) -> None:
    report.database = mask_dsn(db_url)
    say(f"semantic lints on {report.database}")
    try:
        conn = psycopg.connect(db_url, autocommit=True)
    except psycopg.OperationalError as error:
        raise connection_failed(db_url, error) from error
    with conn:
        if function_bodies.extension_state(conn).installed_schema is None:
            _lint_database(report, conn, sources=None)
            report.notes.append(
                "plpgsql function bodies were not checked: the plpgsql_check extension is not created in this "
                "database (supabase-sync lint never creates extensions in a live database)"
            )
            return
        _lint_database(report, conn, sources=sources)


def _lint_migrations_in_sandbox(
    report: LintReport, folder: Path, *, root: Path, backend: str, sandbox_url: str | None, say: LogFunction
) -> None:
    # The sandbox pulls in its backends: load it only when used.
    from supabase_sync.sandbox.migrated import migrated_database

    report.database = f"the schema of {style.display_path(folder, root)} (migrated in a sandbox)"
    try:
        with migrated_database(folder, purpose="lint", backend=backend, sandbox_url=sandbox_url, log=say) as database:
            has_checker = function_bodies.install_extension(database.superuser_dsn)
            shown = [style.display_path(path, root) for path in database.migrations]
            sources = function_bodies.shown_files(list(database.migrations), shown)
            with psycopg.connect(database.owner_dsn, autocommit=True) as conn:
                _lint_database(report, conn, sources=sources if has_checker else None)
            if not has_checker:
                report.notes.append(function_bodies.SKIPPED_NOTE)
    except MigrationFailed as error:
        report.problems.append(_migration_problem(error, error.path, root))
        report.notes.append("semantic lints skipped: a migration failed to apply")


def _lint_database(report: LintReport, conn: psycopg.Connection, *, sources: list[tuple[str, str]] | None) -> None:
    """The semantic rules, then (with ``sources``: plpgsql_check is there) the function bodies."""
    catalog = read_lint_catalog(conn)
    report.findings.extend(run_rules(catalog))
    if sources is not None:
        report.findings.extend(
            function_bodies.check_function_bodies(conn, schemas=[*catalog.exposed_schemas, PACK_SCHEMA], files=sources)
        )


def _migration_problem(error: Exception, path: Path | None, root: Path) -> Problem:
    """A failed migration as a problem located at the failing statement when PostgreSQL says where."""
    shown = style.display_path(path, root) if path else None
    line = column = None
    cause = error.__cause__
    position = getattr(getattr(cause, "diag", None), "statement_position", None)
    if path is not None and position:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        offset = min(int(position) - 1, len(text))
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    message = str(getattr(error, "message", error))
    return Problem(message, path=shown, line=line, column=column, code="MIGRATION")
