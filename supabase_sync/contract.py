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
    Index,
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
from supabase_sync.errors import SupabaseSyncError, TableError
from supabase_sync.names import TableName, display_identifier, parse_table_name, truncate_identifier
from supabase_sync.plan import Statement
from supabase_sync.render.table import (
    render_add_column,
    render_inherit_scope,
    render_membership_trigger,
    render_register_scope_through,
    render_register_sharing,
    render_scope_event_trigger,
    render_scope_move_trigger,
    render_scope_bucket_index,
    render_scope_position_index,
    render_version_bucket_index,
    render_shared_index,
    render_shared_policy,
    render_drop_policy,
    render_enable_rls,
    render_owner_policy,
    render_owner_version_index,
    render_broadcast_trigger,
    render_publication_membership,
    render_publication_removal,
    render_register_big_numbers,
    render_register_realtime,
    render_refresh_dependency_ranks,
    render_register_table,
    render_revoke_truncate,
    render_require_columns,
    render_require_primary_key,
    render_set_not_null,
    render_stamp_trigger,
    render_tombstone_trigger,
    render_transfer_trigger,
    render_truncate_trigger,
)
from supabase_sync.sync_objects import (
    DELETED_ROWS_TABLE,
    ID_TYPES,
    INHERIT_SCOPE_TRIGGER,
    MEMBERSHIP_TRIGGER,
    SCOPE_EVENT_TRIGGER,
    SCOPE_MOVE_TRIGGER,
    BROADCAST_TRIGGER,
    PACK_SCHEMA,
    POLICY_COMMANDS,
    REALTIME_PUBLICATION,
    STAMP_TRIGGER,
    SYNC_COLUMNS,
    TOMBSTONE_TRIGGER,
    TRANSFER_TRIGGER,
    TRUNCATE_TRIGGER,
    SyncColumn,
    owner_version_index_name,
    policy_name,
    shared_policy_name,
)

#: How a synced table is shared (DESIGN 3.4): by its owner, as a scope, or through a scope.
TableKind = Literal["owner", "scope", "scoped"]

#: How a push that conflicts with a newer server change is resolved.
ConflictStrategy = Literal["reject", "lww"]
CONFLICT_STRATEGIES: tuple[ConflictStrategy, ...] = get_args(ConflictStrategy)
#: How a synced table notifies clients (``enable --realtime``): Broadcast of the row id to the owner's private
#: topic, Supabase's Postgres Changes (the publication; DELETE events reach every subscriber), or neither.
RealtimeMode = Literal["postgres_changes", "broadcast", "off"]
REALTIME_MODES: tuple[RealtimeMode, ...] = get_args(RealtimeMode)
#: How a pull sends a table's int8 and numeric columns (``enable --big-numbers``): as exact JSON numbers, or as
#: JSON strings exactly as PostgreSQL prints them (JavaScript reads numbers as doubles). A spec's None leaves the
#: choice to the pack-wide default, ``supabase_sync.meta`` key ``big_numbers`` (``number`` unless set).
BigNumbers = Literal["number", "string"]
BIG_NUMBERS: tuple[BigNumbers, ...] = get_args(BigNumbers)

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
class ScopeParent:
    """The scoped table a deeper table copies its scope column from: ``fk_column`` references ``parent_key``."""

    parent: TableName
    parent_key: str
    fk_column: str
    parent_scope_column: str


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
    #: scope tables: the membership table, its column referencing the scope row, its user column.
    members: TableName | None = None
    member_scope_column: str | None = None
    member_column: str | None = None
    #: scoped tables: the scope table and the column holding its row's id.
    scope: TableName | None = None
    scope_column: str | None = None
    #: a scoped table that is the membership table of its scope (``member_column`` is its user column).
    membership: bool = False
    #: the type of the scope ids (the scope table's id), for the policies' casts.
    scope_id_type: str = "uuid"
    #: a table below a scoped table (doc_updates -> task): the parent whose scope column it copies.
    scope_parent: ScopeParent | None = None
    realtime: RealtimeMode = "postgres_changes"
    #: None: the pack-wide default (meta ``big_numbers``).
    big_numbers: BigNumbers | None = None

    @classmethod
    def from_registration(
        cls, table: TableName, registration: Registration, synced: Mapping[TableName, Registration] | None = None
    ) -> TableSpec:
        """The spec a registry row records (``synced``, every registration, tells membership tables apart)."""
        strategy: ConflictStrategy = "lww" if registration.conflict_strategy == "lww" else "reject"
        realtime: RealtimeMode = next(
            (mode for mode in REALTIME_MODES if mode == registration.realtime), "postgres_changes"
        )
        big_numbers: BigNumbers | None = next((mode for mode in BIG_NUMBERS if mode == registration.big_numbers), None)
        kind: TableKind = registration.kind if registration.kind in ("scope", "scoped") else "owner"  # type: ignore[assignment]
        member_column = registration.member_column
        membership = False
        if kind == "scoped" and registration.scope is not None and synced:
            scope = synced.get(registration.scope)
            if scope is not None and scope.members == table:
                membership, member_column = True, scope.member_column
        return cls(
            table,
            registration.owner_column,
            registration.id_column,
            strategy,
            kind,
            members=registration.members,
            member_scope_column=registration.member_scope_column,
            member_column=member_column,
            scope=registration.scope,
            scope_column=registration.scope_column,
            membership=membership,
            realtime=realtime,
            big_numbers=big_numbers,
            scope_parent=_recorded_scope_parent(registration, synced or {}),
        )

    @property
    def access_column(self) -> str:
        """The column whose value the shared policies compare with the caller's scope ids."""
        if self.kind == "scope":
            return self.id_column or "id"
        assert self.scope_column is not None
        return self.scope_column

    @property
    def scope_table(self) -> TableName:
        """The scope table this table's rows are reached through (itself, for a scope table)."""
        if self.kind == "scope":
            return self.table
        assert self.scope is not None
        return self.scope


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


