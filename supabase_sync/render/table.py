"""The per-table statements of enable, disable and rls, from ``sql/policies`` and ``sql/templates``.

Each renderer returns one labelled :class:`~supabase_sync.plan.Statement`;
:mod:`supabase_sync.contract` decides which of them a table needs.
"""

from __future__ import annotations

from psycopg import sql

from supabase_sync.names import TableName
from supabase_sync.plan import Statement
from supabase_sync.render.templates import render_template
from supabase_sync.names import truncate_identifier
from supabase_sync.sync_objects import (
    MEMBERSHIP_TRIGGER,
    BROADCAST_TRIGGER,
    POLICY_COMMANDS,
    SCOPE_EVENT_TRIGGER,
    SCOPE_MOVE_TRIGGER,
    REALTIME_PUBLICATION,
    STAMP_TRIGGER,
    TOMBSTONE_TRIGGER,
    TRANSFER_TRIGGER,
    TRUNCATE_TRIGGER,
    SyncColumn,
    owner_index_name,
    owner_version_index_name,
    policy_name,
    shared_index_name,
    shared_policy_name,
)

# --- columns ---------------------------------------------------------------------


def render_add_column(table: TableName, column: SyncColumn) -> Statement:
    """Add one sync column unless the table has it."""
    return Statement(
        f"add column {column.name} to {table}",
        render_template(
            "add_column",
            table=table.identifier,
            column=sql.Identifier(column.name),
            definition=sql.SQL(column.definition),  # type: ignore[arg-type]  # a constant of sync_objects
        ),
    )


def render_require_columns(table: TableName, columns: list[str]) -> Statement:
    """Stop a migration, naming the missing ones, when ``table`` lacks any of ``columns``."""
    return Statement(
        f"check that {table} has the sync columns",
        render_template("require_columns", table_name=table.regclass, column_names=sql.Literal(columns)),
    )


def primary_key_column(table: TableName) -> sql.Composed:
    """The name of ``table``'s single-column primary key, computed when the statement runs (a subquery)."""
    query = render_template("primary_key_column", table_name=table.regclass)
    return sql.SQL("({})").format(query)


def render_require_primary_key(table: TableName) -> Statement:
    """Stop a migration when ``table`` has no single-column uuid or text primary key."""
    return Statement(
        f"check that {table} has a single-column uuid or text primary key",
        render_template("require_primary_key", table_name=table.regclass, primary_key_column=primary_key_column(table)),
    )


def render_set_not_null(table: TableName, column: str) -> Statement:
    """Make ``column`` NOT NULL (a rewrite-free scan that fails while a row holds null)."""
    return Statement(
        f"make {column} of {table} not null",
        render_template("set_not_null", table=table.identifier, column=sql.Identifier(column)),
    )


# --- triggers --------------------------------------------------------------------


def render_stamp_trigger(table: TableName) -> Statement:
    """Create the trigger that sets the server-maintained columns."""
    return Statement(f"trigger {STAMP_TRIGGER} on {table}", render_template("trigger_stamp", table=table.identifier))


def render_tombstone_trigger(table: TableName, *, id_column: str | None, owner_column: str) -> Statement:
    """Create the trigger that records hard deletes as tombstones.

    ``id_column`` None names the table's primary key as the statement runs
    (a migration written without reading the catalog).
    """
    label = f"trigger {TOMBSTONE_TRIGGER} on {table}"
    if id_column is None:
        return Statement(
            label,
            render_template(
                "trigger_tombstone_primary_key",
                table_name=table.regclass,
                primary_key_column=primary_key_column(table),
                owner_column_name=sql.Literal(owner_column),
            ),
        )
    return Statement(
        label,
        render_template(
            "trigger_tombstone",
            table=table.identifier,
            id_column_name=sql.Literal(id_column),
            owner_column_name=sql.Literal(owner_column),
        ),
    )


def render_transfer_trigger(table: TableName, *, owner_column: str) -> Statement:
    """Create the trigger that reports a row moved to another owner as deleted to its former owner."""
    return Statement(
        f"trigger {TRANSFER_TRIGGER} on {table}",
        render_template("trigger_transfer", table=table.identifier, owner_column=sql.Identifier(owner_column)),
    )


