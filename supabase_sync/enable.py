"""Enables (and disables) sync on tables: the per-table contract of :mod:`supabase_sync.contract`.

For each table, enable adds what is missing: the sync columns, the three
triggers, row level security with the four owner policies, the
(owner, server_version) index, ``supabase_realtime`` membership and the
registry row, then recomputes the push order.

With a database URL it judges each table against the contract and plans
exactly its unmet requirements, so enabling an enabled table changes nothing;
a table lacking what only its owner can add (a primary key, a uuid owner
column) is refused with the fix. Writing a migration without a database it
renders every requirement in its idempotent form (``add column if not
exists``, guarded policies, ``create or replace trigger``). Both come from the
contract's renderers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path


from supabase_sync.apply import Destination, PlanResult, connection, resolve_target, run_plan
from supabase_sync.catalog import PackState, TableInfo, read_pack_state, read_tables
from supabase_sync.contract import (
    REALTIME_MODES,
    RealtimeMode,
    ADD_COLUMNS_FLAG,
    CONFLICT_STRATEGIES,
    ConflictStrategy,
    TableCheck,
    TableSpec,
    blind_statements,
    evaluate,
    read_database_facts,
    refuse_managed_schema,
)
from supabase_sync.dsn import mask_dsn
from supabase_sync.errors import ConfigError, NotInstalled, TableError
from supabase_sync.names import TableName, parse_table_name
from supabase_sync.plan import Plan, Statement
from supabase_sync.render.pack import render_lock
from supabase_sync.render.table import (
    render_delete_tombstones,
    render_drop_column,
    render_drop_trigger,
    render_refresh_dependency_ranks,
    render_unregister_table,
)
from supabase_sync.sync_objects import ALL_SYNC_TRIGGERS, SYNC_COLUMNS

_MAX_NAME_TABLES = 4

#: Parent tables whose rows no client pushes: a foreign key to them never fails for a missing parent.
_ALWAYS_PRESENT_PARENTS = frozenset({TableName("auth", "users")})


def enable_migration_name(tables: Sequence[TableName]) -> str:
    """Return the migration name for enabling ``tables``: ``supabase_sync_enable_<names>``.

    Tables of ``public`` appear by name, others as ``schema_table``.
    """
    names = [table.name if table.schema == "public" else f"{table.schema}_{table.name}" for table in tables]
    if len(names) > _MAX_NAME_TABLES:
        names = [*names[:_MAX_NAME_TABLES], "and_more"]
    return "supabase_sync_enable_" + "_".join(names)


def disable_migration_name(tables: Sequence[TableName]) -> str:
    """Return the migration name for disabling ``tables``."""
    return enable_migration_name(tables).replace("supabase_sync_enable_", "supabase_sync_disable_", 1)


def _parse_tables(tables: Sequence[str] | str) -> list[TableName]:
    if isinstance(tables, str):
        tables = [tables]
    if not tables:
        raise ConfigError("no table given", hint="name at least one table, e.g. public.task")
    parsed: list[TableName] = []
    for text in tables:
        table = parse_table_name(text)
        refuse_managed_schema(table)
        if table not in parsed:
            parsed.append(table)
    return parsed


def _check_options(*, owner_column: str, conflict_strategy: str) -> None:
    if conflict_strategy not in CONFLICT_STRATEGIES:
        raise ConfigError(
            f"unknown conflict strategy {conflict_strategy!r}",
            hint=f"use --conflict-strategy {' or '.join(CONFLICT_STRATEGIES)}",
        )
    if not owner_column:
        raise ConfigError("the owner column name is empty", hint="pass --owner-column NAME, e.g. user_id")


def _require_installed(state: PackState, db_url: str) -> None:
    if not state.installed:
        raise NotInstalled(
            f"supabase-sync is not installed in {mask_dsn(db_url)}",
            hint="run `supabase-sync install` with the same --db-url first",
        )


def spec_for(table: TableName, info: TableInfo | None, *, owner_column: str, conflict_strategy: ConflictStrategy) -> TableSpec:
    """The spec enable holds ``table`` to: its single-column primary key is the id column."""
    id_column = info.primary_key[0] if info is not None and len(info.primary_key) == 1 else "id"
    return TableSpec(table, owner_column=owner_column, id_column=id_column, conflict_strategy=conflict_strategy)


def refuse_unsyncable(table: TableName, info: TableInfo | None) -> None:
    """Raise :class:`TableError` when ``table`` does not exist or is not a plain table."""
    if info is None:
        raise TableError(
            f"table {table} not found",
            hint='check the name (schema.table; quote capitals or spaces: "My Schema"."My Table")',
        )
    if info.relkind not in ("r", "p"):
        raise TableError(f"{table} is not a table (relkind {info.relkind})", hint="enable a plain table")


def refuse_unmet_by_hand(check: TableCheck, *, add_missing_columns: bool) -> None:
    """Raise :class:`TableError` when the table lacks something only its owner can add.

    That is an unmet requirement enable cannot meet (a primary key, an owner
    column, a sync column of the wrong type...), or missing sync columns
    without ``add_missing_columns``.
    """
    by_hand = [verdict for verdict in check.unmet if not verdict.repairable]
    if by_hand:
        columns = [verdict for verdict in by_hand if verdict.family == "columns"]
        if columns and len(columns) == len(by_hand):
            problems = "; ".join(verdict.problem for verdict in columns)
            raise TableError(f"table {check.table} has sync columns of the wrong type: {problems}", hint=columns[0].manual)
        raise TableError(
            "; ".join(verdict.problem for verdict in by_hand),
            hint="; ".join(dict.fromkeys(verdict.manual or "" for verdict in by_hand)),
        )
    missing = [verdict.requirement.column for verdict in check.unmet if verdict.needs_flag == ADD_COLUMNS_FLAG]
    if missing and not add_missing_columns:
        raise TableError(
            f"table {check.table} lacks the sync columns {', '.join(name or '' for name in missing)}",
            hint=f"run enable again with {ADD_COLUMNS_FLAG} to add them",
        )


def unsynced_parents(check: TableCheck, synced: set[TableName]) -> list[TableName]:
    """The tables ``check``'s table references that are not synced (nor ``auth.users``, nor itself)."""
    parents = [foreign_key.parent for foreign_key in check.info.foreign_keys]
    return [
        parent
        for parent in dict.fromkeys(parents)
        if parent not in synced and parent != check.table and parent not in _ALWAYS_PRESENT_PARENTS
    ]


