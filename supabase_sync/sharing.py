"""The specs of shared tables (DESIGN 3.4) from enable's options and the catalog.

``enable public.project --owner-column user_id --members public.project_member``
makes ``project`` a scope table and its membership table a scoped table of it;
``enable public.task --scope-column project_id`` makes ``task`` a scoped table
of the table its ``project_id`` references. Column names are read from the
catalog: the membership table's one foreign key to the scope table, and its one
uuid column referencing ``auth.users`` (or ``--member-column``). Written as a
migration (no catalog), the names follow the conventions ``--create-members``
uses: ``<scope>_id`` and ``user_id``, and the scope of ``<name>_id`` is the
table ``<name>`` of the same schema.

Every misuse is a :class:`~supabase_sync.errors.ConfigError` or
:class:`~supabase_sync.errors.TableError` of one line with its fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from supabase_sync.catalog import Registration, TableInfo
from supabase_sync.contract import ConflictStrategy, TableSpec
from supabase_sync.errors import ConfigError, TableError
from supabase_sync.names import TableName, display_identifier
from supabase_sync.plan import Statement
from supabase_sync.render.table import render_create_members
from supabase_sync.sync_objects import MEMBERSHIP_OWNER_COLUMN

_AUTH_USERS = TableName("auth", "users")


@dataclass(frozen=True)
class SharingOptions:
    """enable's sharing options: ``members`` (with ``member_column``, ``create_members``) or ``scope_column``."""

    members: TableName | None = None
    member_column: str | None = None
    create_members: bool = False
    scope_column: str | None = None

    @property
    def shared(self) -> bool:
        """True when the options make the tables shared ones."""
        return self.members is not None or self.scope_column is not None


def check_options(options: SharingOptions, tables: Sequence[TableName]) -> None:
    """Refuse option combinations that cannot mean anything."""
    if options.members is not None and options.scope_column is not None:
        raise ConfigError(
            "--members and --scope-column cannot be combined",
            hint="enable the scope table with --members first, then its scoped tables with --scope-column",
        )
    if options.members is None and (options.member_column or options.create_members):
        flag = "--member-column" if options.member_column else "--create-members"
        raise ConfigError(f"{flag} needs --members", hint="name the membership table: --members public.project_member")
    if options.members is not None and len(tables) != 1:
        raise ConfigError(
            f"--members applies to one scope table, got {len(tables)}",
            hint="enable the scope table alone: supabase-sync enable public.project --members public.project_member",
        )
    if options.members is not None and options.members in tables:
        raise ConfigError(
            f"the membership table {options.members} is also the scope table",
            hint="name another table with --members (one row per scope row and user)",
        )


def scope_spec(
    table: TableName, *, owner_column: str, id_column: str | None, conflict_strategy: ConflictStrategy,
    id_type: str, member_scope_column: str, member_column: str, members: TableName,
) -> TableSpec:
    """The spec of a scope table."""
    return TableSpec(
        table,
        owner_column=owner_column,
        id_column=id_column,
        conflict_strategy=conflict_strategy,
        kind="scope",
        members=members,
        member_scope_column=member_scope_column,
        member_column=member_column,
        scope_id_type=id_type,
    )


def membership_spec(scope: TableSpec, *, id_column: str | None) -> TableSpec:
    """The spec of ``scope``'s membership table: a scoped table of it whose owner column is granted_by."""
    assert scope.members is not None
    return TableSpec(
        scope.members,
        owner_column=MEMBERSHIP_OWNER_COLUMN,
        id_column=id_column,
        conflict_strategy=scope.conflict_strategy,
        kind="scoped",
        scope=scope.table,
        scope_column=scope.member_scope_column,
        member_column=scope.member_column,
        membership=True,
        scope_id_type=scope.scope_id_type,
    )


