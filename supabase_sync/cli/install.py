"""``supabase-sync install`` and ``supabase-sync uninstall``."""

from __future__ import annotations

import click

from supabase_sync import api
from supabase_sync.cli.app import cli
from supabase_sync.cli.options import db_url_option, dry_run_option, echo_json, json_option, migrations_dir_option
from supabase_sync.cli.plan_output import report_plan
from supabase_sync.contract import BIG_NUMBERS


@cli.command("install")
@click.option(
    "--big-numbers",
    type=click.Choice(BIG_NUMBERS),
    default=None,
    help="Set the pack-wide default of how pulls send int8 and numeric columns: number (exact JSON numbers,"
    " the default) or string (JSON strings, for JavaScript clients); tables enabled with --big-numbers keep"
    " their own. Left out: unchanged.",
)
@db_url_option
@dry_run_option
@migrations_dir_option
@json_option
def install_command(
    big_numbers: str | None, db_url: str | None, dry_run: bool, migrations_dir: str | None, as_json: bool
) -> None:
    """Install or upgrade the sync SQL pack (schema supabase_sync and its functions).

    With --db-url (or $SUPABASE_DB_URL / $DATABASE_URL outside a project folder)
    the pack is applied in one transaction; re-running changes nothing. Inside a
    Supabase project folder (supabase/config.toml) without --db-url, or with
    --migrations-dir, it writes supabase/migrations/<UTC timestamp>_supabase_sync_install.sql
    for `supabase db push`. --dry-run prints the exact SQL instead.
    """
    result = api.install(db_url, big_numbers=big_numbers, dry_run=dry_run, migrations_dir=migrations_dir)
    if as_json:
        echo_json(result.to_dict())
        return
    report_plan(result)


@cli.command("uninstall")
@db_url_option
@click.option(
    "--drop-data",
    is_flag=True,
    help="Also drop data: the registry, tombstones, push log and the server-maintained columns.",
)
@dry_run_option
@migrations_dir_option
@json_option
def uninstall_command(
    db_url: str | None, drop_data: bool, dry_run: bool, migrations_dir: str | None, as_json: bool
) -> None:
    """Remove the sync pack: triggers, functions and the supabase_sync schema.

    Owner policies, RLS, indexes and Realtime membership stay on your tables.
    Refuses to drop data (registered tables, tombstones, push log, server-maintained
    columns) unless --drop-data is given. The non-destructive way: `supabase-sync
    disable TABLE...` first (keeps every row and column), then --drop-data drops
    only the pack's own tombstones and push log. Needs a database URL to read what
    is installed.
    """
    result = api.uninstall(db_url, drop_data=drop_data, dry_run=dry_run, migrations_dir=migrations_dir)
    if as_json:
        echo_json(result.to_dict())
        return
    report_plan(result)