def render_truncate_trigger(table: TableName) -> Statement:
    """Create the trigger that forces a resync after TRUNCATE."""
    return Statement(
        f"trigger {TRUNCATE_TRIGGER} on {table}", render_template("trigger_truncate", table=table.identifier)
    )


def render_drop_trigger(table: TableName, trigger: str) -> Statement:
    """Drop one supabase-sync trigger if present."""
    return Statement(
        f"drop trigger {trigger} on {table}",
        render_template("drop_trigger", trigger=sql.Identifier(trigger), table=table.identifier),
    )


# --- row level security ------------------------------------------------------------


def render_enable_rls(table: TableName) -> Statement:
    """Turn row level security on."""
    return Statement(f"enable row level security on {table}", render_template("enable_rls", table=table.identifier))


def render_owner_policy(table: TableName, command: str, *, owner_column: str) -> Statement:
    """Create the owner policy for ``command`` unless a policy of that name exists."""
    name = policy_name(command)
    return Statement(
        f'policy "{name}" on {table}',
        render_template(
            f"owner_{command}",
            table=table.identifier,
            table_name=table.regclass,
            owner_column=sql.Identifier(owner_column),
            policy_name=sql.Identifier(name),
            policy_name_text=sql.Literal(name),
        ),
    )


def render_owner_policies(table: TableName, *, owner_column: str) -> list[Statement]:
    """Create the four owner policies (select, insert, update, delete)."""
    return [render_owner_policy(table, command, owner_column=owner_column) for command in POLICY_COMMANDS]


def render_drop_policy(table: TableName, name: str) -> Statement:
    """Drop the policy ``name`` of ``table`` if it exists."""
    return Statement(
        f'drop policy "{name}" on {table}',
        render_template("drop_policy", policy_name=sql.Identifier(name), table=table.identifier),
    )


# --- indexes -----------------------------------------------------------------------


def _render_owner_leading_index(template: str, index: str, table: TableName, owner_column: str) -> Statement:
    return Statement(
        f"index {index} on {table}",
        render_template(
            template, index_name=sql.Identifier(index), table=table.identifier, owner_column=sql.Identifier(owner_column)
        ),
    )


def render_owner_version_index(table: TableName, *, owner_column: str, id_column: str | None) -> Statement:
    """Create the (owner, server_version, bucket of the id) index incremental pulls read in position order.

    ``id_column`` None names the table's primary key as the statement runs
    (a migration written without reading the catalog).
    """
    return _render_position_index(owner_version_index_name(table.name), table, owner_column, id_column)


def render_scope_position_index(table: TableName, *, scope_column: str, id_column: str | None) -> Statement:
    """Create the (scope column, server_version, bucket of the id) index a scoped table's pulls read.

    pull_keys reads each visible scope row's changed rows as one ordered, limited range of it.
    """
    return _render_position_index(shared_index_name(table.name, "scope_position"), table, scope_column, id_column)


def render_scope_bucket_index(table: TableName, *, scope_column: str, id_column: str | None) -> Statement:
    """Create the (scope column, bucket of the id) index: a scope row's rows in bucket order.

    pull_keys reads the rows of a scope row the caller gained (all at the gain's version) and the rows
    below the horizon (all at the horizon) as one ordered, limited range of it per scope row.
    ``id_column`` None names the table's primary key as the statement runs.
    """
    return _render_index(
        shared_index_name(table.name, "scope_bucket"), table, "scope_bucket_index", "scope_column", scope_column, id_column
    )


def render_version_bucket_index(table: TableName, *, id_column: str | None) -> Statement:
    """Create the (server_version, bucket of the id) index: a scoped table's rows in position order.

    pull_keys reads one limited range of it for a caller who sees many scope rows (more than a
    quarter of a page), keeping theirs, instead of one range per visible scope row.
    ``id_column`` None names the table's primary key as the statement runs.
    """
    return _render_index(shared_index_name(table.name, "version_bucket"), table, "version_bucket_index", None, None, id_column)


def _render_position_index(index: str, table: TableName, owner_column: str, id_column: str | None) -> Statement:
    return _render_index(index, table, "owner_version_index", "owner_column", owner_column, id_column)


