"""The per-table contract: what a synced table must have, one requirement at a time.

This module is the one model of a synced table's health. Each
:class:`Requirement` has a stable key (``trigger.stamp``, ``policy.update``...),
a family (the ``verify`` check that reports it: ``structure.<family>``), a
check of the catalog facts (:mod:`supabase_sync.catalog`) and the statements
that meet it, built by the same renderers (:mod:`supabase_sync.render.table`)
for everyone:

- ``enable`` plans exactly the statements of the unmet requirements, and
  refuses a table when an unmet requirement is one only its owner can meet
  (a missing primary key, a nullable owner column);
- ``status`` reports every unmet requirement with the command that fixes it;
- ``lint`` (SS008-SS011, SS014-SS016) and ``verify`` (``structure.*``) render
  the unmet requirements of their families.

A table's kind selects its requirements (DESIGN 3.4: owner, scope, scoped);
only the owner kind exists so far. Policies count by what they do, not by
name: a permissive policy for the command, applying to ``authenticated``, whose
condition is exactly ``auth.uid() = <owner column>``. A renamed owner policy
meets its requirement; a policy carrying the contract's name but another
condition does not (enable replaces it).

To add a requirement: write its check (``Subject -> Problem | None``) and,
when enable can meet it, its renderer; append a :class:`Requirement` to the
kind's tuple in :data:`REQUIREMENTS` (its position is its place in enable's
plan); read any new fact in :func:`supabase_sync.catalog.read_tables`; map its
family to a lint rule (``supabase_sync.lint.rules``) if it is a new family. The
agreement test (``tests/test_contract.py``) then holds enable, status, lint and
verify to it.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import psycopg
from psycopg import sql

from supabase_sync import policy_text
from supabase_sync.catalog import (
    PackState,
    Policy,
    Registration,
    TableInfo,
    existing_relations,
    read_half_enabled_tables,
    read_pack_state,
    read_synced_tables,
    read_tables,
)
from supabase_sync.errors import TableError
from supabase_sync.names import TableName, display_identifier
from supabase_sync.plan import Statement
from supabase_sync.render.table import (
    render_add_column,
    render_drop_policy,
    render_enable_rls,
    render_owner_policy,
    render_owner_version_index,
    render_broadcast_trigger,
    render_publication_membership,
    render_publication_removal,
    render_register_realtime,
    render_refresh_dependency_ranks,
    render_register_table,
    render_revoke_truncate,
    render_require_columns,
    render_require_primary_key,
    render_set_not_null,
    render_stamp_trigger,
    render_tombstone_trigger,
    render_truncate_trigger,
)
from supabase_sync.sync_objects import (
    DELETED_ROWS_TABLE,
    ID_TYPES,
    BROADCAST_TRIGGER,
    PACK_SCHEMA,
    POLICY_COMMANDS,
    REALTIME_PUBLICATION,
    STAMP_TRIGGER,
    SYNC_COLUMNS,
    TOMBSTONE_TRIGGER,
    TRUNCATE_TRIGGER,
    SyncColumn,
    owner_version_index_name,
    policy_name,
)

#: How a synced table is shared (DESIGN 3.4). Only ``owner`` is built so far.
TableKind = Literal["owner"]

#: How a push that conflicts with a newer server change is resolved.
ConflictStrategy = Literal["reject", "lww"]
CONFLICT_STRATEGIES: tuple[ConflictStrategy, ...] = get_args(ConflictStrategy)
#: How a synced table notifies clients (``enable --realtime``): Broadcast of the row id to the owner's private
#: topic, Supabase's Postgres Changes (the publication; DELETE events reach every subscriber), or neither.
RealtimeMode = Literal["postgres_changes", "broadcast", "off"]
REALTIME_MODES: tuple[RealtimeMode, ...] = get_args(RealtimeMode)

#: Roles PostgREST requests run as; a policy for one of them is reachable through the Data API.
API_ROLES = frozenset({"public", "anon", "authenticated"})

#: The enable option that lets it add missing sync columns.
ADD_COLUMNS_FLAG = "--add-missing-columns"

#: Schemas whose tables belong to Supabase's services, PostgreSQL or supabase-sync itself:
#: their tables are never synced (and must not get sync columns, triggers or policies).
MANAGED_SCHEMAS = {
    "auth": "Supabase Auth",
    "storage": "Supabase Storage",
    "realtime": "Supabase Realtime",
    "supabase_functions": "Supabase Edge Functions",
    "supabase_migrations": "the Supabase CLI",
    "graphql": "pg_graphql",
    "graphql_public": "pg_graphql",
    "extensions": "Supabase (extensions)",
    "pgsodium": "pgsodium",
    "vault": "Supabase Vault",
    "net": "pg_net",
    "cron": "pg_cron",
    "pg_catalog": "PostgreSQL",
    "information_schema": "PostgreSQL",
    PACK_SCHEMA: "supabase-sync",
}


def refuse_managed_schema(table: TableName) -> None:
    """Raise :class:`TableError` when ``table`` lives in a schema another system manages."""
    manager = MANAGED_SCHEMAS.get(table.schema)
    if manager is None:
        return
    raise TableError(
        f"{table} cannot be synced: schema {table.schema} is managed by {manager}",
        hint="sync tables of your own (e.g. in public); keep per-user data in a table that "
        "references auth.users through its owner column",
    )


# --- the model -----------------------------------------------------------------------


@dataclass(frozen=True)
class TableSpec:
    """What a synced table is meant to be: its kind and the columns and strategy it is synced with.

    ``enable`` builds it from its options and the table's primary key; status,
    lint and verify from the table's registry row. ``id_column`` None means
    "the table's single-column primary key, whatever it is called", resolved by
    the statements themselves when they run (a migration written without
    reading the catalog).
    """

    table: TableName
    owner_column: str = "user_id"
    id_column: str | None = "id"
    conflict_strategy: ConflictStrategy = "reject"
    kind: TableKind = "owner"
    realtime: RealtimeMode = "postgres_changes"

    @classmethod
    def from_registration(cls, table: TableName, registration: Registration) -> TableSpec:
        """The spec a registry row records."""
        strategy: ConflictStrategy = "lww" if registration.conflict_strategy == "lww" else "reject"
        realtime: RealtimeMode = next(
            (mode for mode in REALTIME_MODES if mode == registration.realtime), "postgres_changes"
        )
        return cls(table, registration.owner_column, registration.id_column, strategy, realtime=realtime)


@dataclass(frozen=True)
class DatabaseFacts:
    """What requirements need beyond the table itself.

    ``synced`` holds every registered table (for the push order);
    ``taken_names`` the relation names, among those enable would create, that
    something already holds.
    """

    realtime_publication: bool
    synced: Mapping[TableName, Registration] = field(default_factory=dict)
    taken_names: frozenset[TableName] = frozenset()


@dataclass(frozen=True)
class Subject:
    """One table under examination: its spec, its catalog facts and the database's."""

    spec: TableSpec
    info: TableInfo
    database: DatabaseFacts

    @property
    def table(self) -> TableName:
        """The table's name."""
        return self.spec.table