def detect_members(
    scope: TableName, members: TableName, info: TableInfo, *, owner_column: str, member_column: str | None
) -> tuple[str, str]:
    """The membership table's column referencing ``scope`` and its user column, read from the catalog."""
    to_scope = [fk for fk in info.foreign_keys if fk.parent == scope and len(fk.columns) == 1]
    if len(to_scope) != 1:
        found = "no" if not to_scope else f"{len(to_scope)}"
        raise TableError(
            f"membership table {members} has {found} single-column foreign key to {scope}",
            hint=f"give it one column referencing {scope} (e.g. {scope.name}_id ... references {scope}"
            " on delete cascade), or let enable create the table: --create-members",
        )
    scope_column = to_scope[0].columns[0]
    if member_column is not None:
        if member_column not in info.columns:
            raise TableError(
                f"membership table {members} has no column {display_identifier(member_column)}",
                hint="pass --member-column with its uuid column naming the member (auth.users)",
            )
        return scope_column, member_column
    users = [
        fk.columns[0]
        for fk in info.foreign_keys
        if fk.parent == _AUTH_USERS and len(fk.columns) == 1 and fk.columns[0] not in (MEMBERSHIP_OWNER_COLUMN,)
        and info.columns.get(fk.columns[0]) is not None and info.columns[fk.columns[0]].type_name == "uuid"
    ]
    users = list(dict.fromkeys(users))
    if len(users) != 1:
        found = ", ".join(users) if users else "none"
        raise TableError(
            f"cannot tell the user column of membership table {members}: uuid columns referencing auth.users: {found}",
            hint="pass --member-column COLUMN",
        )
    return scope_column, users[0]


def scoped_spec(
    table: TableName,
    info: TableInfo | None,
    *,
    scope_column: str,
    owner_column: str,
    id_column: str | None,
    conflict_strategy: ConflictStrategy,
    synced: Mapping[TableName, Registration],
    planned_scopes: Mapping[TableName, TableSpec] | None = None,
) -> TableSpec:
    """The spec of a scoped table whose ``scope_column`` references an enabled scope table.

    Without ``info`` (a migration written without a catalog) the scope is the
    table named by the column (``project_id`` -> ``project`` of the same schema).
    """
    if info is None:
        if not scope_column.endswith("_id") or len(scope_column) <= 3:
            raise ConfigError(
                f"cannot tell the scope table of --scope-column {scope_column} without a database",
                hint="name the column <scope table>_id (project_id), or run enable with --db-url",
            )
        scope = TableName(table.schema, scope_column.removesuffix("_id"))
        return TableSpec(
            table, owner_column=owner_column, id_column=id_column, conflict_strategy=conflict_strategy,
            kind="scoped", scope=scope, scope_column=scope_column,
        )
    column = info.columns.get(scope_column)
    if column is None:
        parents = [fk for fk in info.foreign_keys if fk.parent in synced and synced[fk.parent].kind == "scoped"]
        via = f" (it is below {parents[0].parent}, which carries it: add it here too)" if parents else ""
        raise TableError(
            f"table {table} has no column {display_identifier(scope_column)}{via}",
            hint=f"add it: alter table {table} add column {display_identifier(scope_column)} uuid not null"
            " references the scope table; keep it equal to the parent's",
        )
    targets = [fk.parent for fk in info.foreign_keys if fk.columns == (scope_column,)]
    if not targets:
        raise TableError(
            f"{table}.{display_identifier(scope_column)} references no table, so it names no scope",
            hint=f"add a foreign key: alter table {table} add foreign key ({display_identifier(scope_column)})"
            " references <scope table> on delete cascade",
        )
    scope = targets[0]
    planned = (planned_scopes or {}).get(scope)
    registration = synced.get(scope)
    if planned is None and (registration is None or registration.kind != "scope"):
        raise TableError(
            f"{table}.{display_identifier(scope_column)} references {scope}, which is not an enabled scope table",
            hint=f"enable it first: supabase-sync enable {scope} --members <membership table>",
        )
    return TableSpec(
        table,
        owner_column=owner_column,
        id_column=id_column,
        conflict_strategy=conflict_strategy,
        kind="scoped",
        scope=scope,
        scope_column=scope_column,
        scope_id_type=column.type_name,
    )


def create_members_statement(scope: TableSpec) -> Statement:
    """The statement creating ``scope``'s membership table (enable --create-members)."""
    assert scope.members is not None and scope.member_scope_column is not None
    return render_create_members(
        scope.members,
        scope=scope.table,
        scope_id_column=scope.id_column or "id",
        scope_id_type=scope.scope_id_type,
        scope_column=scope.member_scope_column,
    )


def default_member_columns(scope: TableName, member_column: str | None) -> tuple[str, str]:
    """The column names of a membership table enable creates (or a migration assumes)."""
    return f"{scope.name}_id", member_column or "user_id"


__all__ = [
    "SharingOptions",
    "check_options",
    "create_members_statement",
    "default_member_columns",
    "detect_members",
    "membership_spec",
    "scope_spec",
    "scoped_spec",
]