def _unsynced_parent_warning(table: TableName, parent: TableName) -> str:
    return (
        f"{table} references {parent}, which is not synced: a push of a {table} row whose {parent}"
        " row is not on the server fails with 23503 (HTTP 409, not a conflict: see the error table of"
        f" docs/protocol.md); enable {parent} too, or make sure its rows exist before clients push"
    )


# --- planning ---------------------------------------------------------------------------


def build_enable_plan(checks: Sequence[TableCheck], *, warnings: Sequence[str] = ()) -> Plan:
    """Return the enable plan meeting every unmet requirement of ``checks`` (judged on the catalog).

    Plan-level statements (the push order) run once, after every table's.
    """
    plan = Plan("enable " + " ".join(str(check.table) for check in checks))
    plan.add(render_lock())
    then: dict[str, Statement] = {}
    for check in checks:
        for verdict in check.unmet:
            plan.extend(list(verdict.statements))
            then.update((statement.chunk(), statement) for statement in verdict.then)
    plan.extend(list(then.values()))
    plan.warnings.extend(warnings)
    return plan


def build_blind_enable_plan(specs: Sequence[TableSpec], *, add_missing_columns: bool) -> Plan:
    """Return the enable plan written without a catalog: every requirement in its idempotent form."""
    plan = Plan("enable " + " ".join(str(spec.table) for spec in specs))
    plan.add(render_lock())
    then: dict[str, Statement] = {}
    for spec in specs:
        statements, after = blind_statements(spec, add_missing_columns=add_missing_columns)
        plan.extend(statements)
        then.update((statement.chunk(), statement) for statement in after)
    plan.extend(list(then.values()))
    return plan


