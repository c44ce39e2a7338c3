"""``supabase-sync rls``: print the owner policies of a table."""

from __future__ import annotations

import click

from supabase_sync import api
from supabase_sync.cli.app import cli
from supabase_sync.cli.options import owner_column_option, status


@cli.command("rls")
@click.argument("table", metavar="TABLE")
@owner_column_option
@click.option(
    "--migrations-dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Write the SQL as a migration file into this folder instead of printing it.",
)
def rls_command(table: str, owner_column: str, migrations_dir: str | None) -> None:
    """Print row level security and the four owner policies for TABLE (the very SQL
    `enable` uses), and an index on the owner column: for a table secured by hand, with
    or without the sync columns. Every statement is idempotent.
    """
    result = api.rls(table, owner_column=owner_column, migrations_dir=migrations_dir)
    if result.migration_path is not None:
        click.echo(str(result.migration_path))
        status(f"rls: wrote {result.migration_path}")
        return
    click.echo(result.sql, nl=False)
