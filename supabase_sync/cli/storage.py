"""``supabase-sync storage-policies``: print owner-folder policies for a Storage bucket."""

from __future__ import annotations

import click

from supabase_sync import api
from supabase_sync.cli.app import cli
from supabase_sync.cli.options import status


@cli.command("storage-policies")
@click.argument("bucket", metavar="BUCKET")
@click.option(
    "--no-bucket",
    "no_bucket",
    is_flag=True,
    help="Leave out the statement that creates the (private) bucket.",
)
@click.option(
    "--migrations-dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Write the SQL as a migration file into this folder instead of printing it.",
)
def storage_policies_command(bucket: str, no_bucket: bool, migrations_dir: str | None) -> None:
    """Print the SQL that gives each user a folder of BUCKET (Supabase Storage): the private
    bucket and four policies on storage.objects allowing a signed-in user only the objects whose
    path starts with their user id, (storage.foldername(name))[1] = (select auth.uid())::text.
    Synced rows then hold the object's path; upload the file first, then push the row.
    Every statement is idempotent.
    """
    result = api.storage_policies(bucket, create_bucket=not no_bucket, migrations_dir=migrations_dir)
    if result.migration_path is not None:
        click.echo(str(result.migration_path))
        status(f"storage-policies: wrote {result.migration_path}")
        return
    click.echo(result.sql, nl=False)