def enable(
    tables: Sequence[str] | str,
    *,
    db_url: str | None = None,
    owner_column: str = "user_id",
    add_missing_columns: bool = False,
    conflict_strategy: ConflictStrategy = "reject",
    realtime: RealtimeMode = "postgres_changes",
    dry_run: bool = False,
    migrations_dir: str | Path | None = None,
    project_dir: str | Path | None = None,
) -> PlanResult:
    """Enable sync on ``tables`` (``"schema.table"`` names; quoted parts like Postgres).

    Same destinations as :func:`supabase_sync.install.install`. Against a
    database every table is judged against the per-table contract
    (:mod:`supabase_sync.contract`) and only its unmet requirements are
    planned; a table lacking what only its owner can add (primary key, owner
    column...) is refused, and without ``add_missing_columns`` so is one
    lacking sync columns. Enabling an enabled table changes nothing. The
    result's warnings name referenced tables that are not synced.
    """
    _check_options(owner_column=owner_column, conflict_strategy=conflict_strategy)
    if realtime not in REALTIME_MODES:
        raise ConfigError(
            f"unknown realtime mode {realtime!r}", hint=f"use one of: {', '.join(REALTIME_MODES)}"
        )
    parsed = _parse_tables(tables)
    target = resolve_target(db_url, migrations_dir=migrations_dir, project_dir=project_dir)
    migration = enable_migration_name(parsed)
    if target.destination is Destination.MIGRATION:
        specs = [
            TableSpec(
                table, owner_column=owner_column, id_column=None, conflict_strategy=conflict_strategy, realtime=realtime
            )
            for table in parsed
        ]
        plan = build_blind_enable_plan(specs, add_missing_columns=add_missing_columns)
        return run_plan(plan, target, dry_run=dry_run, migration_name=migration)
    assert target.db_url is not None
    with connection(target.db_url) as conn:
        state = read_pack_state(conn)
        _require_installed(state, target.db_url)
        infos = read_tables(conn, parsed)
        for table in parsed:
            refuse_unsyncable(table, infos.get(table))
        database = read_database_facts(conn, parsed, state=state)
        checks = [
            evaluate(
                replace(
                    spec_for(table, infos[table], owner_column=owner_column, conflict_strategy=conflict_strategy),
                    realtime=realtime,
                ),
                infos[table],
                database,
            )
            for table in parsed
        ]
        for check in checks:
            refuse_unmet_by_hand(check, add_missing_columns=add_missing_columns)
        synced = {*parsed, *database.synced}
        warnings = [
            _unsynced_parent_warning(check.table, parent)
            for check in checks
            for parent in unsynced_parents(check, synced)
        ]
        plan = build_enable_plan(checks, warnings=warnings)
        return run_plan(plan, target, dry_run=dry_run, migration_name=migration, conn=conn)


def build_disable_plan(tables: Sequence[TableName], *, drop_data: bool) -> Plan:
    """Return the disable plan: drop the triggers, unregister, recompute the push order.

    Owner policies, RLS, the index and Realtime membership stay: they protect
    and serve the app's data. ``drop_data`` also deletes the tables' tombstones
    and drops their server-maintained columns.
    """
    plan = Plan("disable " + " ".join(str(table) for table in tables))
    plan.add(render_lock())
    for table in tables:
        for trigger in ALL_SYNC_TRIGGERS:
            plan.add(render_drop_trigger(table, trigger))
        plan.add(render_unregister_table(table))
        if drop_data:
            plan.add(render_delete_tombstones(table))
            plan.extend(render_drop_column(table, spec.name) for spec in SYNC_COLUMNS if spec.server_maintained)
    plan.add(render_refresh_dependency_ranks())
    return plan


def disable(
    tables: Sequence[str] | str,
    *,
    db_url: str | None = None,
    drop_data: bool = False,
    dry_run: bool = False,
    migrations_dir: str | Path | None = None,
    project_dir: str | Path | None = None,
) -> PlanResult:
    """Stop syncing ``tables``: drop their sync triggers and registry rows.

    Data, policies and columns stay unless ``drop_data`` (tombstones and
    server-maintained columns). Same destinations as :func:`enable`.
    """
    parsed = _parse_tables(tables)
    target = resolve_target(db_url, migrations_dir=migrations_dir, project_dir=project_dir)
    plan = build_disable_plan(parsed, drop_data=drop_data)
    plan.check_safe(allowed=drop_data, flag="--drop-data")
    migration = disable_migration_name(parsed)
    if target.destination is Destination.MIGRATION:
        return run_plan(plan, target, dry_run=dry_run, migration_name=migration)
    assert target.db_url is not None
    with connection(target.db_url) as conn:
        _require_installed(read_pack_state(conn), target.db_url)
        infos = read_tables(conn, parsed)
        for table in parsed:
            info = infos.get(table)
            if info is None or info.registration is None:
                raise TableError(
                    f"table {table} is not enabled for sync",
                    hint="`supabase-sync status` lists the synced tables",
                )
        return run_plan(plan, target, dry_run=dry_run, migration_name=migration, conn=conn)
