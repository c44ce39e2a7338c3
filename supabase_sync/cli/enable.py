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
    status,
)
from supabase_sync.cli.plan_output import report_plan
from supabase_sync.contract import BIG_NUMBERS, CONFLICT_STRATEGIES, REALTIME_MODES
from supabase_sync.plan import Timeouts

_DEFAULTS = Timeouts()
_SECONDS = click.FloatRange(min=0)


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
    type=click.Choice(CONFLICT_STRATEGIES),
    default="reject",
    show_default=True,
    help="reject: a push conflicting with a newer server change fails (PT409); lww: last writer wins.",
)
@click.option(
    "--lock-timeout",
    type=_SECONDS,
    default=_DEFAULTS.lock_timeout,
    show_default=True,
    metavar="SECONDS",
    help="Longest wait for a table lock (SET lock_timeout). While enable waits, the table's readers and "
    "writers queue behind it, so this bounds their extra wait; a lock not granted in time rolls the step "
    "back and it is retried.",
)
@click.option(
    "--statement-timeout",
    type=_SECONDS,
    default=_DEFAULTS.statement_timeout,
    show_default=True,
    metavar="SECONDS",
    help="Longest run of each DDL statement (SET statement_timeout); 0: no limit.",
)
@click.option(
    "--index-timeout",
    type=_SECONDS,
    default=_DEFAULTS.index_timeout,
    show_default=True,
    metavar="SECONDS",
    help="Longest run of each concurrent index build; 0: no limit (a 100M-row table takes minutes). "
    "Reads and writes go on during the build.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=_DEFAULTS.retries,
    show_default=True,
    help="How often a step whose lock was not granted within --lock-timeout is tried again "
    "(back-off 0.5 s, doubling, at most 8 s). --db-url only: a migration file fails instead and "
    "`supabase db push` is run again.",
)
@click.option(
    "--members",
    metavar="TABLE",
    default=None,
    help="Share the (one) table: it becomes a scope table whose membership table TABLE (a foreign key to it,"
    " a uuid user column, a text role viewer|editor|admin) is enabled with it.",
)
@click.option(
    "--member-column",
    metavar="COLUMN",
    default=None,
    help="The membership table's uuid user column (default: its one uuid column referencing auth.users).",
)
@click.option(
    "--create-members",
    is_flag=True,
    help="Create the --members table (<scope>_id, user_id, role default editor, granted_by, sync columns).",
)
@click.option(
    "--scope-column",
    metavar="COLUMN",
    default=None,
    help="Make TABLE... scoped tables: rows visible to whoever sees the scope row COLUMN references"
    " (an enabled scope table).",
)
@click.option(
    "--scope-through",
    metavar="COLUMN",
    default=None,
    help="With --scope-column, for a table below a scoped table: its column referencing that parent; the scope"
    " column is added (with --add-missing-columns) and kept equal to the parent's.",
)
@click.option(
    "--realtime",
    type=click.Choice(REALTIME_MODES),
    default="postgres_changes",
    show_default=True,
    help="How clients learn of changes: postgres_changes (the supabase_realtime publication; its DELETE events"
    " reach every subscriber), broadcast (row id to the owner's private topic, nothing leaks), off.",
)
@click.option(
    "--big-numbers",
    type=click.Choice(BIG_NUMBERS),
    default=None,
    help="How pulls send int8 and numeric columns: number (exact JSON numbers; JavaScript reads them as"
    " doubles, so 9007199254740993 becomes ...992) or string (JSON strings exactly as PostgreSQL prints"
    " them). Pushes accept both. Default: the pack-wide choice (meta big_numbers, number unless set).",
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
    members: str | None,
    member_column: str | None,
    create_members: bool,
    scope_column: str | None,
    scope_through: str | None,
    lock_timeout: float,
    statement_timeout: float,
    index_timeout: float,
    retries: int,
    realtime: str,
    big_numbers: str | None,
    db_url: str | None,
    dry_run: bool,
    migrations_dir: str | None,
    as_json: bool,
) -> None:
    """Enable sync on TABLE... (schema.table; quote like Postgres: '"My Schema"."My Table"').

    Adds what is missing: sync columns (with --add-missing-columns), the triggers
    supabase_sync_stamp, supabase_sync_tombstone, supabase_sync_truncate and
    supabase_sync_transfer, row level security with four owner policies (or the sharing
    policies: --members, --scope-column), no TRUNCATE for the API roles, the (owner,
    server_version, bucket) position index, Realtime as --realtime says and the registry
    row (conflict strategy, realtime, big numbers). Enabling an enabled table
    changes nothing. Destinations as for install: --db-url executes, --dry-run prints,
    a Supabase project folder or --migrations-dir gets
    <UTC timestamp>_supabase_sync_enable_<tables>.sql and, one second later,
    <...>_supabase_sync_enable_<tables>_indexes.sql.

    Online on live tables: the DDL runs in one short transaction limited by
    --lock-timeout and --statement-timeout (retried with back-off while another
    session holds the table), then each index is built with CREATE INDEX
    CONCURRENTLY, checked valid, progress on stderr. In a project folder the
    tables are first checked against the project's migrations applied to a
    throwaway database (install must come first). See docs/enable.md.
    """
    result = api.enable(
        list(tables),
        db_url=db_url,
        owner_column=owner_column,
        add_missing_columns=add_missing_columns,
        conflict_strategy=conflict_strategy,
        realtime=realtime,
        big_numbers=big_numbers,
        dry_run=dry_run,
        migrations_dir=migrations_dir,
        members=members,
        member_column=member_column,
        create_members=create_members,
        scope_column=scope_column,
        scope_through=scope_through,
        timeouts=Timeouts(
            lock_timeout=lock_timeout,
            statement_timeout=statement_timeout,
            index_timeout=index_timeout,
            retries=retries,
        ),
        log=status,
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
