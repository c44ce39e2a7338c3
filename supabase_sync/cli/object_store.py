"""``supabase-sync object-store``: create and enable the generic object store table."""

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


@cli.command("object-store")
@click.argument("table", required=False, default=api.OBJECT_STORE_TABLE, metavar="[TABLE]")
@owner_column_option
@db_url_option
@dry_run_option
@migrations_dir_option
@json_option
def object_store_command(
    table: str,
    owner_column: str,
    db_url: str | None,
    dry_run: bool,
    migrations_dir: str | None,
    as_json: bool,
) -> None:
    """Create TABLE (default public.sync_object), a synced store for objects of any model, and
    enable it with last-writer-wins: columns id text (the object's uid), the owner column,
    model text, data jsonb (its fields), and enable's sync columns, updated_at being the
    object's modify_at. Destinations as for enable: a Supabase project folder or
    --migrations-dir gets two migrations (the table, then its enable); --db-url executes.
    """
    result = api.object_store(
        table, db_url=db_url, owner_column=owner_column, dry_run=dry_run, migrations_dir=migrations_dir
    )
    if as_json:
        echo_json(result.to_dict())
        return
    report_plan(result.create)
    report_plan(result.enable)