@dataclass(frozen=True)
class Problem:
    """Why a requirement is unmet, and what meets it.

    ``statements`` replace the requirement's own statements when meeting it
    takes more (a wrong policy is dropped first). ``manual`` says what only the
    table's owner can do (enable refuses the table); ``manual_sql`` is SQL that
    does it, when one statement can. ``needs_flag`` names the enable option
    without which enable may not meet it.
    """

    text: str
    statements: tuple[Statement, ...] | None = None
    manual: str | None = None
    manual_sql: tuple[Statement, ...] = ()
    needs_flag: str | None = None


Check = Callable[[Subject], Problem | None]
Render = Callable[[TableSpec], Sequence[Statement]]


def _nothing(_spec: TableSpec) -> Sequence[Statement]:
    return ()


def _always(_subject: Subject) -> str | None:
    return None


@dataclass(frozen=True)
class Requirement:
    """One thing a synced table must have.

    ``check`` returns a :class:`Problem` when the table lacks it; ``render``
    returns the idempotent statements that meet it (what enable writes into a
    migration without reading the catalog); ``then`` statements run once per
    plan, after every table's (the push order); ``applies`` returns why it does
    not apply to a table, or None; ``column`` names the sync column it adds.
    """

    key: str
    family: str
    title: str
    check: Check
    render: Render = _nothing
    then: Callable[[], Sequence[Statement]] = lambda: ()
    applies: Callable[[Subject], str | None] = _always
    column: str | None = None


State = Literal["met", "unmet", "not applicable"]


@dataclass(frozen=True)
class Verdict:
    """One requirement judged on one table.

    ``problem`` says what is wrong (unmet) or why it does not apply;
    ``statements`` (then ``then``) are what enable runs to meet it, empty when
    only the owner can (``manual``).
    """

    requirement: Requirement
    table: TableName
    state: State
    problem: str = ""
    statements: tuple[Statement, ...] = ()
    then: tuple[Statement, ...] = ()
    manual: str | None = None
    manual_sql: tuple[Statement, ...] = ()
    needs_flag: str | None = None

    @property
    def key(self) -> str:
        """The requirement's stable key."""
        return self.requirement.key

    @property
    def family(self) -> str:
        """The requirement's family (the ``structure.<family>`` check of verify)."""
        return self.requirement.family

    @property
    def met(self) -> bool:
        """True when met or not applicable."""
        return self.state != "unmet"

    @property
    def repairable(self) -> bool:
        """True when enable can meet it (possibly only with :attr:`needs_flag`)."""
        return self.manual is None

    def fix_statements(self) -> tuple[Statement, ...]:
        """The statements that meet it: enable's, else the owner's fix when one statement can; may be empty."""
        return (*self.statements, *self.then) if self.repairable else self.manual_sql

    def fix_sql(self) -> str:
        """The SQL of :meth:`fix_statements`, one statement after the other."""
        return "\n".join(statement.sql_text() for statement in self.fix_statements())


