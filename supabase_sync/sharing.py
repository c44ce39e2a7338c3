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
from supabase_sync.contract import ConflictStrategy, ScopeParent, TableSpec
from supabase_sync.errors import ConfigError, TableError
from supabase_sync.names import TableName, display_identifier
from supabase_sync.plan import Statement
from supabase_sync.render.table import render_create_members
from supabase_sync.sync_objects import INHERIT_SCOPE_TRIGGER, MEMBERSHIP_OWNER_COLUMN

_AUTH_USERS = TableName("auth", "users")


@dataclass(frozen=True)
class SharingOptions:
    """enable's sharing options: ``members`` (with ``member_column``, ``create_members``) or ``scope_column``."""

    members: TableName | None = None
    member_column: str | None = None
    create_members: bool = False
    scope_column: str | None = None
    scope_through: str | None = None

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
    if options.scope_through is not None and options.scope_column is None:
        raise ConfigError("--scope-through needs --scope-column", hint="name the scope column: --scope-column project_id")
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
    scope_through: str | None = None,
    parent_infos: Mapping[TableName, TableInfo] | None = None,
) -> TableSpec:
    """The spec of a scoped table whose ``scope_column`` references an enabled scope table.

    Without ``info`` (a migration written without a catalog) the scope is the
    table named by the column (``project_id`` -> ``project`` of the same
    schema), and ``scope_through`` (``task_id`` -> ``task``) names the scoped
    parent whose scope column the table copies. With ``info``, a table lacking
    the scope column, or one whose copy trigger (``supabase_sync_inherit_scope``)
    is there, copies it from its one scoped parent (or ``scope_through``'s).
    """
    if info is None:
        scope = _conventional_table(table, scope_column, "--scope-column")
        parent = None
        if scope_through is not None:
            parent = ScopeParent(_conventional_table(table, scope_through, "--scope-through"), "id", scope_through, scope_column)
        return TableSpec(
            table, owner_column=owner_column, id_column=id_column, conflict_strategy=conflict_strategy,
            kind="scoped", scope=scope, scope_column=scope_column, scope_parent=parent,
        )
    column = info.columns.get(scope_column)
    # A table whose copy trigger is already there stays a copying one when enabled again without --scope-through.
    if column is None or scope_through is not None or INHERIT_SCOPE_TRIGGER in info.triggers:
        return _below_scoped_spec(
            table, info, scope_column=scope_column, owner_column=owner_column, id_column=id_column,
            conflict_strategy=conflict_strategy, synced=synced, scope_through=scope_through,
            parent_infos=parent_infos or {},
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


def _conventional_table(table: TableName, column: str, flag: str) -> TableName:
    if not column.endswith("_id") or len(column) <= 3:
        raise ConfigError(
            f"cannot tell the table {flag} {column} references without a database",
            hint="name the column <table>_id (project_id), or run enable with --db-url",
        )
    return TableName(table.schema, column.removesuffix("_id"))


def _below_scoped_spec(
    table: TableName,
    info: TableInfo,
    *,
    scope_column: str,
    owner_column: str,
    id_column: str | None,
    conflict_strategy: ConflictStrategy,
    synced: Mapping[TableName, Registration],
    scope_through: str | None,
    parent_infos: Mapping[TableName, TableInfo],
) -> TableSpec:
    """The spec of a table below a scoped table: it copies the parent's scope column."""
    candidates = [
        fk
        for fk in info.foreign_keys
        if len(fk.columns) == 1
        and (fk.columns[0] == scope_through if scope_through else True)
        and fk.parent in synced
        and synced[fk.parent].kind == "scoped"
    ]
    if len(candidates) != 1:
        if scope_through is not None:
            reason = f"{table}.{display_identifier(scope_through)} references no enabled scoped table"
        elif not candidates:
            reason = f"table {table} has no column {display_identifier(scope_column)} and references no scoped table"
        else:
            reason = f"table {table} has no column {display_identifier(scope_column)} and references several scoped tables"
        raise TableError(
            reason,
            hint=f"add {display_identifier(scope_column)} (references the scope table), or enable its parent with"
            " --scope-column first and name the column referencing it with --scope-through",
        )
    (fk,) = candidates
    parent = synced[fk.parent]
    assert parent.scope is not None and parent.scope_column is not None
    parent_info = parent_infos.get(fk.parent)
    id_type = "uuid"
    if parent_info is not None and parent.scope_column in parent_info.columns:
        id_type = parent_info.columns[parent.scope_column].type_name
    return TableSpec(
        table,
        owner_column=owner_column,
        id_column=id_column,
        conflict_strategy=conflict_strategy,
        kind="scoped",
        scope=parent.scope,
        scope_column=scope_column,
        scope_id_type=id_type,
        scope_parent=ScopeParent(fk.parent, parent.id_column, fk.columns[0], parent.scope_column),
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