def _check_key_phase_bypasses_rls(subject: Subject) -> Problem | None:
    info = subject.info
    if info.key_phase_bypasses_rls is not False:
        return None
    table, owner = subject.table, info.key_phase_owner or "?"
    if info.rls_forced:
        return Problem(
            f"{table} has FORCE ROW LEVEL SECURITY, so supabase_sync.pull_keys (run as {owner}) is bound by its"
            " policies: pulls lose their indexes (the bucket hash and the tombstone check are not leakproof) and"
            " slow down with the table",
            manual="let the table's owner bypass its policies again (its API roles stay bound by them)",
            manual_sql=(
                Statement(f"no force row level security on {table}", _no_force_rls(table)),
            ),
        )
    return Problem(
        f"supabase_sync.pull_keys runs as {owner}, which neither owns {table} (owner {info.owner}) nor bypasses row"
        " level security: pulls lose their indexes and slow down with the table",
        manual=f"install supabase-sync as the role that owns the synced tables ({info.owner}), or grant {owner}"
        f" membership in {info.owner}",
    )


def _no_force_rls(table: TableName) -> sql.Composed:
    return sql.SQL("alter table {} no force row level security;").format(table.identifier)


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


_CONTRACT_POLICY_NAMES = frozenset(
    [*(policy_name(command) for command in POLICY_COMMANDS), *(shared_policy_name(command) for command in POLICY_COMMANDS)]
)


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


def _is_bucket_index(index: Index, *leading: str) -> bool:
    """A valid, non-partial index on (``leading`` columns, bucket of the id): an order pull_keys reads.

    The bucket is the expression hashtextextended(id::text, 0) & 32767 (docs/protocol.md "Cursor").
    """
    return (
        index.columns[: len(leading) + 1] == (*leading, None)
        and "hashtextextended" in index.definition
        and "32767" in index.definition
        and not index.partial
        and index.valid
    )


def _is_position_index(index: Index, owner_column: str) -> bool:
    """(owner, server_version, bucket of the id): the order pull_keys reads (docs/protocol.md "Cursor")."""
    return _is_bucket_index(index, owner_column, "server_version")


def _check_scope_position_index(subject: Subject) -> Problem | None:
    scope_column = subject.spec.access_column
    if any(_is_position_index(index, scope_column) for index in subject.info.indexes):
        return None
    return Problem(
        f"{subject.table} has no index on ({display_identifier(scope_column)}, server_version, bucket of the id):"
        " a pull reads every changed row of the caller's scope rows per page instead of one page of each"
    )


def _check_scope_bucket_index(subject: Subject) -> Problem | None:
    scope_column = subject.spec.access_column
    if any(_is_bucket_index(index, scope_column) for index in subject.info.indexes):
        return None
    return Problem(
        f"{subject.table} has no index on ({display_identifier(scope_column)}, bucket of the id): each page of a"
        " gained scope row (and of the rows below a purge horizon) reads and sorts all of its rows"
    )


def _check_version_bucket_index(subject: Subject) -> Problem | None:
    if any(_is_bucket_index(index, "server_version") for index in subject.info.indexes):
        return None
    return Problem(
        f"{subject.table} has no index on (server_version, bucket of the id): each page of a user who sees many"
        " scope rows reads up to a page of rows of every one of them"
    )


