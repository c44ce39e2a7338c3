"""Enables (and disables) sync on tables: the per-table contract of :mod:`supabase_sync.contract`.

For each table, enable adds what is missing: the sync columns, the sync
triggers, row level security with the owner (or sharing) policies, the
revoked TRUNCATE, the (owner, server_version, bucket) position index, Realtime
(``supabase_realtime`` membership or the broadcast trigger) and the registry
row, then recomputes the push order. Both modes judge the tables through
:func:`judge_tables`.

With a database URL it judges each table against the contract and plans
exactly its unmet requirements, so enabling an enabled table changes nothing;
a table lacking what only its owner can add (a primary key, a uuid owner
column) is refused with the fix. The plan runs online
(:mod:`supabase_sync.apply`): the DDL in one short transaction with a lock
timeout, retried with back-off, then each index built concurrently.

In a project folder (or ``--migrations-dir``) it first applies the folder's
migrations to a throwaway sandbox database and judges the tables there, with
the messages of direct mode, so a missing table, owner column, primary key or
install fails before any file is written. It then writes every requirement in
its idempotent form (``add column if not exists``, guarded policies, ``create
or replace trigger``): the DDL file, and the concurrent index builds in a file
of their own one second later. Both come from the contract's renderers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import psycopg

from supabase_sync.apply import Destination, PlanResult, connection, resolve_target, run_plan
from supabase_sync.catalog import PackState, TableInfo, read_pack_state, read_tables
from supabase_sync.compiled import (
    CompiledTable,
    compiled_step_applied,
    read_compiled_tables,
    render_compile,
    render_compile_all,
)
from supabase_sync.compiled.push import added_push_columns, read_push_facts
from supabase_sync.contract import (
    BIG_NUMBERS,
    REALTIME_MODES,
    BigNumbers,
    RealtimeMode,
    ADD_COLUMNS_FLAG,
    CONFLICT_STRATEGIES,
    ConflictStrategy,
    DatabaseFacts,
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
from supabase_sync.plan import Plan, Statement, Timeouts
from supabase_sync.progress import LogFunction, ignore
from supabase_sync.render.pack import render_lock
from supabase_sync.sharing import (
    SharingOptions,
    create_members_statement,
    default_member_columns,
    detect_members,
    membership_spec,
    scope_spec,
    scoped_spec,
)
from supabase_sync.sharing import check_options as check_sharing_options
from supabase_sync.render.table import (
    render_delete_tombstones,
    render_drop_column,
    render_drop_trigger,
    render_refresh_dependency_ranks,
    render_unregister_table,
)
from supabase_sync.sync_objects import ALL_SYNC_TRIGGERS, SHARING_TRIGGERS, SYNC_COLUMNS

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


def _require_installed(state: PackState, db_url: str | None, *, migrations_dir: Path | None = None) -> None:
    if state.installed:
        return
    if migrations_dir is not None:
        raise NotInstalled(
            f"supabase-sync is not installed by the migrations of {migrations_dir}",
            hint="run `supabase-sync install` first (it writes the install migration), then enable",
        )
    raise NotInstalled(
        f"supabase-sync is not installed in {mask_dsn(db_url or '')}",
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
            f"table {check.table} lacks the sync columns {', '.join(name or '' for name in missing if name)}"
            + "".join(f"; {verdict.problem}" for verdict in check.unmet if verdict.needs_flag and not verdict.requirement.column),
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


def build_enable_plan(
    checks: Sequence[TableCheck],
    *,
    warnings: Sequence[str] = (),
    created: Sequence[Statement] = (),
    new_tables: Sequence[TableSpec] = (),
    timeouts: Timeouts | None = None,
    compiled: Sequence[Statement] = (),
) -> Plan:
    """Return the enable plan meeting every unmet requirement of ``checks`` (judged on the catalog).

    ``compiled`` statements (:func:`compile_statements`) run last, after every DDL of the plan.

    ``created`` statements (first) create ``new_tables`` (a membership table
    enable creates), whose requirements follow in their idempotent form: the
    catalog has nothing to judge yet. Plan-level statements (the push order) run once,
    after every table's. The plan is online with ``timeouts`` (default: :class:`Timeouts`' defaults).
    """
    names = " ".join(str(table) for table in [*(c.table for c in checks), *(n.table for n in new_tables)])
    plan = Plan("enable " + names, timeouts=timeouts or Timeouts())
    plan.add(render_lock())
    plan.extend(list(created))
    then: dict[str, Statement] = {}
    for check in checks:
        for verdict in check.unmet:
            plan.extend(list(verdict.statements))
            then.update((statement.chunk(), statement) for statement in verdict.then)
    for spec in new_tables:
        statements, after = blind_statements(spec, add_missing_columns=True)
        plan.extend(statements)
        then.update((statement.chunk(), statement) for statement in after)
    plan.extend(list(then.values()))
    plan.extend(list(compiled))
    plan.warnings.extend(warnings)
    return plan


def compile_statements(conn: psycopg.Connection, checks: Sequence[TableCheck]) -> list[Statement]:
    """The statements compiling the per-table functions of ``checks``' tables (:mod:`supabase_sync.compiled`).

    A table gets them when the plan changes it (an unmet requirement) or when
    one of its compiled functions is missing, stale (a DDL change since) or
    from other templates; an enabled, unchanged, compiled table gets none.
    A pack without schema step 0011 (install it first) compiles nothing.
    """
    if not compiled_step_applied(conn):
        return []
    recorded = {
        table.table: table.compiled
        for table in read_compiled_tables(conn, [check.info.oid for check in checks if check.info.registration])
    }
    push_facts = read_push_facts(conn, {check.info.oid: check.spec.owner_column for check in checks if check.info.oid})
    statements: list[Statement] = []
    for check in checks:
        id_column = check.spec.id_column or (check.info.primary_key[0] if len(check.info.primary_key) == 1 else None)
        if id_column is None or id_column not in check.info.columns:
            continue
        push = push_facts.get(check.info.oid)
        table = CompiledTable(
            table=check.table,
            kind=check.spec.kind,
            owner_column=check.spec.owner_column,
            id_column=id_column,
            columns=tuple((column.name, column.type_name) for column in check.info.columns.values()),
            compiled=recorded.get(check.table, {}),
            # the columns as they will be after this plan, which adds the missing sync columns
            push=None if push is None else push.with_columns(added_push_columns(check.info.columns)),
            scope_column=check.spec.scope_column if check.spec.kind == "scoped" else None,
            scope_table=None
            if check.spec.kind != "scoped" or check.spec.scope is None
            else check.spec.scope.identifier.as_string(None),
        )
        if check.unmet or not table.current:
            statements.extend(render_compile(table))
    return statements


def build_blind_enable_plan(
    specs: Sequence[TableSpec],
    *,
    add_missing_columns: bool,
    created: Mapping[TableName, Statement] | None = None,
    timeouts: Timeouts | None = None,
) -> Plan:
    """Return the enable plan written without a catalog: every requirement in its idempotent form (online).

    ``created`` maps a table enable creates to the statement creating it, run before every requirement.
    """
    plan = Plan("enable " + " ".join(str(spec.table) for spec in specs), timeouts=timeouts or Timeouts())
    plan.add(render_lock())
    then: dict[str, Statement] = {}
    plan.extend(list((created or {}).values()))
    for spec in specs:
        statements, after = blind_statements(spec, add_missing_columns=add_missing_columns)
        plan.extend(statements)
        then.update((statement.chunk(), statement) for statement in after)
    plan.extend(list(then.values()))
    return plan


@dataclasses.dataclass(frozen=True)
class Judgement:
    """Tables judged against the contract: what enable plans from.

    ``checks`` hold the specs enable holds the tables to; ``warnings`` name
    referenced tables that are not synced; ``created`` are the statements
    creating tables enable creates (a membership table) and ``new_tables``
    their specs, whose requirements are planned in their idempotent form.
    """

    checks: list[TableCheck]
    warnings: list[str]
    created: list[Statement] = dataclasses.field(default_factory=list)
    new_tables: list[TableSpec] = dataclasses.field(default_factory=list)


def judge_tables(
    conn: psycopg.Connection,
    parsed: Sequence[TableName],
    *,
    owner_column: str,
    conflict_strategy: ConflictStrategy,
    add_missing_columns: bool,
    db_url: str | None,
    migrations_dir: Path | None = None,
    realtime: RealtimeMode = "postgres_changes",
    big_numbers: BigNumbers | None = None,
    sharing: SharingOptions | None = None,
) -> Judgement:
    """Judge ``parsed`` against the contract on ``conn``; refuse what enable cannot fix.

    The one judgement of both modes: the database itself (``--db-url``) and a
    project's migrated sandbox (``migrations_dir``, named in the refusals).
    ``sharing`` shapes the specs by the sharing options (and a shared table
    enabled again without them stays shared); None judges the tables as owner
    tables, as a migration written by convention is checked. Raises
    :class:`NotInstalled` or :class:`TableError`.
    """
    state = read_pack_state(conn)
    _require_installed(state, db_url, migrations_dir=migrations_dir)
    infos = read_tables(conn, parsed)
    for table in parsed:
        refuse_unsyncable(table, infos.get(table))
    database = read_database_facts(conn, parsed, state=state)
    specs = [
        spec_for(table, infos[table], owner_column=owner_column, conflict_strategy=conflict_strategy)
        for table in parsed
    ]
    created: list[Statement] = []
    new_tables: list[TableSpec] = []
    if sharing is not None and sharing.shared:
        specs, created, new_tables = _shared_specs(conn, specs, infos, database, sharing)
        infos = {**infos, **read_tables(conn, [spec.table for spec in specs if spec.table not in infos])}
    elif sharing is not None:
        # A shared table enabled again without sharing options stays shared (its registry row says how).
        specs = [_keep_sharing(spec, database) for spec in specs]
    # Every table enable names or creates gets the notification and big-numbers choices it is given.
    specs = [dataclasses.replace(spec, realtime=realtime, big_numbers=big_numbers) for spec in specs]
    new_tables = [dataclasses.replace(spec, realtime=realtime, big_numbers=big_numbers) for spec in new_tables]
    checks = [evaluate(spec, infos[spec.table], database) for spec in specs]
    for check in checks:
        refuse_unmet_by_hand(check, add_missing_columns=add_missing_columns)
    synced = {*parsed, *database.synced, *(spec.table for spec in new_tables)}
    warnings = [
        _unsynced_parent_warning(check.table, parent)
        for check in checks
        for parent in unsynced_parents(check, synced)
    ]
    return Judgement(checks, warnings, created, new_tables)


def _partitioned(checks: Sequence[TableCheck]) -> frozenset[str]:
    """The partitioned tables of ``checks`` as SQL text: their indexes cannot be built concurrently."""
    return frozenset(check.table.identifier.as_string(None) for check in checks if check.info.relkind == "p")


def _judge_in_sandbox(
    parsed: Sequence[TableName],
    migrations_dir: Path,
    *,
    owner_column: str,
    conflict_strategy: ConflictStrategy,
    add_missing_columns: bool,
    backend: str,
    sandbox_url: str | None,
) -> tuple[list[str], frozenset[str], dict[TableName, str]]:
    """Judge ``parsed`` in a throwaway database holding ``migrations_dir``'s migrations.

    Returns the warnings, the partitioned tables (see :func:`_partitioned`) and
    each table's primary key column as the migrated catalog has it, so the
    written file names it (a static index statement can be built concurrently;
    one that looks the key up as it runs cannot). It compiles nothing: the
    functions would be rendered from the sandbox's catalog and recorded fresh
    against whatever table the migration meets (docs/protocol.md "Compiled
    functions"); the generic path serves until enable or install runs against
    the database.
    """
    from supabase_sync.migrations import list_migrations  # noqa: PLC0415
    from supabase_sync.sandbox.migrated import migrated_database  # noqa: PLC0415 (starts servers; load lazily)

    if not migrations_dir.is_dir() or not list_migrations(migrations_dir):
        raise NotInstalled(
            f"supabase-sync is not installed by the migrations of {migrations_dir} (there are none)",
            hint="run `supabase-sync install` first (it writes the install migration), then enable",
        )
    # Quiet: a refusal is one line; the sandbox's own progress would bury it.
    with migrated_database(
        migrations_dir, purpose="enable", backend=backend, sandbox_url=sandbox_url, log=ignore
    ) as database, psycopg.connect(database.owner_dsn, autocommit=True) as conn:
        judgement = judge_tables(
            conn,
            parsed,
            owner_column=owner_column,
            conflict_strategy=conflict_strategy,
            add_missing_columns=add_missing_columns,
            db_url=None,
            migrations_dir=migrations_dir,
        )
    checks = judgement.checks
    return (
        judgement.warnings,
        _partitioned(checks),
        {check.table: check.spec.id_column for check in checks if check.spec.id_column},
    )


def enable(
    tables: Sequence[str] | str,
    *,
    db_url: str | None = None,
    owner_column: str = "user_id",
    add_missing_columns: bool = False,
    conflict_strategy: ConflictStrategy = "reject",
    realtime: RealtimeMode = "postgres_changes",
    big_numbers: BigNumbers | None = None,
    dry_run: bool = False,
    migrations_dir: str | Path | None = None,
    project_dir: str | Path | None = None,
    members: str | None = None,
    member_column: str | None = None,
    create_members: bool = False,
    scope_column: str | None = None,
    scope_through: str | None = None,
    timeouts: Timeouts | None = None,
    backend: str = "auto",
    sandbox_url: str | None = None,
    log: LogFunction | None = None,
    check_folder: bool = True,
) -> PlanResult:
    """Enable sync on ``tables`` (``"schema.table"`` names; quoted parts like Postgres).

    Sharing (DESIGN 3.4, :mod:`supabase_sync.sharing`): ``members`` makes the
    one table a scope table and enables its membership table (created first
    with ``create_members``; its user column detected or ``member_column``);
    ``scope_column`` makes each table a scoped table of the enabled scope
    table that column references; a table below a scoped table (its
    ``scope_through`` column, or its one foreign key to a scoped table) gets
    the scope column added with ``add_missing_columns``, kept equal to the
    parent's by a trigger.

    Same destinations as :func:`supabase_sync.install.install`. Every table is
    judged against the per-table contract (:mod:`supabase_sync.contract`): in
    the database, or for a migrations folder in a sandbox database holding its
    migrations (``backend``/``sandbox_url`` choose the sandbox, as for verify).
    A table lacking what only its owner can add (primary key, owner column...)
    is refused, and without ``add_missing_columns`` so is one lacking sync
    columns; a missing install is refused too; nothing is written then.
    Against a database only the unmet requirements are planned, so enabling an
    enabled table changes nothing. The plan runs online with ``timeouts``
    (default :class:`Timeouts`); ``log`` receives its retries and the progress of
    long index builds. The result's warnings name referenced tables that are not synced.
    ``check_folder`` False skips the sandbox check of a migrations folder (only
    to re-render files already written, as ``examples/todo/regenerate.py`` does).
    """
    _check_options(owner_column=owner_column, conflict_strategy=conflict_strategy)
    if realtime not in REALTIME_MODES:
        raise ConfigError(
            f"unknown realtime mode {realtime!r}", hint=f"use one of: {', '.join(REALTIME_MODES)}"
        )
    if big_numbers is not None and big_numbers not in BIG_NUMBERS:
        raise ConfigError(
            f"unknown big-numbers choice {big_numbers!r}",
            hint=f"use --big-numbers {' or '.join(BIG_NUMBERS)} (or leave it out for the pack default)",
        )
    parsed = _parse_tables(tables)
    limits = timeouts or Timeouts()
    sharing = SharingOptions(
        members=_parse_tables(members)[0] if members else None,
        member_column=member_column,
        create_members=create_members,
        scope_column=scope_column,
        scope_through=scope_through,
    )
    check_sharing_options(sharing, parsed)
    target = resolve_target(db_url, migrations_dir=migrations_dir, project_dir=project_dir)
    migration = enable_migration_name([*parsed, *([sharing.members] if sharing.members else [])])
    if target.destination is Destination.MIGRATION:
        assert target.migrations_dir is not None
        warnings, partitioned, id_columns = ([], frozenset(), {}) if not check_folder else _judge_in_sandbox(
            parsed,
            target.migrations_dir,
            owner_column=owner_column,
            conflict_strategy=conflict_strategy,
            add_missing_columns=add_missing_columns,
            backend=backend,
            sandbox_url=sandbox_url,
        )
        specs = [
            dataclasses.replace(
                spec, id_column=id_columns.get(spec.table, spec.id_column), realtime=realtime, big_numbers=big_numbers
            )
            for spec in _blind_specs(parsed, owner_column=owner_column, conflict_strategy=conflict_strategy, sharing=sharing)
        ]
        created = {specs[1].table: create_members_statement(specs[0])} if sharing.create_members else None
        plan = build_blind_enable_plan(specs, add_missing_columns=add_missing_columns, created=created, timeouts=limits)
        plan.warnings.extend(warnings)
        plan.index_in_transaction = partitioned
        return run_plan(plan, target, dry_run=dry_run, migration_name=migration)
    assert target.db_url is not None
    with connection(target.db_url) as conn:
        judgement = judge_tables(
            conn,
            parsed,
            owner_column=owner_column,
            conflict_strategy=conflict_strategy,
            add_missing_columns=add_missing_columns,
            db_url=target.db_url,
            realtime=realtime,
            big_numbers=big_numbers,
            sharing=sharing,
        )
        plan = build_enable_plan(
            judgement.checks,
            warnings=judgement.warnings,
            created=judgement.created,
            new_tables=judgement.new_tables,
            timeouts=limits,
            compiled=compile_statements(conn, judgement.checks),
        )
        plan.index_in_transaction = _partitioned(judgement.checks)
        if judgement.new_tables:
            plan.notes.append(
                "then compiles the functions of "
                + ", ".join(str(spec.table) for spec in judgement.new_tables)
                + " (created by this plan)"
            )
        result = run_plan(plan, target, dry_run=dry_run, migration_name=migration, conn=conn, log=log)
        if judgement.new_tables and not dry_run and result.destination is Destination.DATABASE:
            result.executed.extend(_compile_created(conn, judgement.new_tables))
        return result


def _compile_created(conn: psycopg.Connection, new_tables: Sequence[TableSpec]) -> list[str]:
    """Compile the functions of tables the plan just created (a membership table), now that they exist.

    Before the plan ran there was no catalog to render them from; returns the SQL executed.
    """
    oids = [
        row[0]
        for spec in new_tables
        if (row := conn.execute("select pg_catalog.to_regclass(%s)::oid", (spec.table.identifier.as_string(conn),)).fetchone())
        and row[0] is not None
    ]
    statements = render_compile_all(read_compiled_tables(conn, oids))
    with conn.transaction():
        for statement in statements:
            conn.execute(statement.sql)
    return [statement.sql_text() for statement in statements]


def _keep_sharing(spec: TableSpec, database: DatabaseFacts) -> TableSpec:
    registration = database.synced.get(spec.table)
    if registration is None or registration.kind == "owner":
        return spec
    kept = TableSpec.from_registration(spec.table, registration, database.synced)
    return dataclasses.replace(
        kept, owner_column=spec.owner_column if not kept.membership else kept.owner_column,
        id_column=spec.id_column, conflict_strategy=spec.conflict_strategy,
    )


def _blind_specs(
    tables: Sequence[TableName], *, owner_column: str, conflict_strategy: ConflictStrategy, sharing: SharingOptions
) -> list[TableSpec]:
    """The specs of a migration written without a catalog (sharing columns by convention)."""
    if sharing.members is not None:
        (table,) = tables
        scope_column, member_column = default_member_columns(table, sharing.member_column)
        scope = scope_spec(
            table, owner_column=owner_column, id_column=None, conflict_strategy=conflict_strategy, id_type="uuid",
            member_scope_column=scope_column, member_column=member_column, members=sharing.members,
        )
        return [scope, membership_spec(scope, id_column=None)]
    if sharing.scope_column is not None:
        return [
            scoped_spec(
                table, None, scope_column=sharing.scope_column, owner_column=owner_column, id_column=None,
                conflict_strategy=conflict_strategy, synced={}, scope_through=sharing.scope_through,
            )
            for table in tables
        ]
    return [
        TableSpec(table, owner_column=owner_column, id_column=None, conflict_strategy=conflict_strategy)
        for table in tables
    ]


def _shared_specs(
    conn: psycopg.Connection,
    specs: list[TableSpec],
    infos: Mapping[TableName, TableInfo],
    database: DatabaseFacts,
    sharing: SharingOptions,
) -> tuple[list[TableSpec], list[Statement], list[TableSpec]]:
    """The judged specs, the statements creating tables and the specs of the tables they create."""
    if sharing.scope_column is not None:
        parents = {fk.parent for spec in specs for fk in infos[spec.table].foreign_keys}
        parent_infos = read_tables(conn, sorted(parents, key=str))
        scoped = [
            scoped_spec(
                spec.table, infos[spec.table], scope_column=sharing.scope_column, owner_column=spec.owner_column,
                id_column=spec.id_column, conflict_strategy=spec.conflict_strategy, synced=database.synced,
                scope_through=sharing.scope_through, parent_infos=parent_infos,
            )
            for spec in specs
        ]
        return scoped, [], []
    assert sharing.members is not None
    (plain,) = specs
    info = infos[plain.table]
    id_type = info.columns[plain.id_column].type_name if plain.id_column in info.columns else "uuid"
    members_info = read_tables(conn, [sharing.members]).get(sharing.members)
    if sharing.create_members:
        if members_info is not None:
            raise TableError(
                f"{sharing.members} already exists, so --create-members cannot create it",
                hint="drop --create-members to use the existing table as the membership table",
            )
        scope_column, member_column = default_member_columns(plain.table, sharing.member_column)
        scope = scope_spec(
            plain.table, owner_column=plain.owner_column, id_column=plain.id_column,
            conflict_strategy=plain.conflict_strategy, id_type=id_type, member_scope_column=scope_column,
            member_column=member_column, members=sharing.members,
        )
        return [scope], [create_members_statement(scope)], [membership_spec(scope, id_column="id")]
    if members_info is None:
        raise TableError(
            f"membership table {sharing.members} not found",
            hint="create it (a foreign key to the scope table, a uuid user column, a text role), or pass --create-members",
        )
    refuse_unsyncable(sharing.members, members_info)
    scope_column, member_column = detect_members(
        plain.table, sharing.members, members_info, owner_column=plain.owner_column, member_column=sharing.member_column
    )
    scope = scope_spec(
        plain.table, owner_column=plain.owner_column, id_column=plain.id_column,
        conflict_strategy=plain.conflict_strategy, id_type=id_type, member_scope_column=scope_column,
        member_column=member_column, members=sharing.members,
    )
    members_id = members_info.primary_key[0] if len(members_info.primary_key) == 1 else "id"
    return [scope, membership_spec(scope, id_column=members_id)], [], []


def build_disable_plan(tables: Sequence[TableName], *, drop_data: bool) -> Plan:
    """Return the disable plan: drop the triggers, unregister, recompute the push order.

    Owner policies, RLS, the index and Realtime membership stay: they protect
    and serve the app's data. ``drop_data`` also deletes the tables' tombstones
    and drops their server-maintained columns.
    """
    plan = Plan("disable " + " ".join(str(table) for table in tables))
    plan.add(render_lock())
    for table in tables:
        for trigger in (*ALL_SYNC_TRIGGERS, *SHARING_TRIGGERS):
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
