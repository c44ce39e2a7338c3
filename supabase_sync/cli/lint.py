"""``supabase-sync lint``: sqlfluff and semantic lints over a project's SQL."""

from __future__ import annotations

from pathlib import Path

import click

from supabase_sync import api
from supabase_sync.cli.app import cli
from supabase_sync.cli.options import json_option, status
from supabase_sync.errors import ChecksFailed, SupabaseSyncError
from supabase_sync.lint.report import EXIT_FINDINGS, EXIT_PROBLEM, FORMATS, LEVELS, format_report
from supabase_sync.lint.style import write_config as write_sqlfluff_config


@cli.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: file:line:col CODE message; json: one document; github: Actions annotations.",
)
@json_option
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="sqlfluff worker processes (default: one per CPU).",
)
@click.option(
    "--db-url",
    metavar="URL",
    default=None,
    help="Run the semantic lints on this live database instead of a sandbox migrated with the "
    "project's migrations (environment variables are not read: lint's target is the files).",
)
@click.option(
    "--migrations-dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Migrations to apply in a sandbox for the semantic lints (default: supabase/migrations).",
)
@click.option(
    "--fail-on",
    type=click.Choice(LEVELS),
    default="error",
    show_default=True,
    help="Exit 2 when a finding of this level or a more severe one is found.",
)
@click.option("--no-semantic", is_flag=True, help="Only run sqlfluff; skip the schema lints.")
@click.option(
    "--style",
    "style_rules",
    is_flag=True,
    help="Apply sqlfluff's style rules (supabase-sync's style) to files no sqlfluff configuration of yours "
    "covers too; without it they get only the correctness rules.",
)
@click.option("--fix", is_flag=True, help="Write sqlfluff's fixes back to the files first, then report what is left.")
@click.option(
    "--write-config",
    is_flag=True,
    help="Write supabase-sync's sqlfluff configuration as ./.sqlfluff (plain sqlfluff then finds it too) and exit.",
)
@click.option(
    "--backend",
    type=click.Choice(["auto", "docker", "local", "embedded"]),
    default="auto",
    show_default=True,
    help="Sandbox backend that applies the migrations for the semantic lints.",
)
def lint_command(
    paths: tuple[str, ...],
    output_format: str,
    as_json: bool,
    processes: int | None,
    db_url: str | None,
    migrations_dir: str | None,
    fail_on: str,
    no_semantic: bool,
    style_rules: bool,
    fix: bool,
    write_config: bool,
    backend: str,
) -> None:
    """Lint SQL: sqlfluff (dialect postgres) over PATHS (default: supabase/migrations and sql/),
    then semantic lints (RLS, policies, indexes, functions, synced tables) over the schema the
    migrations produce in a throwaway sandbox, or over --db-url.

    sqlfluff uses supabase-sync's configuration under the project's own .sqlfluff: files a
    sqlfluff configuration of yours covers get the rules it asks for, the others only the
    correctness rules (style rules with --style). Exit codes: 0 clean, 2 findings at or above
    --fail-on, 1 a file or migration could not be linted (unreadable, unparsable, failing).
    """
    if write_config:
        written = write_sqlfluff_config(Path.cwd())
        click.echo(str(written))
        status(f"lint: wrote {written} (plain sqlfluff and supabase-sync lint now apply it, style rules included)")
        return
    report = api.lint(
        list(paths) or None,
        db_url=db_url,
        migrations_dir=migrations_dir,
        processes=processes,
        style_rules=style_rules,
        fix=fix,
        semantic_checks=not no_semantic,
        backend=backend,
        log=status,
    )
    for path in report.fixed:
        status(f"fixed {path}")
    chosen = "json" if as_json else output_format
    output = format_report(report, chosen, fail_on=fail_on)  # type: ignore[arg-type]
    if output:
        click.echo(output)
    for note in report.notes:
        status(f"note: {note}")
    status(f"lint: {report.summary()}")
    code = report.exit_code(fail_on)  # type: ignore[arg-type]
    if code == EXIT_PROBLEM:
        raise SupabaseSyncError(
            f"{len(report.problems)} file(s) or migration(s) could not be linted",
            hint="fix the unreadable, unparsable or failing SQL listed above",
        )
    if code == EXIT_FINDINGS:
        failing = report.failing(fail_on)  # type: ignore[arg-type]
        hints = []
        if any(finding.source == "sqlfluff" for finding in failing):
            hints.append("`supabase-sync lint --fix` applies sqlfluff's fixes")
        if any(finding.source == "semantic" for finding in failing):
            hints.append("each schema finding shows the SQL that fixes it")
        hints.append("--fail-on changes the bar")
        raise ChecksFailed(f"lint found {len(failing)} finding(s) at level {fail_on} or above", hint="; ".join(hints))