@dataclass(frozen=True)
class TableCheck:
    """Every requirement of one table, judged."""

    spec: TableSpec
    info: TableInfo
    verdicts: tuple[Verdict, ...]

    @property
    def table(self) -> TableName:
        """The table's name."""
        return self.spec.table

    @property
    def unmet(self) -> list[Verdict]:
        """The requirements the table does not meet, in contract order."""
        return [verdict for verdict in self.verdicts if verdict.state == "unmet"]

    @property
    def passed(self) -> bool:
        """True when every requirement is met (or does not apply)."""
        return not self.unmet

    def family(self, family: str) -> list[Verdict]:
        """The verdicts of one family."""
        return [verdict for verdict in self.verdicts if verdict.family == family]


# --- checks of the owner kind ------------------------------------------------------------


def _check_primary_key(subject: Subject) -> Problem | None:
    info, table = subject.info, subject.table
    if not info.primary_key:
        return Problem(
            f"table {table} has no primary key",
            manual=f"add one: alter table {table} add primary key (id) -- a uuid or text id",
        )
    if len(info.primary_key) > 1:
        return Problem(
            f"table {table} has a composite primary key ({', '.join(info.primary_key)})",
            manual="sync needs a single-column primary key (uuid or text); add an id column as the key",
        )
    (key,) = info.primary_key
    id_type = info.columns[key].type_name
    if id_type not in ID_TYPES:
        return Problem(
            f"the primary key {key} of {table} is {id_type}",
            manual="sync needs a uuid or text key that clients can generate offline",
        )
    if key != subject.spec.id_column:
        return Problem(
            f"{table} is registered with id column {subject.spec.id_column}, but its primary key is {key}",
            manual=f"run `{enable_command(subject.spec)}` again to register its primary key",
        )
    return None


def _check_owner_column(subject: Subject) -> Problem | None:
    table, owner = subject.table, subject.spec.owner_column
    column = subject.info.columns.get(owner)
    if column is None:
        return Problem(
            f"table {table} has no owner column {owner}",
            manual=f"pass --owner-column NAME, or add it: alter table {table} add column "
            f"{display_identifier(owner)} uuid not null references auth.users",
        )
    if column.type_name != "uuid":
        return Problem(
            f"the owner column {owner} of {table} is {column.type_name}, not uuid",
            manual="the owner column holds auth.uid(): make it uuid, or pass --owner-column with the uuid column",
        )
    return None


def _owner_column_exists(subject: Subject) -> str | None:
    if subject.spec.owner_column in subject.info.columns:
        return None
    return f"{subject.table} has no owner column {subject.spec.owner_column}"


def _check_owner_not_null(subject: Subject) -> Problem | None:
    info, table, owner = subject.info, subject.table, subject.spec.owner_column
    if info.columns[owner].not_null or owner in info.not_null_checks:
        return None
    return Problem(
        f"owner column {table}.{display_identifier(owner)} is nullable: a row without an owner is invisible to "
        "everyone and never syncs",
        manual="give every row an owner, then make the column not null",
        manual_sql=(render_set_not_null(table, owner),),
    )


def _column_requirement(spec_column: SyncColumn) -> Requirement:
    def check(subject: Subject) -> Problem | None:
        found = subject.info.columns.get(spec_column.name)
        if found is None:
            return Problem(f"table {subject.table} lacks column {spec_column.name}", needs_flag=ADD_COLUMNS_FLAG)
        if found.type_name != spec_column.type_name:
            return Problem(
                f"{subject.table}.{spec_column.name} is {found.type_name}, not {spec_column.type_name}",
                manual="alter or rename that column; supabase-sync never rewrites your columns",
            )
        return None

    return Requirement(
        key=f"column.{spec_column.name}",
        family="columns",
        title=f"column `{spec_column.name} {spec_column.type_name}`",
        check=check,
        render=lambda spec: (render_add_column(spec.table, spec_column),),
        column=spec_column.name,
    )


@dataclass(frozen=True)
class _ExpectedTrigger:
    name: str
    function: str
    timing: str
    events: frozenset[str]
    for_each_row: bool
    old_table: str | None = None


