"""``supabase-sync verify`` and ``supabase-sync gen-tests``."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from supabase_sync import api
from supabase_sync.cli.app import cli
from supabase_sync.cli.options import echo_json, json_option, status
from supabase_sync.errors import ChecksFailed, SupabaseSyncError

#: Erase the terminal's current line and go back to its start.
_CLEAR_LINE = "\r\033[K"


class _Progress:
    """Verify's progress on stderr: one line rewritten in place in a terminal, one line per step elsewhere.

    In a terminal the table on stdout shows every check once, so the progress
    of each check only needs to be seen while it runs; a log (CI, a file)
    keeps every timed line. ``--keep`` prints lines too: the sandbox's last
    words say how to stop it and must stay on screen.
    """

    def __init__(self, *, in_place: bool) -> None:
        self.in_place = in_place
        self.shown = False

    def __call__(self, message: str) -> None:
        if not self.in_place:
            status(message)
            return
        width = max(shutil.get_terminal_size().columns - 1, 20)
        click.echo(_CLEAR_LINE + message[:width], err=True, nl=False)
        self.shown = True

    def clear(self) -> None:
        """Erase the progress line, so what follows starts on a clean line."""
        if self.shown:
            click.echo(_CLEAR_LINE, err=True, nl=False)
            self.shown = False


@contextmanager
def _json_error(as_json: bool) -> Iterator[None]:
    """With ``--json``, a run that cannot finish still prints a JSON document (then exits 1 as usual)."""
    try:
        yield
    except Exception as error:
        if as_json:
            known = isinstance(error, SupabaseSyncError)
            echo_json(
                {
                    "passed": False,
                    "error": error.message if known else f"unexpected {type(error).__name__}: {error}",
                    "hint": error.hint if known else None,
                }
            )
        raise

_BACKENDS = click.Choice(["auto", "local", "embedded", "docker", "url"])


def _sandbox_options(func):  # type: ignore[no-untyped-def]
    func = click.option(
        "--sandbox-url",
        "--db-url",
        "sandbox_url",
        metavar="URL",
        default=None,
        help="Server for --backend url (a superuser's URL, e.g. supabase start's port 54322); "
        "a throwaway database is created there and dropped after (--db-url is the old name).",
    )(func)
    func = click.option(
        "--backend",
        type=_BACKENDS,
        default="auto",
        show_default=True,
        help="Sandbox PostgreSQL: auto tries local binaries, then docker, then embedded (pgserver); url uses --sandbox-url.",
    )(func)
    func = click.option("--example", is_flag=True, help="Use the bundled example project (examples/todo).")(func)
    return click.argument("project", required=False, type=click.Path(file_okay=False, path_type=str))(func)


@cli.command("verify")
@_sandbox_options
@json_option
@click.option(
    "--junit-xml",
    "junit_xml",
    metavar="PATH",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Also write the results as JUnit XML for CI systems.",
)
@click.option("--keep", is_flag=True, help="Leave the sandbox and its database running, and print how to connect.")
def verify_command(
    project: str | None,
    example: bool,
    backend: str,
    sandbox_url: str | None,
    as_json: bool,
    junit_xml: str | None,
    keep: bool,
) -> None:
    """Check a Supabase project's sync setup in a throwaway Postgres, acting as real users.

    Starts a sandbox, applies PROJECT's supabase/migrations (default: the current
    folder) in the Supabase CLI's order, installs the sync pack if the migrations
    do not, then checks every synced table: RLS isolation between users (select,
    sync_pull, sync_push, plain DML), anon access, a round trip between two
    devices, conflicts and push replays, server-maintained columns, triggers,
    policies, indexes, function security, and a short concurrency smoke test.

    Prints a table of checks (progress goes to stderr: in a terminal on one line
    that the table replaces). Exit 0 when all pass, 2 when a check fails (each
    failure says how to fix it), 1 when verification could not run (with --json,
    a document {"passed": false, "error": ..., "hint": ...}).
    """
    progress = _Progress(in_place=sys.stderr.isatty() and not keep)
    with _json_error(as_json):
        try:
            report = api.verify(
                project, example=example, backend=backend, sandbox_url=sandbox_url, keep=keep, log=progress
            )
        finally:
            progress.clear()
    if junit_xml:
        Path(junit_xml).write_text(report.to_junit_xml(), encoding="utf-8")
        status(f"wrote JUnit XML to {junit_xml}")
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(report.to_text())
    if report.kept_dsn:
        status(f"sandbox kept running; connect with: psql '{report.kept_dsn}'")
    if not report.passed:
        names = sorted(
            {f"{result.check}" + (f" ({result.table})" if result.table else "") for result in report.failures}
        )
        raise ChecksFailed(
            f"{len(report.failures)} check(s) failed: {', '.join(names)}",
            hint="each failure above says how to fix it",
        )


@cli.command("gen-tests")
@_sandbox_options
@click.option(
    "--output",
    "output_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Folder for the test files (default: PROJECT/supabase/tests).",
)
@json_option
def gen_tests_command(
    project: str | None,
    example: bool,
    backend: str,
    sandbox_url: str | None,
    output_dir: str | None,
    as_json: bool,
) -> None:
    """Write pgTAP tests of the synced tables' isolation into supabase/tests/.

    Applies PROJECT's migrations in a sandbox to learn the synced tables and
    their columns, then writes supabase_sync_isolation_test.sql: users A and B,
    A's rows, and assertions that B and anon cannot read, change, delete or push
    them, acting as users the way Supabase's pgTAP docs do. Run them with
    `supabase test db`. Re-running overwrites the generated file.
    """
    with _json_error(as_json):
        result = api.gen_tests(
            project, example=example, backend=backend, sandbox_url=sandbox_url, output_dir=output_dir, log=status
        )
    if as_json:
        echo_json(result.to_dict())
        return
    for path in result.paths:
        click.echo(f"wrote {path} ({result.assertions} assertions over {len(result.tables)} synced tables)")
