"""The ``supabase-sync`` command group and its error handling.

Commands live one per module in this package; each parses options, calls one
library function and formats the result. Library errors become one line on
stderr and a meaningful exit code: 0 ok, 1 error, 2 checks failed.
"""

from __future__ import annotations

import sys
import traceback

import click

from supabase_sync import __version__
from supabase_sync.errors import SupabaseSyncError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="supabase-sync")
@click.option("--traceback", "show_traceback", is_flag=True, help="Show the full Python traceback on errors.")
@click.pass_context
def cli(ctx: click.Context, show_traceback: bool) -> None:
    """An offline-first sync backend for Supabase: install the sync protocol,
    enable tables, verify them as real users in a throwaway Postgres, lint SQL.

    Database URLs come from --db-url, SUPABASE_DB_URL or DATABASE_URL.
    Exit codes: 0 ok, 1 error, 2 checks failed.
    """
    ctx.ensure_object(dict)
    ctx.obj["traceback"] = show_traceback


def _wants_traceback(argv: list[str]) -> bool:
    return "--traceback" in argv


def _hoist_traceback_flag(argv: list[str]) -> list[str]:
    """Accept ``--traceback`` anywhere on the line (``supabase-sync verify --traceback``)."""
    if "--traceback" not in argv:
        return argv
    return ["--traceback", *(arg for arg in argv if arg != "--traceback")]


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; never lets a traceback through unless ``--traceback`` is given."""
    args = _hoist_traceback_flag(list(sys.argv[1:] if argv is None else argv))
    try:
        # Without standalone mode click returns the code of ctx.exit(code) instead of raising.
        exit_code = cli.main(args=args, prog_name="supabase-sync", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except SupabaseSyncError as error:
        if _wants_traceback(args):
            traceback.print_exc()
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the last line of defence: one line, no traceback
        if _wants_traceback(args):
            traceback.print_exc()
        click.echo(
            f"error: unexpected {type(error).__name__}: {error} (run again with --traceback for details)",
            err=True,
        )
        sys.exit(1)
    sys.exit(exit_code if isinstance(exit_code, int) else 0)
