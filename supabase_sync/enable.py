"""Enables (and disables) sync on tables: the per-table contract of the team brief.

For each table, enable adds what is missing: the sync columns, the three
triggers, row level security with the four owner policies, the
(owner, server_version) index, ``supabase_realtime`` membership and the
registry row, then recomputes the push order.

With a database URL it reads the catalog first, validates the table (exists,
single-column primary key, uuid owner column, sync columns) and plans only the
missing pieces, so enabling an enabled table changes nothing. Writing a
migration without a database it renders every piece in its idempotent form
(``add column if not exists``, guarded policies, ``create or replace trigger``).
Both come from the same render functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from supabase_sync.apply import (
    Destination,
    PlanResult,
    connection,
    resolve_target,
    run_plan,
)
from supabase_sync.catalog import (
    PackState,
    TableInfo,
    parse_table_name,
    read_pack_state,
    read_table,
    refuse_managed_schema,
    relation_exists,
)
from supabase_sync.dsn import mask_dsn
from supabase_sync.errors import ConfigError, NotInstalled, TableError
from supabase_sync.plan import Plan, Statement
from supabase_sync.render import (
    POLICY_COMMANDS,
    REALTIME_PUBLICATION,
    STAMP_TRIGGER,
    SYNC_COLUMNS,
    SYNC_TRIGGERS,
    TOMBSTONE_TRIGGER,
    TRUNCATE_TRIGGER,
    TableName,
    owner_version_index_name,
    policy_name,
    render_add_column,
    render_delete_tombstones,
    render_drop_column,
    render_drop_trigger,
    render_enable_rls,
    render_lock,
    render_owner_policy,
    render_owner_version_index,
    render_publication_membership,
    render_refresh_dependency_ranks,
    render_register_table,
    render_stamp_trigger,
    render_template,
    render_tombstone_trigger,
    render_truncate_trigger,
    render_unregister_table,
)

#: Conflict strategies a table may use (supabase_sync.synced_table check constraint).
CONFLICT_STRATEGIES = ("reject", "lww")

#: Types accepted for the primary key column.
ID_TYPES = ("uuid", "text", "character varying")

_MAX_NAME_TABLES = 4


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


# --- validation against the catalog ------------------------------------------------


def validate_table(info: TableInfo | None, table: TableName, *, owner_column: str, add_missing_columns: bool) -> str:
    """Check that ``table`` can be synced as it is; return its id (primary key) column.

    Raises :class:`TableError` saying what is wrong and how to fix it.
    """
    if info is None:
        raise TableError(
            f"table {table} not found",
            hint='check the name (schema.table; quote capitals or spaces: "My Schema"."My Table")',
        )
    if info.relkind not in ("r", "p"):
        raise TableError(f"{table} is not a table (relkind {info.relkind})", hint="enable a plain table")
    id_column = _validate_primary_key(info, table)
    _validate_owner_column(info, table, owner_column)
    _validate_sync_columns(info, table, add_missing_columns=add_missing_columns)
    return id_column


def _validate_primary_key(info: TableInfo, table: TableName) -> str:
    if not info.primary_key:
        raise TableError(
            f"table {table} has no primary key",
            hint=f"add one: alter table {table} add primary key (id) -- a uuid or text id",
        )
    if len(info.primary_key) > 1:
        raise TableError(
            f"table {table} has a composite primary key ({', '.join(info.primary_key)})",
            hint="sync needs a single-column primary key (uuid or text); add an id column as the key",
        )
    id_column = info.primary_key[0]
    id_type = info.columns[id_column].type_name
    if id_type not in ID_TYPES:
        raise TableError(
            f"the primary key {id_column} of {table} is {id_type}",
            hint="sync needs a uuid or text key that clients can generate offline",
        )
    return id_column


def _validate_owner_column(info: TableInfo, table: TableName, owner_column: str) -> None:
    column = info.columns.get(owner_column)
    if column is None:
        raise TableError(
            f"table {table} has no owner column {owner_column}",
            hint=f"pass --owner-column NAME, or add it: alter table {table} add column "
            f"{sql.Identifier(owner_column).as_string(None)} uuid not null references auth.users",
        )
    if column.type_name != "uuid":
        raise TableError(
            f"the owner column {owner_column} of {table} is {column.type_name}, not uuid",
            hint="the owner column holds auth.uid(): make it uuid, or pass --owner-column with the uuid column",
        )


def _validate_sync_columns(info: TableInfo, table: TableName, *, add_missing_columns: bool) -> None:
    wrong = [
        f"{spec.name} is {info.columns[spec.name].type_name}, not {spec.type_name}"
        for spec in SYNC_COLUMNS
        if spec.name in info.columns and info.columns[spec.name].type_name != spec.type_name
    ]
    if wrong:
        raise TableError(
            f"table {table} has sync columns of the wrong type: {'; '.join(wrong)}",
            hint="alter or rename those columns; supabase-sync never rewrites your columns",
        )
    missing = [spec.name for spec in SYNC_COLUMNS if spec.name not in info.columns]
    if missing and not add_missing_columns:
        raise TableError(
            f"table {table} lacks the sync columns {', '.join(missing)}",
            hint="run enable again with --add-missing-columns to add them",
        )


def _check_index_name_free(conn: psycopg.Connection, info: TableInfo, owner_column: str) -> None:
    """``create index if not exists`` would silently skip a name another relation holds."""
    if has_owner_version_index(info, owner_column):
        return
    name = owner_version_index_name(info.table.name)
    if relation_exists(conn, info.table.schema, name):
        raise TableError(
            f"{info.table.schema}.{name} already exists, so the (owner, server_version) index of {info.table} "
            "cannot take that name",
            hint="rename that relation, then run enable again",
        )


# --- planning ---------------------------------------------------------------------------


def _trigger_is_current(info: TableInfo, name: str, expected_function: str, expected_args: tuple[str, ...]) -> bool:
    trigger = info.triggers.get(name)
    return (
        trigger is not None
        and trigger.enabled
        and trigger.function_schema == "supabase_sync"
        and trigger.function_name == expected_function
        and trigger.arguments == expected_args
    )


def has_owner_version_index(info: TableInfo, owner_column: str) -> bool:
    """True when an index leads with (owner column, server_version) and covers every row."""
    return any(index.columns[:2] == (owner_column, "server_version") and not index.partial for index in info.indexes)


def _needs_publication(info: TableInfo | None, state: PackState | None) -> bool:
    if info is None:
        return True  # no catalog: the statement itself checks that the publication exists
    return state is not None and state.has_realtime_publication and REALTIME_PUBLICATION not in info.publications


def _require_columns_statement(table: TableName) -> Statement:
    return Statement(
        f"check that {table} has the sync columns",
        render_template(
            "require_columns",
            table_name=table.regclass,
            column_names=sql.Literal([spec.name for spec in SYNC_COLUMNS]),
        ),
    )


def plan_table(
    table: TableName,
    *,
    owner_column: str,
    id_column: str,
    conflict_strategy: str,
    add_missing_columns: bool,
    info: TableInfo | None,
    state: PackState | None,
) -> list[Statement]:
    """Return the statements that bring one table up to the per-table contract.

    ``info``/``state`` come from the catalog; ``None`` (no database) means every
    piece is emitted in its idempotent form.
    """
    statements: list[Statement] = []
    for spec in SYNC_COLUMNS:
        missing = spec.name not in info.columns if info is not None else add_missing_columns
        if missing:
            statements.append(render_add_column(table, spec))
    if info is None and not add_missing_columns:
        statements.append(_require_columns_statement(table))
    if info is None or not _trigger_is_current(info, STAMP_TRIGGER, "stamp_row", ()):
        statements.append(render_stamp_trigger(table))
    if info is None or not _trigger_is_current(
        info, TOMBSTONE_TRIGGER, "record_tombstone", (id_column, owner_column)
    ):
        statements.append(render_tombstone_trigger(table, id_column=id_column, owner_column=owner_column))
    if info is None or not _trigger_is_current(info, TRUNCATE_TRIGGER, "on_truncate", ()):
        statements.append(render_truncate_trigger(table))
    if info is None or not info.rls_enabled:
        statements.append(render_enable_rls(table))
    for command in POLICY_COMMANDS:
        if info is None or policy_name(command) not in info.policies:
            statements.append(render_owner_policy(table, command, owner_column=owner_column))
    if info is None or not has_owner_version_index(info, owner_column):
        statements.append(render_owner_version_index(table, owner_column=owner_column))
    if _needs_publication(info, state):
        statements.append(render_publication_membership(table))
    registration = info.registration if info is not None else None
    if (
        info is None
        or registration is None
        or (registration.owner_column, registration.id_column, registration.conflict_strategy)
        != (owner_column, id_column, conflict_strategy)
    ):
        statements.append(
            render_register_table(
                table, owner_column=owner_column, id_column=id_column, conflict_strategy=conflict_strategy
            )
        )
    return statements


def build_enable_plan(
    tables: Sequence[TableName],
    *,
    owner_column: str,
    conflict_strategy: str,
    add_missing_columns: bool,
    infos: dict[TableName, TableInfo] | None = None,
    id_columns: dict[TableName, str] | None = None,
    state: PackState | None = None,
) -> Plan:
    """Return the enable plan for ``tables`` (``infos`` from the catalog, or ``None``)."""
    plan = Plan("enable " + " ".join(str(table) for table in tables))
    plan.add(render_lock())
    registers = False
    for table in tables:
        statements = plan_table(
            table,
            owner_column=owner_column,
            id_column=(id_columns or {}).get(table, "id"),
            conflict_strategy=conflict_strategy,
            add_missing_columns=add_missing_columns,
            info=infos.get(table) if infos is not None else None,
            state=state,
        )
        registers = registers or any(statement.label.startswith("register ") for statement in statements)
        plan.extend(statements)
    if registers:
        plan.add(render_refresh_dependency_ranks())
    return plan


def enable(
    tables: Sequence[str] | str,
    *,
    db_url: str | None = None,
    owner_column: str = "user_id",
    add_missing_columns: bool = False,
    conflict_strategy: str = "reject",
    dry_run: bool = False,
    migrations_dir: str | Path | None = None,
    project_dir: str | Path | None = None,
) -> PlanResult:
    """Enable sync on ``tables`` (``"schema.table"`` names; quoted parts like Postgres).

    Same destinations as :func:`supabase_sync.install.install`. Against a
    database the tables are validated and only missing pieces are added;
    without ``add_missing_columns`` missing sync columns are an error that
    lists them. Enabling an enabled table changes nothing.
    """
    _check_options(owner_column=owner_column, conflict_strategy=conflict_strategy)
    parsed = _parse_tables(tables)
    target = resolve_target(db_url, migrations_dir=migrations_dir, project_dir=project_dir)
    migration = enable_migration_name(parsed)
    common = {
        "owner_column": owner_column,
        "conflict_strategy": conflict_strategy,
        "add_missing_columns": add_missing_columns,
    }
    if target.destination is Destination.MIGRATION:
        return run_plan(build_enable_plan(parsed, **common), target, dry_run=dry_run, migration_name=migration)
    assert target.db_url is not None
    with connection(target.db_url) as conn:
        state = read_pack_state(conn)
        _require_installed(state, target.db_url)
        infos: dict[TableName, TableInfo] = {}
        id_columns: dict[TableName, str] = {}
        for table in parsed:
            info = read_table(conn, table)
            id_columns[table] = validate_table(
                info, table, owner_column=owner_column, add_missing_columns=add_missing_columns
            )
            assert info is not None
            _check_index_name_free(conn, info, owner_column)
            infos[table] = info
        plan = build_enable_plan(parsed, **common, infos=infos, id_columns=id_columns, state=state)
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
        for trigger in SYNC_TRIGGERS:
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
        for table in parsed:
            info = read_table(conn, table)
            if info is None or info.registration is None:
                raise TableError(
                    f"table {table} is not enabled for sync",
                    hint="`supabase-sync status` lists the synced tables",
                )
        return run_plan(plan, target, dry_run=dry_run, migration_name=migration, conn=conn)