def _render_index(
    index: str, table: TableName, template: str, column_placeholder: str | None, column: str | None, id_column: str | None
) -> Statement:
    """An index on (column, ..., bucket of the id) from ``template``; its ``_primary_key`` twin when ``id_column`` is None.

    ``column_placeholder`` None: the template names no column but the id (and the sync columns).
    """
    leading = {} if column_placeholder is None else {column_placeholder: sql.Identifier(column)}
    leading_name = {} if column_placeholder is None else {f"{column_placeholder}_name": sql.Literal(column)}
    if id_column is None:
        return Statement(
            f"index {index} on {table}",
            render_template(
                f"{template}_primary_key",
                index_name_text=sql.Literal(index),
                table_name=table.regclass,
                primary_key_column=primary_key_column(table),
                **leading_name,
            ),
        )
    return Statement(
        f"index {index} on {table}",
        render_template(
            template,
            index_name=sql.Identifier(index),
            table=table.identifier,
            id_column=sql.Identifier(id_column),
            **leading,
        ),
    )


def render_owner_index(table: TableName, *, owner_column: str) -> Statement:
    """Create a plain index on the owner column (what the owner policies filter by)."""
    return _render_owner_leading_index("owner_index", owner_index_name(table.name, owner_column), table, owner_column)


# --- publication and registry ---------------------------------------------------------


def render_revoke_truncate(table: TableName) -> Statement:
    """Revoke TRUNCATE (which bypasses row level security) from the API roles."""
    return Statement(f"revoke truncate on {table} from anon, authenticated", render_template("revoke_truncate", table=table.identifier))


def render_broadcast_trigger(table: TableName, *, id_column: str | None, owner_column: str) -> Statement:
    """Create the trigger that broadcasts each change (table and id) to the owner's private Realtime topic."""
    return Statement(
        f"trigger {BROADCAST_TRIGGER} on {table}",
        render_template(
            "trigger_broadcast",
            table=table.identifier,
            id_column_name=sql.Literal(id_column or "id"),
            owner_column_name=sql.Literal(owner_column),
        ),
    )


def render_publication_removal(table: TableName) -> Statement:
    """Take the table out of ``supabase_realtime`` (Postgres Changes leaks DELETE events to every subscriber)."""
    return Statement(
        f"take {table} out of {REALTIME_PUBLICATION} (when it is a member)",
        render_template("publication_nonmember", table=table.identifier, table_name=table.regclass),
    )


def render_register_realtime(table: TableName, realtime: str) -> Statement:
    """Record how the table notifies clients (``synced_table.realtime``)."""
    return Statement(
        f"register {table} realtime {realtime}",
        render_template("register_realtime", table_name=table.regclass, realtime=sql.Literal(realtime)),
    )


def render_register_big_numbers(table: TableName, big_numbers: str | None) -> Statement:
    """Record how pulls send the table's int8/numeric columns (``synced_table.big_numbers``; None: the pack default)."""
    return Statement(
        f"register {table} big numbers {big_numbers or 'default'}",
        render_template(
            "register_big_numbers",
            table_name=table.regclass,
            big_numbers=sql.Literal(big_numbers) if big_numbers is not None else sql.SQL("null::text"),
        ),
    )


def render_publication_membership(table: TableName) -> Statement:
    """Add the table to ``supabase_realtime`` when that publication exists."""
    return Statement(
        f"publish {table} in {REALTIME_PUBLICATION} (when the publication exists)",
        render_template("publication_member", table=table.identifier, table_name=table.regclass),
    )


def render_register_table(
    table: TableName, *, owner_column: str, id_column: str | None, conflict_strategy: str
) -> Statement:
    """Register (or update) the table in ``supabase_sync.synced_table``.

    ``id_column`` None registers the table's primary key as the statement runs.
    """
    label = f"register {table} (owner {owner_column}, {conflict_strategy})"
    if id_column is None:
        return Statement(
            label,
            render_template(
                "register_table_primary_key",
                table_name=table.regclass,
                owner_column_name=sql.Literal(owner_column),
                conflict_strategy=sql.Literal(conflict_strategy),
            ),
        )
    return Statement(
        label,
        render_template(
            "register_table",
            table_name=table.regclass,
            owner_column_name=sql.Literal(owner_column),
            id_column_name=sql.Literal(id_column),
            conflict_strategy=sql.Literal(conflict_strategy),
        ),
    )


