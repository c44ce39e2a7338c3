"""``supabase-sync status``: what is installed, which tables sync, what is missing."""

from __future__ import annotations

import click

from supabase_sync import api
from supabase_sync.cli.app import cli
from supabase_sync.cli.options import db_url_option, echo_json, json_option, status
from supabase_sync.errors import ChecksFailed


@cli.command("status")
@db_url_option
@json_option
def status_command(db_url: str | None, as_json: bool) -> None:
    """Show the installed SQL pack and each synced table's health: every requirement of
    the per-table contract (sync columns, triggers, RLS, the owner or sharing policies, the
    position index, Realtime, registry row with the realtime and big-numbers choices). Every gap
    is printed with the command that fixes it, aimed at the same database.

    Exit codes: 0 healthy, 2 gaps found, 1 error.
    """
    report = api.status(db_url)
    if as_json:
        echo_json(report.to_dict())
    else:
        _print_report(report)
    for note in report.notes:
        status(f"note: {note}")
    if not report.passed:
        raise ChecksFailed(f"{len(report.gaps)} gap(s) found", hint="run the fix commands listed above")


def _print_report(report: api.StatusReport) -> None:
    if report.installed:
        click.echo(f"supabase-sync SQL pack {report.pack_version} installed in {report.db_url}")
        if report.big_numbers == "string":
            click.echo("int8/numeric go out as JSON strings unless a table chose otherwise (install --big-numbers)")
    else:
        click.echo(f"supabase-sync is not installed in {report.db_url}")
    for gap in report.pack_gaps:
        click.echo(f"  ! {gap.problem}\n    fix: {gap.fix}")
    if report.installed and not report.tables:
        click.echo("no synced tables yet (supabase-sync enable TABLE...)")
    for table in report.tables:
        state = "ok" if table.passed else f"{len(table.gaps)} gap(s)"
        registered = "" if table.registered else ", not registered"
        shared = f", {table.kind} table: {table.shared_with}" if table.shared_with else ""
        realtime = f", realtime {table.realtime}" if table.realtime != "postgres_changes" else ""
        big_numbers = f", big numbers {table.big_numbers}" if table.big_numbers else ""
        click.echo(
            f"{table.table} (owner {table.owner_column}, {table.conflict_strategy}{shared}{realtime}{big_numbers}"
            f"{registered}): {state}"
        )
        for gap in table.gaps:
            click.echo(f"  ! {gap.problem}\n    fix: {gap.fix}")
            if gap.sql and gap.sql not in gap.fix:
                click.echo("    sql: " + gap.sql.replace("\n", "\n         "))
    if report.passed:
        click.echo("healthy")
