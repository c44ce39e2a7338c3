"""Options and output helpers shared by every command (one place, as in sqlite-utils)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from supabase_sync.dsn import DB_URL_ENV_VARS

F = TypeVar("F", bound=Callable[..., Any])


def json_option(func: F) -> F:
    """Add ``--json``: machine-readable output on stdout instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")(func)


def db_url_option(func: F) -> F:
    """Add ``--db-url`` (falls back to SUPABASE_DB_URL, then DATABASE_URL)."""
    return click.option(
        "--db-url",
        metavar="URL",
        default=None,
        help=f"PostgreSQL URL of the target database (default: ${' or $'.join(DB_URL_ENV_VARS)}).",
    )(func)


def _refuse_a_flag_as_column(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # click takes the next word as the value, so `--owner-column --add-missing-columns`
    # would name a column "--add-missing-columns" and swallow the flag.
    if value.startswith("-"):
        raise click.BadParameter(
            f"{value!r} looks like an option, not a column name: "
            "write the column right after it, e.g. --owner-column user_id",
            ctx=ctx,
            param=param,
        )
    return value


def owner_column_option(func: F) -> F:
    """Add ``--owner-column`` (default ``user_id``): the column holding the owning user's id."""
    return click.option(
        "--owner-column",
        default="user_id",
        show_default=True,
        metavar="COLUMN",
        callback=_refuse_a_flag_as_column,
        help="The uuid column holding the owning user's id (auth.uid()).",
    )(func)


def dry_run_option(func: F) -> F:
    """Add ``--dry-run``: print the exact SQL a real run would execute, execute nothing."""
    return click.option(
        "--dry-run", is_flag=True, help="Print the exact SQL a real run would execute; change nothing."
    )(func)


def migrations_dir_option(func: F) -> F:
    """Add ``--migrations-dir``: write a Supabase CLI migration file there instead of executing."""
    return click.option(
        "--migrations-dir",
        type=click.Path(file_okay=False, path_type=str),
        default=None,
        help="Write a migration file into this folder (default: supabase/migrations when run in a "
        "Supabase project folder without --db-url).",
    )(func)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def status(message: str) -> None:
    """Print progress or status on stderr, keeping stdout for data."""
    click.echo(message, err=True)