def render_refresh_dependency_ranks() -> Statement:
    """Recompute the push order of synced tables."""
    return Statement("recompute the push order of synced tables", render_template("refresh_dependency_ranks"))


def render_unregister_table(table: TableName) -> Statement:
    """Remove the table's registry row."""
    return Statement(f"unregister {table}", render_template("unregister_table", table_name=table.regclass))


# --- data removal (disable --drop-data, uninstall --drop-data) ----------------------------


def render_delete_tombstones(table: TableName) -> Statement:
    """Delete the tombstones recorded for the table (data)."""
    return Statement(
        f"delete the tombstones of {table}",
        render_template("delete_tombstones", table_name=table.regclass),
        destructive=True,
    )


def render_drop_column(table: TableName, column: str) -> Statement:
    """Drop one server-maintained column (data)."""
    return Statement(
        f"drop column {column} of {table}",
        render_template("drop_column", table=table.identifier, column=sql.Identifier(column)),
        destructive=True,
    )


# --- rls (a table secured by hand) ----------------------------------------------------------


def render_rls(table: TableName, *, owner_column: str) -> list[Statement]:
    """Row level security, the four owner policies (as enable renders them) and an owner index.

    The index is on the owner column alone: a table secured by hand has no
    ``server_version`` yet. Enabling sync on it later adds the
    (owner, server_version) index, which serves the policies as well.
    """
    return [
        render_enable_rls(table),
        *render_owner_policies(table, owner_column=owner_column),
        render_owner_index(table, owner_column=owner_column),
    ]


# --- sharing (scope, scoped and membership tables) ------------------------------------------


def render_shared_policy(
    table: TableName,
    command: str,
    *,
    column: str,
    scope: TableName,
    role: str,
    id_type: str,
    owner_column: str | None,
    owner_required: bool = False,
) -> Statement:
    """Create the shared-table policy for ``command`` unless a policy of that name exists.

    Rows pass when ``column`` holds a scope row the caller reaches with at least
    ``role``; with ``owner_column`` the owner passes as well (a scope table), or
    with ``owner_required`` must be the caller too (a new scoped row is its
    author's: nobody writes a row in another user's name).
    """
    name = shared_policy_name(command)
    joiner = " and " if owner_required else " or "
    owner_clause = (
        sql.SQL("(select auth.uid()) = {}" + joiner).format(sql.Identifier(owner_column))  # type: ignore[arg-type]
        if owner_column
        else sql.SQL("")
    )
    return Statement(
        f'policy "{name}" on {table}',
        render_template(
            f"shared_{command}",
            table=table.identifier,
            table_name=table.regclass,
            policy_name=sql.Identifier(name),
            policy_name_text=sql.Literal(name),
            column=sql.Identifier(column),
            scope_name=scope.regclass,
            role=sql.Literal(role),
            id_type=sql.SQL(id_type),  # type: ignore[arg-type]  # a type name read from pg_catalog (format_type)
            owner_clause=owner_clause,
        ),
    )


def render_shared_index(table: TableName, purpose: str, columns: tuple[str, ...]) -> Statement:
    """Create an index a shared table needs, on ``columns``."""
    index = shared_index_name(table.name, purpose)
    return Statement(
        f"index {index} on {table}",
        render_template(
            "shared_index",
            index_name=sql.Identifier(index),
            table=table.identifier,
            columns=sql.SQL(", ").join(sql.Identifier(column) for column in columns),
        ),
    )


def render_scope_event_trigger(table: TableName, *, id_column: str, owner_column: str) -> Statement:
    """Create the trigger recording ownership changes and deletes of a scope table's rows."""
    return Statement(
        f"trigger {SCOPE_EVENT_TRIGGER} on {table}",
        render_template(
            "trigger_scope_event",
            table=table.identifier,
            id_column_name=sql.Literal(id_column),
            owner_column_name=sql.Literal(owner_column),
        ),
    )


def render_scope_move_trigger(table: TableName, *, scope: TableName, scope_column: str, id_column: str) -> Statement:
    """Create the trigger recording rows of a scoped table moved to another scope row."""
    return Statement(
        f"trigger {SCOPE_MOVE_TRIGGER} on {table}",
        render_template(
            "trigger_scope_move",
            table=table.identifier,
            scope_column=sql.Identifier(scope_column),
            scope_name=scope.regclass,
            scope_column_name=sql.Literal(scope_column),
            id_column_name=sql.Literal(id_column),
        ),
    )