def _check_owner_version_index(subject: Subject) -> Problem | None:
    table, owner = subject.table, subject.spec.owner_column
    if any(_is_position_index(index, owner) for index in subject.info.indexes):
        return None
    name = TableName(table.schema, owner_version_index_name(table.name))
    # An invalid index of that name on the table is the leftover of an interrupted concurrent
    # build: enable's online plan drops it and builds the index again, so it is not in the way.
    leftover = any(index.name == name.name and not index.valid for index in subject.info.indexes)
    if name in subject.database.taken_names and not leftover:
        return Problem(
            f"{name} already exists, so the (owner, server_version, bucket) index of {table} cannot take that name",
            manual="rename that relation (drop it if it is an invalid or outdated index), then run enable again",
        )
    return Problem(
        f"{table} has no index on ({display_identifier(owner)}, server_version, bucket of the id): incremental"
        " pulls cannot split a big transaction into pages through an index (a pack 1 (owner, server_version)"
        " index serves them, slower; drop it once the new one is built)"
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


def _big_numbers_label(big_numbers: str | None) -> str:
    """How a table's big-numbers choice reads in messages: the value, or the pack-wide default."""
    return big_numbers or "the pack default (meta big_numbers)"


def _check_big_numbers_registered(subject: Subject) -> Problem | None:
    registration = subject.info.registration
    assert registration is not None  # applies only to registered tables
    if registration.big_numbers == subject.spec.big_numbers:
        return None
    return Problem(
        f"{subject.table} is registered with big numbers {_big_numbers_label(registration.big_numbers)},"
        f" not {_big_numbers_label(subject.spec.big_numbers)}"
    )


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


# --- checks of the shared kinds (scope, scoped, membership) -------------------------------------

#: The weakest role each command needs, by kind (the scope table's insert is the owner policy's).
_SHARED_ROLES: dict[str, dict[str, str]] = {
    "scope": {"select": "viewer", "update": "editor", "delete": "admin"},
    "scoped": {"select": "viewer", "insert": "editor", "update": "editor", "delete": "editor"},
    "membership": {"select": "viewer", "insert": "admin", "update": "admin", "delete": "admin"},
}


def _shared_role(spec: TableSpec, command: str) -> str | None:
    family = "membership" if spec.membership else spec.kind
    return _SHARED_ROLES.get(family, {}).get(command)


def _render_shared_policy(spec: TableSpec, command: str) -> Statement:
    role = _shared_role(spec, command)
    assert role is not None
    return render_shared_policy(
        spec.table,
        command,
        column=spec.access_column,
        scope=spec.scope_table,
        role=role,
        id_type=spec.scope_id_type,
        owner_column=spec.owner_column if spec.kind == "scope" or command == "insert" else None,
        owner_required=command == "insert",
    )


def _why_not_shared_policy(policy: Policy, command: str, spec: TableSpec) -> str | None:
    """Why ``policy`` is not the shared policy for ``command``, or None (judged by what it calls and compares)."""
    if policy.command not in (command, "all"):
        return f"it is for {policy.command}"
    if not policy.permissive:
        return "it is restrictive"
    if not _applies_to_api_users(policy):
        return f"it applies to {', '.join(policy.roles)}, not authenticated"
    role = _shared_role(spec, command)
    expressions = [policy.using_expression] if command in ("select", "delete") else []
    if command in ("insert", "update"):
        expressions.append(policy.check_expression if policy.check_expression is not None else policy.using_expression)
    if command == "update":
        expressions.append(policy.using_expression)
    for expression in expressions:
        text = expression or ""
        if "supabase_sync.visible_scopes(" not in text or f"'{role}'" not in text:
            return f"its condition {text or '(none)'} does not ask supabase_sync.visible_scopes for role {role}"
        if spec.access_column not in text:
            return f"its condition does not compare {display_identifier(spec.access_column)}"
    return None


def _shared_policy_requirement(command: str) -> Requirement:
    name = shared_policy_name(command)

    def check(subject: Subject) -> Problem | None:
        spec, table = subject.spec, subject.table
        named = subject.info.policies.get(name)
        if named is not None:
            reason = _why_not_shared_policy(named, command, spec)
            if reason is None:
                return None
            return Problem(
                f'policy "{name}" on {table} is not the {spec.kind} policy for {command}: {reason}',
                statements=(render_drop_policy(table, name), _render_shared_policy(spec, command)),
            )
        # A renamed policy counts by what it does, as for owner policies.
        if any(_why_not_shared_policy(policy, command, spec) is None for policy in subject.info.policies.values()):
            return None
        return Problem(f"{table} has no policy letting scope members {command} the rows they may reach")

    def applies(subject: Subject) -> str | None:
        if _shared_role(subject.spec, command) is None:
            return f"{command} on a {subject.spec.kind} table is the owner's policy"
        return None

    return Requirement(
        key=f"policy.shared_{command}",
        family="policies",
        title=f"a permissive {command} policy for authenticated asking supabase_sync.visible_scopes",
        check=check,
        render=lambda spec: (_render_shared_policy(spec, command),) if _shared_role(spec, command) else (),
        applies=applies,
    )


def _check_no_owner_policies(subject: Subject) -> Problem | None:
    # On a shared table the row's owner column records its author: an owner policy would keep
    # a removed member's access to the rows they wrote.
    kept = {policy_name("insert")} if subject.spec.kind == "scope" else set()
    found = [name for name in (policy_name(command) for command in POLICY_COMMANDS) if name in subject.info.policies]
    found = [name for name in found if name not in kept]
    if not found:
        return None
    return Problem(
        f"{subject.table} is shared but keeps owner policies ({', '.join(found)}): they let a row's author reach it"
        " without access to its scope",
        statements=tuple(render_drop_policy(subject.table, name) for name in found),
    )


def _check_scope_column(subject: Subject) -> Problem | None:
    spec, table = subject.spec, subject.table
    assert spec.scope_column is not None and spec.scope is not None
    column = subject.info.columns.get(spec.scope_column)
    if column is None:
        return Problem(
            f"table {table} has no scope column {display_identifier(spec.scope_column)}",
            manual=f"add it: alter table {table} add column {display_identifier(spec.scope_column)}"
            f" {spec.scope_id_type} not null references {spec.scope} (a table below another scoped table"
            " carries the scope column itself)",
        )
    if not any(fk.columns == (spec.scope_column,) and fk.parent == spec.scope for fk in subject.info.foreign_keys):
        return Problem(
            f"{table}.{display_identifier(spec.scope_column)} has no foreign key to {spec.scope}",
            manual=f"add one: alter table {table} add foreign key ({display_identifier(spec.scope_column)})"
            f" references {spec.scope} on delete cascade",
        )
    return None


def _below_scoped(subject: Subject) -> str | None:
    return None if subject.spec.scope_parent is not None else f"{subject.table} copies no parent's scope column"


def _render_inherit_scope(spec: TableSpec) -> Sequence[Statement]:
    parent = spec.scope_parent
    if parent is None:
        return ()
    assert spec.scope is not None and spec.scope_column is not None
    return (
        render_inherit_scope(
            spec.table,
            parent=parent.parent,
            parent_key=parent.parent_key,
            fk_column=parent.fk_column,
            scope=spec.scope,
            scope_column=spec.scope_column,
            parent_scope_column=parent.parent_scope_column,
            scope_id_type=spec.scope_id_type,
        ),
    )


def _check_inherited_scope(subject: Subject) -> Problem | None:
    spec, table = subject.spec, subject.table
    assert spec.scope_parent is not None and spec.scope_column is not None
    if spec.scope_column not in subject.info.columns:
        return Problem(
            f"table {table} has no scope column {display_identifier(spec.scope_column)}: a table below"
            f" {spec.scope_parent.parent} carries it itself",
            needs_flag=ADD_COLUMNS_FLAG,
        )
    parent = spec.scope_parent
    found = subject.info.triggers.get(INHERIT_SCOPE_TRIGGER)
    kept = f"{table}.{display_identifier(spec.scope_column)} is not kept equal to {parent.parent}'s"
    if found is None:
        return Problem(kept)
    wanted = (_regclass_text(parent.parent), parent.parent_key, parent.fk_column, spec.scope_column, parent.parent_scope_column)
    current = (
        (found.function_schema, found.function_name) == (PACK_SCHEMA, "inherit_scope")
        and found.arguments == wanted
        and (found.timing, found.events, found.for_each_row) == ("before", frozenset({"insert", "update"}), True)
        and found.enabled
    )
    if not current:
        return Problem(f"{kept}: trigger {INHERIT_SCOPE_TRIGGER} is not the one enable writes (or is disabled)")
    return None


def _scope_column_present_or_own(subject: Subject) -> str | None:
    spec = subject.spec
    if spec.scope_parent is not None and spec.scope_column not in subject.info.columns:
        return "enable adds the scope column (column.inherited_scope)"
    return None


def _scoped(subject: Subject) -> str | None:
    return None if subject.spec.kind == "scoped" else f"{subject.table} is not a scoped table"


def _scoped_not_membership(subject: Subject) -> str | None:
    # A membership table holds a few rows per scope row: reading them all per page costs little.
    if subject.spec.membership:
        return f"{subject.table} is a membership table (a few rows per scope row)"
    return _scoped(subject)


def _scope(subject: Subject) -> str | None:
    return None if subject.spec.kind == "scope" else f"{subject.table} is not a scope table"


def _membership(subject: Subject) -> str | None:
    return None if subject.spec.membership else f"{subject.table} is not a membership table"


def _render_drop_owner_policies(spec: TableSpec) -> Sequence[Statement]:
    kept = {policy_name("insert")} if spec.kind == "scope" else set()
    return tuple(
        render_drop_policy(spec.table, name)
        for name in (policy_name(command) for command in POLICY_COMMANDS)
        if name not in kept
    )


def _check_member_columns(subject: Subject) -> Problem | None:
    spec, table, columns = subject.spec, subject.table, subject.info.columns
    assert spec.member_column is not None
    member = columns.get(spec.member_column)
    if member is None or member.type_name != "uuid":
        return Problem(
            f"membership table {table} has no uuid user column {display_identifier(spec.member_column)}",
            manual="pass --member-column with its uuid column referencing auth.users",
        )
    role = columns.get("role")
    if role is None or role.type_name != "text":
        return Problem(
            f"membership table {table} has no text column role",
            manual=f"add it: alter table {table} add column role text not null default 'editor'"
            " check (role in ('viewer', 'editor', 'admin'))",
        )
    return None


def _index_requirement(key: str, purpose: str, columns: Callable[[TableSpec], tuple[str, ...]], applies: Callable[[Subject], str | None], title: str) -> Requirement:
    def check(subject: Subject) -> Problem | None:
        wanted = columns(subject.spec)
        if any(
            index.columns[: len(wanted)] == wanted and not index.partial and index.valid
            for index in subject.info.indexes
        ):
            return None
        return Problem(
            f"{subject.table} has no index on ({', '.join(display_identifier(c) for c in wanted)}): the scope"
            " policies and pulls scan the whole table"
        )

    return Requirement(
        key,
        "owner_index",
        title,
        check,
        # Migrations written without a catalog render every requirement: the spec says whether this one applies.
        render=lambda spec: (render_shared_index(spec.table, purpose, columns(spec)),)
        if purpose == "scope_version" or spec.membership
        else (),
        applies=applies,
    )


def _recorded_scope_parent(registration: Registration, synced: Mapping[TableName, Registration]) -> ScopeParent | None:
    """The parent a registry row says its table copies the scope column from (schema step 0009), or None.

    Read as recorded even when the parent is no longer a scoped table: the copy trigger still names it.
    """
    if registration.scope_parent is None or registration.scope_through is None:
        return None
    parent = synced.get(registration.scope_parent)
    return ScopeParent(
        registration.scope_parent,
        parent.id_column if parent is not None else "id",
        registration.scope_through,
        (parent.scope_column if parent is not None else None) or registration.scope_column or "",
    )


def _check_sharing_registry(subject: Subject) -> Problem | None:
    spec, registration = subject.spec, subject.info.registration
    if registration is None:
        return Problem(f"{subject.table} has no row in supabase_sync.synced_table")
    if spec.kind == "scope":
        wanted = ("scope", spec.members, spec.member_column, spec.member_scope_column, None, None)
    else:
        wanted = ("scoped", None, None, None, spec.scope, spec.scope_column)
    parent = spec.scope_parent
    wanted += (parent.parent, parent.fk_column) if parent is not None else (None, None)
    recorded = (
        registration.kind,
        registration.members,
        registration.member_column,
        registration.member_scope_column,
        registration.scope,
        registration.scope_column,
        registration.scope_parent,
        registration.scope_through,
    )
    if recorded == wanted:
        return None
    return Problem(f"{subject.table} is registered as a {registration.kind} table, not as this {spec.kind} table")


def _render_register_sharing(spec: TableSpec) -> Sequence[Statement]:
    if spec.kind == "scope":
        return (
            render_register_sharing(
                spec.table,
                kind="scope",
                members=spec.members,
                member_column=spec.member_column,
                member_scope_column=spec.member_scope_column,
            ),
        )
    parent = spec.scope_parent
    return (
        render_register_sharing(spec.table, kind="scoped", scope=spec.scope, scope_column=spec.scope_column),
        render_register_scope_through(
            spec.table, parent=parent.parent if parent else None, fk_column=parent.fk_column if parent else None
        ),
    )


def _shared_requirements(kind: TableKind) -> tuple[Requirement, ...]:
    """The owner kind's requirements with the shared policies, triggers, indexes and registry columns."""
    owner = REQUIREMENTS["owner"]
    result: list[Requirement] = []
    for requirement in owner:
        if requirement.key == "policy.select":
            if kind == "scope":
                result.append(_policy_requirement("insert"))
            result.extend(_shared_policy_requirement(command) for command in POLICY_COMMANDS)
            result.append(
                Requirement(
                    "policy.no_owner",
                    "policies",
                    "no owner policy (the owner column of a shared row records its author)",
                    _check_no_owner_policies,
                    render=_render_drop_owner_policies,
                )
            )
            continue
        if requirement.key.startswith("policy.") and requirement.key != "policy.no_open":
            continue
        result.append(requirement)
        if requirement.key == "column.owner_not_null" and kind == "scoped":
            result.append(
                Requirement(
                    "column.inherited_scope",
                    "owner_column",
                    "a table below a scoped table copies its parent's scope column (trigger"
                    " supabase_sync_inherit_scope)",
                    _check_inherited_scope,
                    render=_render_inherit_scope,
                    applies=_below_scoped,
                )
            )
            result.append(
                Requirement(
                    "column.scope",
                    "owner_column",
                    "the scope column, with a foreign key to the scope table",
                    _check_scope_column,
                    applies=_scope_column_present_or_own,
                )
            )
            result.append(
                Requirement(
                    "column.members",
                    "owner_column",
                    "a membership table has a uuid user column and a text role column",
                    _check_member_columns,
                    applies=_membership,
                )
            )
        if requirement.key == "trigger.truncate":
            if kind == "scope":
                result.append(
                    _trigger_requirement(
                        "trigger.scope_event",
                        _ExpectedTrigger(
                            SCOPE_EVENT_TRIGGER, "record_scope_event", "after", frozenset({"update", "delete"}), True
                        ),
                        lambda spec: (spec.id_column or "", spec.owner_column),
                        lambda spec: (
                            render_scope_event_trigger(
                                spec.table, id_column=spec.id_column or "id", owner_column=spec.owner_column
                            ),
                        ),
                        f"trigger `{SCOPE_EVENT_TRIGGER}`: after update or delete, for each row,"
                        " supabase_sync.record_scope_event(id column, owner column)",
                    )
                )
            else:
                result.append(
                    _trigger_requirement(
                        "trigger.scope_move",
                        _ExpectedTrigger(SCOPE_MOVE_TRIGGER, "record_scope_move", "after", frozenset({"update"}), True),
                        lambda spec: (_regclass_text(spec.scope), spec.scope_column or "", spec.id_column or ""),
                        lambda spec: (
                            render_scope_move_trigger(
                                spec.table,
                                scope=spec.scope_table,
                                scope_column=spec.access_column,
                                id_column=spec.id_column or "id",
                            ),
                        ),
                        f"trigger `{SCOPE_MOVE_TRIGGER}`: after update of the scope column, for each row,"
                        " supabase_sync.record_scope_move(scope, scope column, id column)",
                    )
                )
                membership_trigger = _trigger_requirement(
                    "trigger.membership",
                    _ExpectedTrigger(
                        MEMBERSHIP_TRIGGER,
                        "record_membership_event",
                        "after",
                        frozenset({"insert", "update", "delete"}),
                        True,
                    ),
                    lambda spec: (_regclass_text(spec.scope), spec.scope_column or "", spec.member_column or ""),
                    lambda spec: (
                        render_membership_trigger(
                            spec.table,
                            scope=spec.scope_table,
                            scope_column=spec.access_column,
                            member_column=spec.member_column or "user_id",
                        ),
                    )
                    if spec.membership
                    else (),
                    f"trigger `{MEMBERSHIP_TRIGGER}` (membership tables): after insert, update or delete, for each"
                    " row, supabase_sync.record_membership_event(scope, scope column, user column)",
                )
                result.append(
                    Requirement(
                        membership_trigger.key,
                        membership_trigger.family,
                        membership_trigger.title,
                        membership_trigger.check,
                        render=membership_trigger.render,
                        applies=_membership,
                    )
                )
        if requirement.key == "index.owner_version" and kind == "scoped":
            result.append(
                _index_requirement(
                    "index.scope_version",
                    "scope_version",
                    lambda spec: (spec.access_column, "server_version"),
                    _scoped,
                    "a valid, non-partial index leading with (scope column, server_version)",
                )
            )
            result.append(
                Requirement(
                    "index.scope_position",
                    "owner_index",
                    "a valid, non-partial index on (scope column, server_version, bucket of the id)",
                    _check_scope_position_index,
                    render=lambda spec: ()
                    if spec.membership
                    else (render_scope_position_index(spec.table, scope_column=spec.access_column, id_column=spec.id_column),),
                    applies=_scoped_not_membership,
                )
            )
            result.append(
                Requirement(
                    "index.scope_bucket",
                    "owner_index",
                    "a valid, non-partial index on (scope column, bucket of the id)",
                    _check_scope_bucket_index,
                    render=lambda spec: ()
                    if spec.membership
                    else (render_scope_bucket_index(spec.table, scope_column=spec.access_column, id_column=spec.id_column),),
                    applies=_scoped_not_membership,
                )
            )
            result.append(
                Requirement(
                    "index.version_bucket",
                    "owner_index",
                    "a valid, non-partial index on (server_version, bucket of the id)",
                    _check_version_bucket_index,
                    render=lambda spec: ()
                    if spec.membership
                    else (render_version_bucket_index(spec.table, id_column=spec.id_column),),
                    applies=_scoped_not_membership,
                )
            )
            result.append(
                _index_requirement(
                    "index.members_scope_user",
                    "members_scope_user",
                    lambda spec: (spec.access_column, spec.member_column or ""),
                    _membership,
                    "a membership table's index leading with (scope column, user column)",
                )
            )
            result.append(
                _index_requirement(
                    "index.members_user",
                    "members_user",
                    lambda spec: (spec.member_column or "",),
                    _membership,
                    "a membership table's index leading with its user column",
                )
            )
        if requirement.key == "registry.row":
            result.append(
                Requirement(
                    "registry.sharing",
                    "registry",
                    "the registry row records the kind with its membership table or scope",
                    _check_sharing_registry,
                    render=_render_register_sharing,
                    applies=_registered_or_planned,
                )
            )
    return tuple(result)


def _registered_or_planned(_subject: Subject) -> str | None:
    return None


def _regclass_text(table: TableName | None) -> str:
    """How a trigger argument names ``table`` (the quoted identifier, as enable writes it)."""
    return table.identifier.as_string(None) if table is not None else ""


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
        _trigger_requirement(
            "trigger.transfer",
            _ExpectedTrigger(TRANSFER_TRIGGER, "record_transfer", "after", frozenset({"update"}), True),
            lambda spec: (),
            lambda spec: (render_transfer_trigger(spec.table, owner_column=spec.owner_column),),
            f"trigger `{TRANSFER_TRIGGER}`: after update of the owner column, for each row whose owner changes,"
            " supabase_sync.record_transfer()",
        ),
        Requirement(
            "rls.enabled",
            "rls_enabled",
            "row level security is on",
            _check_rls,
            render=lambda spec: (render_enable_rls(spec.table),),
        ),
        Requirement(
            "rls.key_phase_bypasses",
            "rls_enabled",
            "the owner of supabase_sync.pull_keys (the pull's key phase) bypasses row level security on the table",
            _check_key_phase_bypasses_rls,
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
            "a valid, non-partial index on (owner column, server_version, bucket of the id)",
            _check_owner_version_index,
            render=lambda spec: (
                render_owner_version_index(spec.table, owner_column=spec.owner_column, id_column=spec.id_column),
            ),
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
        Requirement(
            "registry.big_numbers",
            "registry",
            "how pulls send its int8/numeric columns (synced_table.big_numbers: number, string, or null for the"
            " pack default) is the choice it is enabled with",
            _check_big_numbers_registered,
            render=lambda spec: (render_register_big_numbers(spec.table, spec.big_numbers),),
            applies=_registered,
        ),
    ),
}

