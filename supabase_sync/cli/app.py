"""The ``supabase-sync`` command group and its error handling.

Commands live one per module in this package; each parses options, calls one
library function and formats the result. Library errors become one line on
stderr and a meaningful exit code: 0 ok, 1 error, 2 checks failed, 64 usage
error (an unknown command or option, a bad option value: sysexits' EX_USAGE, so a
typo on the command line never reads as "checks failed").
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from supabase_sync import __version__
from supabase_sync.errors import SupabaseSyncError

#: Exit code of a command line click cannot parse (sysexits.h EX_USAGE); 2 means "checks failed".
USAGE_EXIT_CODE = 64


@contextmanager
def _usage_exit_code() -> Iterator[None]:
    """Re-raise a usage error with :data:`USAGE_EXIT_CODE` instead of click's 2."""
    try:
        yield
    except click.UsageError as error:
        error.exit_code = USAGE_EXIT_CODE
        raise


class _Group(click.Group):
    """The command group; a usage error, at any level, exits with :data:`USAGE_EXIT_CODE`.

    Click gives usage errors exit code 2, which here means "checks failed". The
    group's context is made in ``make_context`` and each subcommand's in
    ``invoke``, so these two cover every parse error, under ``main`` and under
    click's own standalone mode (``CliRunner``) alike.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _usage_exit_code():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _usage_exit_code():
            return super().invoke(ctx)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="supabase-sync")
@click.option("--traceback", "show_traceback", is_flag=True, help="Show the full Python traceback on errors.")
@click.pass_context
def cli(ctx: click.Context, show_traceback: bool) -> None:
    """An offline-first sync backend for Supabase: install the sync protocol,
    enable tables, verify them as real users in a throwaway Postgres, lint SQL.

    Database URLs come from --db-url, SUPABASE_DB_URL or DATABASE_URL.
    Exit codes: 0 ok, 1 error, 2 checks failed, 64 usage error.
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


def _usage_line(error: click.UsageError) -> str:
    """A usage error on one line, like a library error: what is wrong, then where the help is."""
    message = " ".join(error.format_message().split())
    command = error.ctx.command_path if error.ctx is not None else "supabase-sync"
    return f"{message} (hint: see `{command} --help`)"


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
    except click.exceptions.NoArgsIsHelpError as error:  # a bare `supabase-sync`: the help, as click shows it
        error.show()
        sys.exit(USAGE_EXIT_CODE)
    except click.UsageError as error:
        click.echo(f"error: {_usage_line(error)}", err=True)
        sys.exit(USAGE_EXIT_CODE)
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