def _trigger_requirement(
    key: str, expected: _ExpectedTrigger, arguments: Callable[[TableSpec], tuple[str, ...]], render: Render, title: str
) -> Requirement:
    def check(subject: Subject) -> Problem | None:
        found = subject.info.triggers.get(expected.name)
        if found is None:
            return Problem(f"trigger {expected.name} is missing on {subject.table}")
        wrong = []
        if (found.function_schema, found.function_name) != (PACK_SCHEMA, expected.function):
            wrong.append(
                f"calls {display_identifier(found.function_schema)}.{display_identifier(found.function_name)}()"
                f" instead of {PACK_SCHEMA}.{expected.function}()"
            )
        if found.arguments != arguments(subject.spec):
            wrong.append(f"has arguments {found.arguments!r}, not {arguments(subject.spec)!r}")
        shape = (found.timing, found.events, found.for_each_row, found.old_table)
        if shape != (expected.timing, expected.events, expected.for_each_row, expected.old_table):
            wrong.append(f"does not fire {expected.timing} {' or '.join(sorted(expected.events))}")
        if not found.enabled:
            wrong.append("is disabled")
        if not wrong:
            return None
        return Problem(f"trigger {expected.name} on {subject.table} {', '.join(wrong)}")

    return Requirement(key=key, family="triggers", title=title, check=check, render=render)


def _check_rls(subject: Subject) -> Problem | None:
    if subject.info.rls_enabled:
        return None
    return Problem(f"row level security is off on {subject.table}: every role with a grant reads and writes every row")


def _applies_to_api_users(policy: Policy) -> bool:
    return bool({"authenticated", "public"}.intersection(policy.roles))


def _why_not_owner_policy(policy: Policy, command: str, owner_column: str) -> str | None:
    """Why ``policy`` does not give authenticated users ``command`` on exactly their own rows, or None."""
    if policy.command not in (command, "all"):
        return f"it is for {policy.command}"
    if not policy.permissive:
        return "it is restrictive"
    if not _applies_to_api_users(policy):
        return f"it applies to {', '.join(policy.roles)}, not authenticated"
    # PostgreSQL checks new rows of an update (or all) policy without WITH CHECK against USING.
    check = policy.check_expression if policy.check_expression is not None else policy.using_expression
    needs_using = command in ("select", "update", "delete")
    needs_check = command in ("insert", "update")
    if needs_using and not policy_text.is_owner_predicate(policy.using_expression, owner_column):
        return f"its using is {policy.using_expression}, not (select auth.uid()) = {display_identifier(owner_column)}"
    if needs_check and not policy_text.is_owner_predicate(check, owner_column):
        return f"its with check is {check}, not (select auth.uid()) = {display_identifier(owner_column)}"
    return None


def _policy_requirement(command: str) -> Requirement:
    name = policy_name(command)

    def check(subject: Subject) -> Problem | None:
        table, owner = subject.table, subject.spec.owner_column
        named = subject.info.policies.get(name)
        if named is not None:
            reason = _why_not_owner_policy(named, command, owner)
            if reason is not None:
                return Problem(
                    f'policy "{name}" on {table} is not the owner policy for {command}: {reason}',
                    statements=(render_drop_policy(table, name), render_owner_policy(table, command, owner_column=owner)),
                )
        if any(_why_not_owner_policy(policy, command, owner) is None for policy in subject.info.policies.values()):
            return None
        return Problem(
            f"{table} has no policy letting authenticated users {command} their own rows"
            " (with row level security on, those requests silently affect nothing)"
        )

    return Requirement(
        key=f"policy.{command}",
        family="policies",
        title=f"a permissive {command} policy for authenticated whose condition is (select auth.uid()) = owner",
        check=check,
        render=lambda spec: (render_owner_policy(spec.table, command, owner_column=spec.owner_column),),
    )


_CONTRACT_POLICY_NAMES = frozenset(policy_name(command) for command in POLICY_COMMANDS)


def _check_no_open_policy(subject: Subject) -> Problem | None:
    # Contract-named policies are judged (and replaced) by their own requirement.
    opened = [
        policy
        for policy in subject.info.policies.values()
        if policy.permissive
        and policy.name not in _CONTRACT_POLICY_NAMES
        and API_ROLES.intersection(policy.roles)
        and (policy_text.is_always_true(policy.using_expression) or policy_text.is_always_true(policy.check_expression))
    ]
    if not opened:
        return None
    described = ", ".join(
        f'"{policy.name}" ({policy.command}, '
        f"{'using' if policy_text.is_always_true(policy.using_expression) else 'with check'} (true))"
        for policy in opened
    )
    return Problem(
        f"{subject.table} has policies that let every user reach every row: {described}",
        manual="drop them: the owner policies give each user their own rows",
        manual_sql=tuple(render_drop_policy(subject.table, policy.name) for policy in opened),
    )


def _check_owner_version_index(subject: Subject) -> Problem | None:
    table, owner = subject.table, subject.spec.owner_column
    wanted = (owner, "server_version")
    if any(index.columns[:2] == wanted and not index.partial and index.valid for index in subject.info.indexes):
        return None
    name = TableName(table.schema, owner_version_index_name(table.name))
    if name in subject.database.taken_names:
        return Problem(
            f"{name} already exists, so the (owner, server_version) index of {table} cannot take that name",
            manual="rename that relation (drop it if it is an invalid or outdated index), then run enable again",
        )
    return Problem(
        f"{table} has no index on ({display_identifier(owner)}, server_version): every incremental pull scans the"
        " whole table"
    )


