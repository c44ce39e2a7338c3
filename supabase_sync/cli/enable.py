"""``supabase-sync enable`` and ``supabase-sync disable``."""

from __future__ import annotations

import click

from supabase_sync import api
from supabase_sync.cli.app import cli
from supabase_sync.cli.options import (
    db_url_option,
    dry_run_option,
    echo_json,
    json_option,
    migrations_dir_option,
    owner_column_option,
)
from supabase_sync.cli.plan_output import report_plan


@cli.command("enable")
@click.argument("tables", nargs=-1, required=True, metavar="TABLE...")
@owner_column_option
@click.option(
    "--add-missing-columns",
    is_flag=True,
    help="Add the sync columns a table lacks (created_at, updated_at, deleted_at, server_*, instance_id).",
)
@click.option(
    "--conflict-strategy",
    type=click.Choice(["reject", "lww"]),
    default="reject",
    show_default=True,
    help="reject: a push conflicting with a newer server change fails (PT409); lww: last writer wins.",
)
@click.option(
    "--realtime",
    type=click.Choice(["postgres_changes", "broadcast", "off"]),
    default="postgres_changes",
    show_default=True,
    help="How clients learn of changes: postgres_changes (the supabase_realtime publication; its DELETE events"
    " reach every subscriber), broadcast (row id to the owner's private topic, nothing leaks), off.",
)
@db_url_option
@dry_run_option
@migrations_dir_option
@json_option
def enable_command(
    tables: tuple[str, ...],
    owner_column: str,
    add_missing_columns: bool,
    conflict_strategy: str,
    realtime: str,
    db_url: str | None,
    dry_run: bool,
    migrations_dir: str | None,
    as_json: bool,
) -> None:
    """Enable sync on TABLE... (schema.table; quote like Postgres: '"My Schema"."My Table"').

    Adds what is missing: sync columns (with --add-missing-columns), the triggers
    supabase_sync_stamp, supabase_sync_tombstone and supabase_sync_truncate, row level
    security with four owner policies, the (owner, server_version) index, membership in
    the supabase_realtime publication and the registry row. Enabling an enabled table
    changes nothing. Destinations as for install: --db-url executes, --dry-run prints,
    a Supabase project folder or --migrations-dir gets
    <UTC timestamp>_supabase_sync_enable_<tables>.sql.
    """
    result = api.enable(
        list(tables),
        db_url=db_url,
        owner_column=owner_column,
        add_missing_columns=add_missing_columns,
        conflict_strategy=conflict_strategy,
        realtime=realtime,
        dry_run=dry_run,
        migrations_dir=migrations_dir,
    )
    if as_json:
        echo_json(result.to_dict())
        return
    report_plan(result)


@cli.command("disable")
@click.argument("tables", nargs=-1, required=True, metavar="TABLE...")
@click.option(
    "--drop-data",
    is_flag=True,
    help="Also delete the tables' tombstones and drop their server-maintained columns.",
)
@db_url_option
@dry_run_option
@migrations_dir_option
@json_option
def disable_command(
    tables: tuple[str, ...],
    drop_data: bool,
    db_url: str | None,
    dry_run: bool,
    migrations_dir: str | None,
    as_json: bool,
) -> None:
    """Stop syncing TABLE...: drop its sync triggers and registry row.

    Rows, columns, row level security, owner policies and the index stay.
    Destinations as for enable.
    """
    result = api.disable(
        list(tables), db_url=db_url, drop_data=drop_data, dry_run=dry_run, migrations_dir=migrations_dir
    )
    if as_json:
        echo_json(result.to_dict())
        return
    report_plan(result)