REQUIREMENTS["scope"] = _shared_requirements("scope")
REQUIREMENTS["scoped"] = _shared_requirements("scoped")

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
    "owner_index": "A valid index on (owner, server_version, bucket of the id) serves incremental pulls.",
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
    entries = read_synced_tables(conn)
    synced = {entry.table: entry.registration for entry in entries}
    specs = [TableSpec.from_registration(entry.table, entry.registration, synced) for entry in entries]
    checked = check_tables(conn, specs, state=state)
    return [checked[spec.table] for spec in specs if spec.table in checked]


def _shared_spec_from_triggers(spec: TableSpec, info: TableInfo | None) -> TableSpec:
    """A scoped table without its registry row still says its scope, in its scope_move trigger's arguments."""
    trigger = info.triggers.get(SCOPE_MOVE_TRIGGER) if info is not None else None
    if trigger is None or len(trigger.arguments) != 3:
        return spec
    scope_text, scope_column, _id = trigger.arguments
    try:
        scope = parse_table_name(scope_text)
    except SupabaseSyncError:
        return spec
    id_type = info.columns[scope_column].type_name if info is not None and scope_column in info.columns else "uuid"
    return TableSpec(
        spec.table,
        owner_column=spec.owner_column,
        id_column=spec.id_column,
        kind="scoped",
        scope=scope,
        scope_column=scope_column,
        scope_id_type=id_type,
    )