def _publication_exists(subject: Subject) -> str | None:
    if subject.spec.realtime != "postgres_changes":
        return f"{subject.table} notifies through realtime {subject.spec.realtime}, not Postgres Changes"
    if subject.database.realtime_publication:
        return None
    return f"the database has no {REALTIME_PUBLICATION} publication"


def _not_postgres_changes(subject: Subject) -> str | None:
    if subject.spec.realtime == "postgres_changes":
        return f"{subject.table} notifies through Postgres Changes (enable --realtime postgres_changes)"
    return None


def _check_not_published(subject: Subject) -> Problem | None:
    if REALTIME_PUBLICATION not in subject.info.publications:
        return None
    return Problem(
        f"{subject.table} is in the {REALTIME_PUBLICATION} publication although it syncs with realtime"
        f" {subject.spec.realtime}: Postgres Changes sends its DELETE events (row ids) to every subscriber"
    )


def _broadcasts(subject: Subject) -> str | None:
    if subject.spec.realtime == "broadcast":
        return None
    return f"{subject.table} does not notify through Broadcast (enable --realtime broadcast)"


def _check_broadcast_trigger(subject: Subject) -> Problem | None:
    found = subject.info.triggers.get(BROADCAST_TRIGGER)
    id_column = subject.spec.id_column or (subject.info.primary_key[0] if subject.info.primary_key else "id")
    expected = (id_column,)
    if found is None:
        return Problem(f"trigger {BROADCAST_TRIGGER} is missing on {subject.table}: clients are not notified")
    if (found.function_schema, found.function_name) != (PACK_SCHEMA, "broadcast_change") or not found.enabled:
        return Problem(f"trigger {BROADCAST_TRIGGER} on {subject.table} does not call {PACK_SCHEMA}.broadcast_change()")
    if found.arguments[1:] != (subject.spec.owner_column,) or found.arguments[:1] != expected:
        return Problem(f"trigger {BROADCAST_TRIGGER} on {subject.table} has arguments {found.arguments!r}")
    return None


def _check_realtime_registered(subject: Subject) -> Problem | None:
    registration = subject.info.registration
    assert registration is not None  # applies only to registered tables
    if registration.realtime == subject.spec.realtime:
        return None
    return Problem(f"{subject.table} is registered with realtime {registration.realtime}, not {subject.spec.realtime}")


def _check_publication(subject: Subject) -> Problem | None:
    if REALTIME_PUBLICATION in subject.info.publications:
        return None
    return Problem(
        f"{subject.table} is not in the {REALTIME_PUBLICATION} publication: realtime subscribers miss its changes"
    )


def _check_no_truncate(subject: Subject) -> Problem | None:
    roles = sorted(subject.info.truncate_roles)
    if not roles:
        return None
    return Problem(
        f"{', '.join(roles)} may TRUNCATE {subject.table}: truncate bypasses row level security, so one user can"
        " empty the table for everyone (and force every client to resync)"
    )


def _check_registry_row(subject: Subject) -> Problem | None:
    spec, registration = subject.spec, subject.info.registration
    if registration is None:
        return Problem(
            f"{subject.table} has no row in supabase_sync.synced_table: sync_pull and sync_push ignore it"
        )
    recorded = (registration.owner_column, registration.id_column, registration.conflict_strategy)
    if recorded == (spec.owner_column, spec.id_column, spec.conflict_strategy):
        return None
    return Problem(
        f"{subject.table} is registered with owner column {recorded[0]}, id column {recorded[1]} and"
        f" {recorded[2]}, not {spec.owner_column}, {spec.id_column} and {spec.conflict_strategy}"
    )


def _registered(subject: Subject) -> str | None:
    if subject.info.registration is not None:
        return None
    return f"{subject.table} is not registered yet"


def _check_push_order(subject: Subject) -> Problem | None:
    own = subject.info.registration
    assert own is not None  # applies only to registered tables
    for foreign_key in subject.info.foreign_keys:
        parent = subject.database.synced.get(foreign_key.parent)
        if parent is None or foreign_key.parent == subject.table:
            continue
        if parent.dependency_rank >= own.dependency_rank:
            return Problem(
                f"{subject.table} (dependency_rank {own.dependency_rank}) references {foreign_key.parent}"
                f" (rank {parent.dependency_rank}), so a push could write the child before its parent"
            )
    return None


def _tombstone_arguments(spec: TableSpec) -> tuple[str, ...]:
    return (spec.id_column or "", spec.owner_column)


