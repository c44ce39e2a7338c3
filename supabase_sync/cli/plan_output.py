"""How commands that run a plan report it: SQL on stdout, what happened on stderr."""

from __future__ import annotations

import click

from supabase_sync.apply import Destination, PlanResult
from supabase_sync.cli.options import status
from supabase_sync.dsn import mask_dsn


def report_plan(result: PlanResult) -> None:
    """Print a plan's outcome: the SQL for a dry run, else a one-line summary; warnings on stderr."""
    for warning in result.warnings:
        status(f"warning: {warning}")
    if result.dry_run:
        click.echo(result.sql, nl=False)
        if result.destination is Destination.MIGRATION:
            status(f"dry run: would write {' and '.join(str(path) for path in result.migration_paths or [result.migration_path])}")
        else:
            status(f"dry run: nothing executed on {mask_dsn(result.db_url or '')}")
        return
    if result.destination is Destination.MIGRATION:
        paths = result.migration_paths or [result.migration_path]
        for path in paths:
            click.echo(str(path))
        written = " and ".join(str(path) for path in paths)
        status(f"{result.command}: wrote {written} (apply {'them' if len(paths) > 1 else 'it'} with `supabase db push`)")
        return
    where = mask_dsn(result.db_url or "")
    notes = f" ({'; '.join(result.notes)})" if result.notes else ""
    if result.changed:
        status(f"{result.command}: applied {len(result.executed)} statements to {where}{notes}")
    else:
        status(f"{result.command}: nothing to do, {where} is up to date{notes}")