def check_half_enabled_tables(conn: psycopg.Connection, *, state: PackState | None = None) -> list[TableCheck]:
    """Judge every table with supabase_sync triggers but no registry row (its ``registry.row`` is unmet).

    The spec comes from its tombstone trigger's arguments (id and owner column),
    else the defaults.
    """
    specs = []
    entries = read_half_enabled_tables(conn)
    infos = read_tables(conn, [entry.table for entry in entries], registry=False)
    for entry in entries:
        arguments = [*entry.tombstone_arguments, "", ""]
        spec = TableSpec(entry.table, owner_column=arguments[1] or "user_id", id_column=arguments[0] or "id")
        specs.append(_shared_spec_from_triggers(spec, infos.get(entry.table)))
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
    """The single-column foreign keys among the synced tables of ``checks`` that can cross owners.

    A scoped table's keys are left out: its rows are shared through their scope, so
    rows of several users reference one another by design; what a push may hang on
    a parent is decided as the caller, under the sharing policies (push_upserts'
    parent check), and a parent outside the caller's scopes answers like a missing one.
    """
    specs = {check.table: check.spec for check in checks}
    found: list[CrossOwnerForeignKey] = []
    for check in checks:
        if check.spec.kind == "scoped":
            continue
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


# --- unique keys across owners (issue 11.3) ------------------------------------------------