#: Requirements by table kind, in the order enable plans them.
REQUIREMENTS: dict[TableKind, tuple[Requirement, ...]] = {
    "owner": (
        Requirement(
            "table.primary_key",
            "registry",
            "a single-column uuid or text primary key (the id column)",
            _check_primary_key,
            render=lambda spec: (render_require_primary_key(spec.table),) if spec.id_column is None else (),
        ),
        Requirement("column.owner", "owner_column", "the owner column, a uuid (auth.uid())", _check_owner_column),
        Requirement(
            "column.owner_not_null",
            "owner_column",
            "the owner column is NOT NULL (or checked is not null)",
            _check_owner_not_null,
            applies=_owner_column_exists,
        ),
        *(_column_requirement(column) for column in SYNC_COLUMNS),
        _trigger_requirement(
            "trigger.stamp",
            _ExpectedTrigger(STAMP_TRIGGER, "stamp_row", "before", frozenset({"insert", "update"}), True),
            lambda spec: (),
            lambda spec: (render_stamp_trigger(spec.table),),
            f"trigger `{STAMP_TRIGGER}`: before insert or update, for each row, supabase_sync.stamp_row()",
        ),
        _trigger_requirement(
            "trigger.tombstone",
            _ExpectedTrigger(
                TOMBSTONE_TRIGGER, "record_tombstone", "after", frozenset({"delete"}), False, DELETED_ROWS_TABLE
            ),
            _tombstone_arguments,
            lambda spec: (
                render_tombstone_trigger(spec.table, id_column=spec.id_column, owner_column=spec.owner_column),
            ),
            f"trigger `{TOMBSTONE_TRIGGER}`: after delete, for each statement, "
            "supabase_sync.record_tombstone(id column, owner column)",
        ),
        _trigger_requirement(
            "trigger.truncate",
            _ExpectedTrigger(TRUNCATE_TRIGGER, "on_truncate", "after", frozenset({"truncate"}), False),
            lambda spec: (),
            lambda spec: (render_truncate_trigger(spec.table),),
            f"trigger `{TRUNCATE_TRIGGER}`: after truncate, supabase_sync.on_truncate()",
        ),
        Requirement(
            "rls.enabled",
            "rls_enabled",
            "row level security is on",
            _check_rls,
            render=lambda spec: (render_enable_rls(spec.table),),
        ),
        *(_policy_requirement(command) for command in POLICY_COMMANDS),
        Requirement(
            "policy.no_open",
            "policies",
            "no other permissive policy lets an API role reach every row (using or with check (true))",
            _check_no_open_policy,
        ),
        Requirement(
            "grants.no_truncate",
            "grants",
            "anon and authenticated hold no TRUNCATE privilege on it",
            _check_no_truncate,
            render=lambda spec: (render_revoke_truncate(spec.table),),
        ),
        Requirement(
            "index.owner_version",
            "owner_index",
            "a valid, non-partial index leading with (owner column, server_version)",
            _check_owner_version_index,
            render=lambda spec: (render_owner_version_index(spec.table, owner_column=spec.owner_column),),
        ),
        Requirement(
            "publication.realtime",
            "publication",
            f"a member of the {REALTIME_PUBLICATION} publication (when it exists)",
            _check_publication,
            render=lambda spec: (render_publication_membership(spec.table),),
            applies=_publication_exists,
        ),
        Requirement(
            "publication.not_exposed",
            "publication",
            f"not in the {REALTIME_PUBLICATION} publication when it notifies through Broadcast or not at all",
            _check_not_published,
            render=lambda spec: (render_publication_removal(spec.table),) if spec.realtime != "postgres_changes" else (),
            applies=_not_postgres_changes,
        ),
        Requirement(
            "trigger.broadcast",
            "triggers",
            f"trigger `{BROADCAST_TRIGGER}` (realtime broadcast): after insert, update or delete, for each row,"
            " supabase_sync.broadcast_change(id column, owner column)",
            _check_broadcast_trigger,
            render=lambda spec: (
                (render_broadcast_trigger(spec.table, id_column=spec.id_column, owner_column=spec.owner_column),)
                if spec.realtime == "broadcast"
                else ()
            ),
            applies=_broadcasts,
        ),
        Requirement(
            "registry.row",
            "registry",
            "a row in supabase_sync.synced_table with the owner column, id column and conflict strategy",
            _check_registry_row,
            render=lambda spec: (
                render_register_table(
                    spec.table,
                    owner_column=spec.owner_column,
                    id_column=spec.id_column,
                    conflict_strategy=spec.conflict_strategy,
                ),
            ),
            then=lambda: (render_refresh_dependency_ranks(),),
        ),
        Requirement(
            "registry.push_order",
            "registry",
            "its dependency_rank is above the rank of every synced table it references",
            _check_push_order,
            then=lambda: (render_refresh_dependency_ranks(),),
            applies=_registered,
        ),
        Requirement(
            "registry.realtime",
            "registry",
            "its realtime mode (synced_table.realtime) is the one it is enabled with",
            _check_realtime_registered,
            render=lambda spec: (render_register_realtime(spec.table, spec.realtime),),
            applies=_registered,
        ),
    ),
}

