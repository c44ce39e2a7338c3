"""``supabase-sync purge``: remove old tombstones, soft-deleted rows, access events and push log entries."""

from __future__ import annotations

import click

from supabase_sync import api
from supabase_sync.cli.app import cli
from supabase_sync.cli.options import db_url_option, echo_json, json_option, status


@cli.command("purge")
@click.option(
    "--older-than",
    required=True,
    metavar="DURATION",
    help="Purge what was deleted longer ago than this, e.g. 30d, 12h, 2w. Keep it longer than "
    "your clients stay offline: their next pull asks for a full resync.",
)
@db_url_option
@click.option("--dry-run", is_flag=True, help="Report what would be purged; change nothing.")
@json_option
def purge_command(older_than: str, db_url: str | None, dry_run: bool, as_json: bool) -> None:
    """Delete tombstones and soft-deleted rows of synced tables, access events
    (grants, revokes and moves of shared rows) and push log entries, older than
    DURATION. Cursors from before the newest purged deletion or access event of
    a table then get PT410 (full resync required) instead of missing it.
    Soft-deleted rows still referenced by a foreign key are kept.
    """
    report = api.purge(older_than=older_than, db_url=db_url, dry_run=dry_run)
    if as_json:
        echo_json(report.to_dict())
        return
    verb = "would purge" if report.dry_run else "purged"
    status(f"purge: {report.db_url}, deleted before {report.cutoff}")
    click.echo(
        f"{verb} {report.tombstones} tombstone(s), {report.access_events} access event(s),"
        f" {report.push_log} push log entr(ies)"
    )
    for table, count in sorted(report.rows.items()):
        click.echo(f"{verb} {count} soft-deleted row(s) of {table}")
    click.echo(f"retention horizon: {report.retention_horizon} (older cursors resync)")