#: How long the fix of a unique key waits for the table lock of its one ``alter table`` (other sessions queue
#: behind a waiting ``access exclusive`` lock, so it gives up instead; run it again).
UNIQUE_FIX_LOCK_TIMEOUT = "5s"


@dataclass(frozen=True)
class CrossOwnerUniqueKey:
    """A unique constraint or index of a synced table (other than the primary key) without the owner column.

    Uniqueness is checked across every user's rows, whatever row level security
    lets the writer see: a write holding a value another user holds answers 23505
    (through sync_push as through the Data API). That tells whether some user
    holds it (an existence oracle on e-mail addresses, slugs...) and lets one
    user take a value away from the others (squatting). Made unique per owner
    (per scope for a scoped table), by the owner (scope) column as first key, a
    value is only compared with the writer's own rows.
    """

    table: TableName
    index: Index
    #: The column a key must hold to compare a user's rows only: the owner column, or a scoped table's scope column.
    owner_column: str
    partitioned: bool = False

    @property
    def name(self) -> str:
        """The constraint's name, or the index's when no constraint uses it."""
        return self.index.constraint or self.index.name

    @property
    def problem(self) -> str:
        """What is wrong, in one sentence."""
        kind = "unique constraint" if self.index.constraint else "unique index"
        keys = f"({self.index.keys_onward}" if self.index.keys_onward else self.index.definition
        return (
            f"{kind} {display_identifier(self.name)} of {self.table} {keys} compares every user's rows, not only"
            f" the writer's ({display_identifier(self.owner_column)} is not one of its keys): a write answers 23505"
            " when another user holds the value"
        )

    @property
    def copied_columns(self) -> tuple[str, ...]:
        """The columns whose values a row must share with another user's row to be refused by this key."""
        return tuple(column for column in self.index.read_columns if column != self.owner_column)

    def _rebuilt_index(self, name: str, *, concurrently: bool) -> sql.Composed:
        # keys_onward is PostgreSQL's own rendering of the index from its first key on, so SQL already.
        return sql.SQL("create unique index {concurrently}if not exists {index} on {table} ({owner}, {rest};").format(
            concurrently=sql.SQL("concurrently " if concurrently else ""),
            index=sql.Identifier(name),
            table=self.table.identifier,
            owner=sql.Identifier(self.owner_column),
            rest=sql.SQL(self.index.keys_onward or ""),  # type: ignore[arg-type]  # deparsed
        )

    def fix_sql(self) -> str | None:
        """Statements that make the key per owner, one per line: run them one by one (psql, a migration of its own).

        The new index is built concurrently (writes go on); only the swap takes
        the table lock, briefly, under ``lock_timeout``. A partitioned table
        cannot build indexes concurrently: there the key is rebuilt in one
        transaction. None when PostgreSQL's definition of the index could not
        be taken apart.
        """
        if self.index.keys_onward is None:
            return None
        steps = self._rebuild_in_place() if self.partitioned else self._rebuild_concurrently()
        return "\n".join(step.as_string(None) for step in steps)

    def _rebuild_concurrently(self) -> list[sql.Composable]:
        old = sql.Identifier(self.name)
        built = truncate_identifier(self.name.encode("utf-8")[:50].decode("utf-8", errors="ignore") + "_per_owner")
        steps: list[sql.Composable] = [
            self._rebuilt_index(built, concurrently=True),
            sql.SQL("set lock_timeout = {};").format(sql.Literal(UNIQUE_FIX_LOCK_TIMEOUT)),
        ]
        if self.index.constraint:
            steps.append(
                sql.SQL("alter table {table} drop constraint {old}, add constraint {old} unique using index {built};")
                .format(table=self.table.identifier, old=old, built=sql.Identifier(built))
            )
        else:
            steps.append(
                sql.SQL("drop index concurrently {old};").format(old=sql.Identifier(self.table.schema, self.name))
            )
            steps.append(
                sql.SQL("alter index {built} rename to {old};").format(
                    built=sql.Identifier(self.table.schema, built), old=old
                )
            )
        return [*steps, sql.SQL("reset lock_timeout;")]

    def _rebuild_in_place(self) -> list[sql.Composable]:
        # One transaction: the values stay unique throughout, and the lock setting ends with it.
        steps: list[sql.Composable] = [
            sql.SQL("begin;"),
            sql.SQL("set local lock_timeout = {};").format(sql.Literal(UNIQUE_FIX_LOCK_TIMEOUT)),
        ]
        if self.index.constraint:
            keys = sql.SQL(", ").join(sql.Identifier(column) for column in self.index.columns if column)
            steps.append(
                sql.SQL("alter table {table} drop constraint {old}, add constraint {old} unique ({owner}, {keys});")
                .format(
                    table=self.table.identifier,
                    old=sql.Identifier(self.name),
                    owner=sql.Identifier(self.owner_column),
                    keys=keys,
                )
            )
        else:
            steps.append(sql.SQL("drop index {old};").format(old=sql.Identifier(self.table.schema, self.name)))
            steps.append(self._rebuilt_index(self.name, concurrently=False))
        return [*steps, sql.SQL("commit;")]