#: The families, in the order verify reports them, with what each checks.
FAMILIES: dict[str, str] = {
    "registry": "The table is registered with a single-column uuid or text id and ranks after every synced table it"
    " references.",
    "columns": "The table has the contract's client and server-maintained columns, of the contract's types.",
    "rls_enabled": "Row level security is enabled on the table.",
    "policies": "Authenticated users have an owner policy for select, insert, update and delete; no other policy"
    " opens every row.",
    "owner_column": "The owner column is a uuid that cannot be null.",
    "triggers": "The stamp, tombstone and truncate triggers call the pack's functions, fire on the right events"
    " and are enabled.",
    "grants": "The API roles (anon, authenticated) cannot TRUNCATE the table (truncate bypasses row level security).",
    "owner_index": "A valid index on (owner, server_version) serves incremental pulls.",
    "publication": "The table is in the supabase_realtime publication (when that publication exists).",
}


def requirements(kind: TableKind = "owner") -> tuple[Requirement, ...]:
    """The requirements of a table of ``kind``, in the order enable plans them."""
    return REQUIREMENTS[kind]


# --- judging tables ------------------------------------------------------------------------


def evaluate(spec: TableSpec, info: TableInfo, database: DatabaseFacts) -> TableCheck:
    """Judge ``info`` against every requirement of ``spec``'s kind."""
    subject = Subject(spec, info, database)
    return TableCheck(spec, info, tuple(_judge(requirement, subject) for requirement in requirements(spec.kind)))


def _judge(requirement: Requirement, subject: Subject) -> Verdict:
    reason = requirement.applies(subject)
    if reason is not None:
        return Verdict(requirement, subject.table, "not applicable", reason)
    problem = requirement.check(subject)
    if problem is None:
        return Verdict(requirement, subject.table, "met")
    manual = problem.manual is not None
    statements = problem.statements if problem.statements is not None else tuple(requirement.render(subject.spec))
    return Verdict(
        requirement,
        subject.table,
        "unmet",
        problem.text,
        statements=() if manual else statements,
        then=() if manual else tuple(requirement.then()),
        manual=problem.manual,
        manual_sql=problem.manual_sql,
        needs_flag=problem.needs_flag,
    )


def read_database_facts(
    conn: psycopg.Connection, tables: Sequence[TableName], *, state: PackState | None = None
) -> DatabaseFacts:
    """Read the database-wide facts the requirements of ``tables`` need."""
    state = state or read_pack_state(conn)
    synced = {entry.table: entry.registration for entry in read_synced_tables(conn)} if state.installed else {}
    candidates = [TableName(table.schema, owner_version_index_name(table.name)) for table in tables]
    return DatabaseFacts(
        realtime_publication=state.has_realtime_publication,
        synced=synced,
        taken_names=frozenset(existing_relations(conn, candidates)),
    )


def check_tables(
    conn: psycopg.Connection, specs: Sequence[TableSpec], *, state: PackState | None = None
) -> dict[TableName, TableCheck]:
    """Judge every table of ``specs`` that exists (in a few queries for all of them); missing ones are left out."""
    state = state or read_pack_state(conn)
    tables = [spec.table for spec in specs]
    infos = read_tables(conn, tables, registry=state.installed)
    database = read_database_facts(conn, tables, state=state)
    return {spec.table: evaluate(spec, infos[spec.table], database) for spec in specs if spec.table in infos}


def check_registered_tables(conn: psycopg.Connection, *, state: PackState | None = None) -> list[TableCheck]:
    """Judge every registered table, in push order (the pack must be installed)."""
    specs = [TableSpec.from_registration(entry.table, entry.registration) for entry in read_synced_tables(conn)]
    checked = check_tables(conn, specs, state=state)
    return [checked[spec.table] for spec in specs if spec.table in checked]


def check_half_enabled_tables(conn: psycopg.Connection, *, state: PackState | None = None) -> list[TableCheck]:
    """Judge every table with supabase_sync triggers but no registry row (its ``registry.row`` is unmet).

    The spec comes from its tombstone trigger's arguments (id and owner column),
    else the defaults.
    """
    specs = []
    for entry in read_half_enabled_tables(conn):
        arguments = [*entry.tombstone_arguments, "", ""]
        specs.append(TableSpec(entry.table, owner_column=arguments[1] or "user_id", id_column=arguments[0] or "id"))
    checked = check_tables(conn, specs, state=state)
    return [checked[spec.table] for spec in specs if spec.table in checked]


# --- rendering the fixes -----------------------------------------------------------------------


# --- foreign keys across owners (issue 11.3) -----------------------------------------------