def render_membership_trigger(table: TableName, *, scope: TableName, scope_column: str, member_column: str) -> Statement:
    """Create the trigger recording grants and revokes of a membership table."""
    return Statement(
        f"trigger {MEMBERSHIP_TRIGGER} on {table}",
        render_template(
            "trigger_membership",
            table=table.identifier,
            scope_name=scope.regclass,
            scope_column_name=sql.Literal(scope_column),
            member_column_name=sql.Literal(member_column),
        ),
    )


#: SQL null as the style lint wants it (psycopg renders Literal(None) as NULL).
_NULL = sql.SQL("null")


def _literal_or_null(value: str | None) -> sql.Composable:
    return sql.Literal(value) if value is not None else _NULL


def render_register_sharing(
    table: TableName,
    *,
    kind: str,
    members: TableName | None = None,
    member_column: str | None = None,
    member_scope_column: str | None = None,
    scope: TableName | None = None,
    scope_column: str | None = None,
) -> Statement:
    """Record in the registry how ``table`` is shared (its kind and the columns the kind uses)."""
    return Statement(
        f"register {table} as a {kind} table",
        render_template(
            "register_sharing",
            table_name=table.regclass,
            kind=sql.Literal(kind),
            members_name=members.regclass if members else _NULL,
            member_column_name=_literal_or_null(member_column),
            member_scope_column_name=_literal_or_null(member_scope_column),
            scope_name=scope.regclass if scope else _NULL,
            scope_column_name=_literal_or_null(scope_column),
        ),
    )


def render_register_scope_through(table: TableName, *, parent: TableName | None, fk_column: str | None) -> Statement:
    """Record in the registry the scoped ``parent`` whose scope column ``table`` copies through ``fk_column``."""
    return Statement(
        f"register {table} as copying its scope from {parent}" if parent else f"register {table} as holding its scope",
        render_template(
            "register_scope_through",
            table_name=table.regclass,
            parent_name=parent.regclass if parent else _NULL,
            fk_column_name=_literal_or_null(fk_column),
        ),
    )


def render_create_members(
    table: TableName, *, scope: TableName, scope_id_column: str, scope_id_type: str, scope_column: str
) -> Statement:
    """Create a membership table for ``scope`` (enable --create-members)."""
    return Statement(
        f"create membership table {table} for {scope}",
        render_template(
            "create_members",
            table=table.identifier,
            scope_table=scope.identifier,
            scope_id_column=sql.Identifier(scope_id_column),
            scope_column=sql.Identifier(scope_column),
            scope_id_type=sql.SQL(scope_id_type),  # type: ignore[arg-type]  # a type name from format_type
            unique_name=sql.Identifier(truncate_identifier(f"{table.name}_{scope_column}_user_id_key")),
        ),
    )


def render_inherit_scope(
    table: TableName,
    *,
    parent: TableName,
    parent_key: str,
    fk_column: str,
    scope: TableName,
    scope_column: str,
    parent_scope_column: str,
    scope_id_type: str,
) -> Statement:
    """Give ``table`` (below the scoped ``parent``) its own scope column, kept equal to the parent's."""
    return Statement(
        f"scope column {scope_column} of {table}, kept equal to {parent}'s",
        render_template(
            "inherit_scope",
            table=table.identifier,
            parent=parent.identifier,
            scope_table=scope.identifier,
            scope_column=sql.Identifier(scope_column),
            fk_column=sql.Identifier(fk_column),
            parent_key=sql.Identifier(parent_key),
            parent_scope_column=sql.Identifier(parent_scope_column),
            children_trigger=sql.Identifier(truncate_identifier(f"supabase_sync_scope_children_{table.name}")),
            scope_id_type=sql.SQL(scope_id_type),  # type: ignore[arg-type]  # a type name from format_type
            table_name=table.regclass,
            parent_name=parent.regclass,
            parent_key_name=sql.Literal(parent_key),
            fk_column_name=sql.Literal(fk_column),
            scope_column_name=sql.Literal(scope_column),
            parent_scope_column_name=sql.Literal(parent_scope_column),
        ),
    )
