"""Installs (and uninstalls) the SQL pack: the ``supabase_sync`` schema and its functions.

Install plan, in one transaction under the supabase-sync advisory lock:

1. ``sql/schema/0000_bootstrap.sql`` (idempotent) creates the schema and
   ``supabase_sync.schema_step``;
2. every later ``sql/schema`` step not yet recorded there, each wrapped in a
   DO block that checks ``schema_step`` again, so a migration file replayed by
   psql or ``supabase db push`` skips what already ran;
3. every ``sql/functions`` file, re-applied (``create or replace``);
4. ``meta.pack_version``;
5. with ``big_numbers``, the pack-wide big-numbers choice (``meta.big_numbers``:
   how pulls send int8/numeric of tables enabled without ``--big-numbers``);
6. the compiled per-table functions (:mod:`supabase_sync.compiled`): those of
   other templates dropped; with a database URL, every registered table whose
   functions are missing, stale or dropped compiled again.

With a database URL the plan leaves out the steps already recorded; written as
a migration (no catalog to read) it holds them all, guarded. Both are rendered
by the same functions.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

import psycopg

from supabase_sync import PACK_VERSION
from supabase_sync.apply import Destination, PlanResult, connection, resolve_target, run_plan
from supabase_sync.catalog import (
    PackData,
    PackState,
    read_functions,
    read_pack_data,
    read_pack_state,
    read_synced_tables,
    snapshot,
)
from supabase_sync.compiled import CompiledTable, read_compiled_tables, render_compile_all, render_drop_outdated
from supabase_sync.contract import BIG_NUMBERS, BigNumbers
from supabase_sync.dsn import resolve_db_url
from supabase_sync.errors import ConfigError, NotInstalled, UnsafeOperation
from supabase_sync.plan import Plan, Statement
from supabase_sync.names import TableName
from supabase_sync.render.pack import (
    function_names,
    render_bootstrap,
    render_drop_function,
    render_drop_pack_schema,
    render_function_file,
    render_lock,
    render_pack_setting,
    render_pack_version,
    render_schema_step,
)
from supabase_sync.render.table import render_drop_column, render_drop_trigger
from supabase_sync.resources import sql_files
from supabase_sync.sync_objects import ALL_SYNC_TRIGGERS, BIG_NUMBERS_SETTING, PACK_SCHEMA, SYNC_COLUMNS

#: The step that creates the schema and ``schema_step``; idempotent, applied first.
BOOTSTRAP_STEP = "0000_bootstrap"

#: Migration file names (``<UTC timestamp>_<name>.sql``).
INSTALL_MIGRATION = "supabase_sync_install"
UNINSTALL_MIGRATION = "supabase_sync_uninstall"


def schema_steps() -> list[tuple[str, str]]:
    """Return the pack's schema steps as ``(step, sql text)``, in apply order."""
    return [(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")) for entry in sql_files("schema")]


def function_files() -> list[tuple[str, str]]:
    """Return the pack's function files as ``(file name, sql text)``, in apply order."""
    return [(entry.name, entry.read_text(encoding="utf-8")) for entry in sql_files("functions")]


def _check_not_newer(state: PackState) -> None:
    installed = state.pack_version
    if installed is None or not installed.isdigit() or not PACK_VERSION.isdigit():
        return
    if int(installed) > int(PACK_VERSION):
        raise ConfigError(
            f"the database has SQL pack {installed}, newer than this supabase-sync's pack {PACK_VERSION}",
            hint="upgrade supabase-sync before installing (from your checkout or git URL: pip install -U ...; "
            "once it is on PyPI: pip install -U supabase-sync)",
        )


def functions_are_current(conn: psycopg.Connection) -> bool:
    """True when re-creating the pack's functions would leave the catalog exactly as it is.

    Postgres decides, not a parser of the function files: they run under the
    supabase-sync lock in a transaction that is always rolled back, and the
    catalog of the pack's schemas (definitions, privileges, settings) is
    compared before and after. A file that fails to apply counts as not current;
    the real run then reports the failure.
    """
    schemas = sorted({name.split(".", 1)[0] for name in pack_function_names()})
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(render_lock().chunk().encode("utf-8"))
            before = snapshot(conn, schemas)
            for name, text in function_files():
                conn.execute(render_function_file(name, text).chunk().encode("utf-8"))
            return snapshot(conn, schemas) == before
    except psycopg.Error:
        return False


def _version_note(state: PackState) -> str:
    if state.pack_version is None:
        return f"installs SQL pack {PACK_VERSION}"
    if state.pack_version != PACK_VERSION:
        return f"upgrades SQL pack {state.pack_version} to {PACK_VERSION}"
    return f"repairs SQL pack {PACK_VERSION}: its functions differ from the shipped ones"


def _settings(state: PackState | None, big_numbers: BigNumbers | None) -> list[Statement]:
    """The statements setting the pack-wide choices given (those the database does not hold yet)."""
    if big_numbers is None or (state is not None and state.big_numbers == big_numbers):
        return []
    return [render_pack_setting(BIG_NUMBERS_SETTING, big_numbers)]


def _compile(tables: Sequence[CompiledTable] | None) -> list[Statement]:
    """Drop compiled functions of other templates, then compile every table of ``tables`` that needs it."""
    return [render_drop_outdated(), *render_compile_all(tables or ())]


def build_install_plan(
    state: PackState | None = None,
    *,
    functions_current: bool = False,
    big_numbers: BigNumbers | None = None,
    compiled: Sequence[CompiledTable] | None = None,
) -> Plan:
    """Return the install plan; ``state`` (from the catalog) leaves out what is already there.

    Without ``state`` (a migration file) every step is included; each one is
    guarded in SQL, so the file is idempotent when replayed. With ``state``,
    schema steps already recorded are left out, and a database holding this
    very pack (same version, every step, ``functions_current``) gets a plan
    that changes nothing, as ``enable`` does for a table that has everything.
    ``big_numbers`` sets the pack-wide big-numbers choice (None keeps it).
    ``compiled`` are the registered tables (with what is recorded of their
    compiled functions, :mod:`supabase_sync.compiled`): those not current are
    compiled at the end; without a catalog, only the functions of other
    templates are dropped (enable compiles them again).
    """
    applied = set(state.steps) if state else set()
    plan = Plan("install")
    plan.add(render_lock())
    if state is not None:
        every_step = all(step in applied for step, _ in schema_steps())
        if state.pack_version == PACK_VERSION and every_step and functions_current:
            plan.notes.append(f"SQL pack {PACK_VERSION} is installed and current")
            plan.extend(_settings(state, big_numbers))
            stale = [table for table in compiled or () if not table.current]
            if stale:
                plan.notes.append("compiles the functions of " + ", ".join(str(table.table) for table in stale))
                plan.extend(_compile(stale))
            return plan
        plan.notes.append(_version_note(state))
    for step, text in schema_steps():
        if step in applied:
            continue
        if step == BOOTSTRAP_STEP:
            plan.extend(render_bootstrap(step, text))
        else:
            plan.add(render_schema_step(step, text))
    for name, text in function_files():
        plan.add(render_function_file(name, text))
    plan.add(render_pack_version(PACK_VERSION))
    plan.extend(_settings(state, big_numbers))
    plan.extend(_compile(compiled))
    if state is not None:
        skipped = [step for step, _ in schema_steps() if step in applied]
        if skipped:
            plan.notes.append(f"schema steps already applied: {', '.join(skipped)}")
    return plan


def install(
    db_url: str | None = None,
    *,
    big_numbers: BigNumbers | None = None,
    dry_run: bool = False,
    migrations_dir: str | Path | None = None,
    project_dir: str | Path | None = None,
) -> PlanResult:
    """Install or upgrade the sync pack.

    Destinations (one plan, one text): with ``db_url`` (or SUPABASE_DB_URL /
    DATABASE_URL outside a project folder) execute it in one transaction;
    ``dry_run`` only returns the SQL; with ``migrations_dir``, or inside a
    Supabase project folder (``supabase/config.toml`` in ``project_dir``, default
    the current folder), write ``supabase/migrations/<UTC ts>_supabase_sync_install.sql``.
    Re-running changes nothing and says so (``changed`` is False); a newer pack
    applies only its missing steps and re-creates the functions.
    ``big_numbers`` sets the pack-wide default of how pulls send int8/numeric
    (``number`` or ``string``; tables enabled with ``--big-numbers`` keep their own).
    """
    if big_numbers is not None and big_numbers not in BIG_NUMBERS:
        raise ConfigError(
            f"unknown big-numbers choice {big_numbers!r}", hint=f"use --big-numbers {' or '.join(BIG_NUMBERS)}"
        )
    target = resolve_target(db_url, migrations_dir=migrations_dir, project_dir=project_dir)
    if target.destination is Destination.MIGRATION:
        plan = build_install_plan(big_numbers=big_numbers)
        return run_plan(plan, target, dry_run=dry_run, migration_name=INSTALL_MIGRATION)
    assert target.db_url is not None
    with connection(target.db_url) as conn:
        state = read_pack_state(conn)
        _check_not_newer(state)
        current = state.pack_version == PACK_VERSION and functions_are_current(conn)
        compiled = read_compiled_tables(conn) if state.installed else []
        plan = build_install_plan(state, functions_current=current, big_numbers=big_numbers, compiled=compiled)
        return run_plan(plan, target, dry_run=dry_run, migration_name=INSTALL_MIGRATION, conn=conn)


def pack_function_names() -> list[str]:
    """Return the ``schema.name`` of every function the pack's ``sql/functions`` create."""
    names: list[str] = []
    for _, text in function_files():
        for name in function_names(text):
            raw = name.replace('"', "")
            if raw not in names:
                names.append(raw)
    return names


def build_uninstall_plan(conn: psycopg.Connection, *, drop_data: bool) -> Plan:
    """Return the plan removing the pack from the database ``conn`` is connected to.

    Triggers are dropped from synced tables; owner policies, RLS, indexes and
    Realtime membership stay (they protect and serve the app's data). With
    ``drop_data`` the server-maintained columns are dropped too. The registry,
    tombstones and push log go with the schema: data, hence ``drop_data``.
    """
    state = read_pack_state(conn)
    if not state.steps and state.pack_version is None:
        raise NotInstalled(
            "supabase-sync is not installed in this database; nothing to uninstall",
            hint="check --db-url points at the right database",
        )
    plan = Plan("uninstall")
    plan.add(render_lock())
    counts = read_pack_data(conn) if state.installed else PackData(0, 0, 0)
    tables = [entry.table for entry in read_synced_tables(conn)] if state.installed else []
    for table in tables:
        for trigger in ALL_SYNC_TRIGGERS:
            plan.add(render_drop_trigger(table, trigger))
        if drop_data:
            for column in SYNC_COLUMNS:
                if column.server_maintained:
                    plan.add(render_drop_column(table, column.name))
    for function in read_functions(conn, pack_function_names()):
        if function.schema != PACK_SCHEMA:
            plan.add(render_drop_function(function.schema, function.name, list(function.argument_types)))
    holds_data = not counts.empty
    plan.add(render_drop_pack_schema(holds_data=holds_data))
    if holds_data:
        plan.notes.append(
            f"drops {counts.synced_tables} table registrations, {counts.tombstones} tombstones, "
            f"{counts.pushes} logged pushes"
        )
    return plan


def uninstall(
    db_url: str | None = None,
    *,
    drop_data: bool = False,
    dry_run: bool = False,
    migrations_dir: str | Path | None = None,
) -> PlanResult:
    """Remove the sync pack from a database.

    Refuses (:class:`~supabase_sync.errors.UnsafeOperation`) when that would drop
    data (registered tables, tombstones, push log, server-maintained columns)
    unless ``drop_data``. Reads the catalog, so a database URL is required;
    ``migrations_dir`` writes the plan as a migration instead of executing it.
    """
    url = resolve_db_url(db_url)
    assert url is not None
    target = resolve_target(url, migrations_dir=migrations_dir)
    with connection(url) as conn:
        plan = build_uninstall_plan(conn, drop_data=drop_data)
        try:
            plan.check_safe(allowed=drop_data, flag="--drop-data")
        except UnsafeOperation as refused:
            tables = [entry.table for entry in read_synced_tables(conn)]
            raise UnsafeOperation(refused.message, hint=_keep_data_hint(tables)) from None
        return run_plan(plan, target, dry_run=dry_run, migration_name=UNINSTALL_MIGRATION, conn=conn)


def _keep_data_hint(tables: list[TableName]) -> str:
    """How to uninstall without losing a column of the user's tables: disable them first."""
    if not tables:
        return "no table is synced any more: --drop-data drops only supabase-sync's own tombstones and push log"
    names = " ".join(shlex.quote(table.display) for table in tables)
    return (
        f"the non-destructive way: `supabase-sync disable {names}` first (same --db-url; it keeps every "
        "row and column), then `supabase-sync uninstall --drop-data` drops only supabase-sync's own "
        "tombstones and push log; --drop-data right now would also drop those tables' server-maintained columns"
    )