@dataclass(frozen=True)
class CrossOwnerForeignKey:
    """A foreign key of a synced table to a synced parent that does not include the owner column.

    Through sync_push it cannot cross owners (the push checks parents as the
    caller), but a plain insert through the Data API can point a row at another
    user's row: that answers whether the id exists, and blocks (restrict) or
    rides on (cascade) the other user's deletes. Including the owner column in
    the key (a composite key to a unique (owner, id) of the parent) closes it.
    """

    table: TableName
    name: str
    column: str
    owner_column: str
    parent: TableName
    parent_owner_column: str
    parent_id_column: str

    @property
    def problem(self) -> str:
        """What is wrong, in one sentence."""
        return (
            f"foreign key {self.name} of {self.table} ({self.column}) references {self.parent} without the owner"
            f" column: a user can point a row at another user's {self.parent} row through the Data API"
        )

    def fix_sql(self) -> str:
        """Statements that make the key include the owner (keep the key's on delete action: edit it in)."""
        unique_index = sql.Identifier(f"{self.parent.name}_{self.parent_owner_column}_{self.parent_id_column}_key")
        statements = (
            sql.SQL("create unique index if not exists {index} on {parent} ({owner}, {id});").format(
                index=unique_index,
                parent=self.parent.identifier,
                owner=sql.Identifier(self.parent_owner_column),
                id=sql.Identifier(self.parent_id_column),
            ),
            sql.SQL(
                "alter table {table} drop constraint {fk},"
                " add constraint {fk} foreign key ({owner}, {column}) references {parent} ({parent_owner}, {id})"
                " on update cascade on delete cascade;"
            ).format(
                table=self.table.identifier,
                fk=sql.Identifier(self.name),
                owner=sql.Identifier(self.owner_column),
                column=sql.Identifier(self.column),
                parent=self.parent.identifier,
                parent_owner=sql.Identifier(self.parent_owner_column),
                id=sql.Identifier(self.parent_id_column),
            ),
        )
        return "\n".join(statement.as_string(None) for statement in statements)


def cross_owner_foreign_keys(checks: Sequence[TableCheck]) -> list[CrossOwnerForeignKey]:
    """The single-column foreign keys among the synced tables of ``checks`` that can cross owners."""
    specs = {check.table: check.spec for check in checks}
    found: list[CrossOwnerForeignKey] = []
    for check in checks:
        for foreign_key in check.info.foreign_keys:
            parent = specs.get(foreign_key.parent)
            if parent is None or check.spec.owner_column in foreign_key.columns or len(foreign_key.columns) != 1:
                continue
            found.append(
                CrossOwnerForeignKey(
                    table=check.table,
                    name=foreign_key.name,
                    column=foreign_key.columns[0],
                    owner_column=check.spec.owner_column,
                    parent=parent.table,
                    parent_owner_column=parent.owner_column,
                    parent_id_column=parent.id_column or "id",
                )
            )
    return found


def enable_command(spec: TableSpec, *, add_missing_columns: bool = False, db_url_argument: str | None = None) -> str:
    """The ``supabase-sync enable`` command line that brings ``spec``'s table up to the contract.

    ``db_url_argument`` is appended as ``--db-url`` verbatim (already quoted for a shell).
    """
    parts = ["supabase-sync", "enable", shlex.quote(spec.table.display)]
    parts += ["--owner-column", shlex.quote(spec.owner_column)]
    if spec.conflict_strategy != "reject":
        parts += ["--conflict-strategy", spec.conflict_strategy]
    if spec.realtime != "postgres_changes":
        parts += ["--realtime", spec.realtime]
    if add_missing_columns:
        parts.append(ADD_COLUMNS_FLAG)
    if db_url_argument:
        parts += ["--db-url", db_url_argument]
    return " ".join(parts)


def fix_command(check: TableCheck, *verdicts: Verdict, db_url_argument: str | None = None) -> str | None:
    """The enable command line that meets all of ``verdicts`` of ``check``'s table, or None when only the owner can."""
    if not all(verdict.repairable for verdict in verdicts):
        return None
    add_columns = any(verdict.needs_flag == ADD_COLUMNS_FLAG for verdict in verdicts)
    return enable_command(check.spec, add_missing_columns=add_columns, db_url_argument=db_url_argument)


def blind_statements(spec: TableSpec, *, add_missing_columns: bool) -> tuple[list[Statement], list[Statement]]:
    """Every statement of ``spec``'s requirements in its idempotent form, for a migration written without a catalog.

    Returns the table's statements and the plan-level ones (``then``). Without
    ``add_missing_columns`` the missing columns are not added: one check at the
    place of the first column stops the migration naming them.
    """
    statements: list[Statement] = []
    then: list[Statement] = []
    columns = [requirement.column for requirement in requirements(spec.kind) if requirement.column]
    for requirement in requirements(spec.kind):
        if requirement.column and not add_missing_columns:
            if requirement.column == columns[0]:
                statements.append(render_require_columns(spec.table, [name for name in columns if name]))
            continue
        statements.extend(requirement.render(spec))
        then.extend(requirement.then())
    return statements, then