def _unique_key_column(spec: TableSpec) -> str:
    """The column a unique key of ``spec``'s table must hold so values are compared per user (or per scope)."""
    if spec.kind == "scoped" and spec.scope_column:
        return spec.scope_column
    return spec.owner_column


def cross_owner_unique_keys(checks: Sequence[TableCheck]) -> list[CrossOwnerUniqueKey]:
    """The unique constraints and indexes of the synced tables of ``checks`` that compare every user's rows.

    Left out: the primary key, and keys holding the id (its uniqueness is the
    id's: a taken id is refused per row without revealing whose it is), the
    owner column, or (scoped tables) the scope column, where a user only meets
    the values of the rows it shares.
    """
    found: list[CrossOwnerUniqueKey] = []
    for check in checks:
        column = _unique_key_column(check.spec)
        id_column = check.spec.id_column or next(iter(check.info.primary_key), None)
        for index in check.info.indexes:
            if not index.unique or index.primary:
                continue
            if {column, check.spec.owner_column, id_column} & set(index.columns):
                continue
            found.append(CrossOwnerUniqueKey(check.table, index, column, partitioned=check.info.relkind == "p"))
    return found


def enable_command(spec: TableSpec, *, add_missing_columns: bool = False, db_url_argument: str | None = None) -> str:
    """The ``supabase-sync enable`` command line that brings ``spec``'s table up to the contract.

    ``db_url_argument`` is appended as ``--db-url`` verbatim (already quoted for a shell).
    """
    if spec.membership and spec.scope is not None:
        # A membership table is enabled with its scope table.
        parts = ["supabase-sync", "enable", shlex.quote(spec.scope.display), "--members", shlex.quote(spec.table.display)]
        if spec.member_column:
            parts += ["--member-column", shlex.quote(spec.member_column)]
    else:
        parts = ["supabase-sync", "enable", shlex.quote(spec.table.display)]
        parts += ["--owner-column", shlex.quote(spec.owner_column)]
    if spec.kind == "scope" and spec.members is not None:
        parts += ["--members", shlex.quote(spec.members.display)]
    if spec.kind == "scoped" and not spec.membership and spec.scope_column:
        parts += ["--scope-column", shlex.quote(spec.scope_column)]
        if spec.scope_parent is not None:
            parts += ["--scope-through", shlex.quote(spec.scope_parent.fk_column)]
    if spec.conflict_strategy != "reject":
        parts += ["--conflict-strategy", spec.conflict_strategy]
    if spec.realtime != "postgres_changes":
        parts += ["--realtime", spec.realtime]
    if spec.big_numbers is not None:
        parts += ["--big-numbers", spec.big_numbers]
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
