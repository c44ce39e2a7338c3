"""Structure: what ``supabase-sync enable`` puts on a table is all there.

Registry row, contract columns, row level security, the four owner policies,
policies that evaluate ``auth.uid()`` once per statement, a non-null owner,
the three triggers, the (owner, server_version) index and realtime publication.
"""

from __future__ import annotations

import re

from supabase_sync.catalog import fetch_rows
from supabase_sync.render import (
    POLICY_COMMANDS,
    STAMP_TRIGGER,
    SYNC_COLUMNS,
    TOMBSTONE_TRIGGER,
    TRUNCATE_TRIGGER,
    display_identifier,
    render_owner_version_index,
    render_stamp_trigger,
    render_tombstone_trigger,
    render_truncate_trigger,
)
from supabase_sync.verify.catalog import SyncedTable
from supabase_sync.verify.checks import CheckFailure, CheckSkipped, check
from supabase_sync.verify.context import VerifyContext

_AUTH_CALL = re.compile(r"auth\.(uid|jwt|role|email)\(\)")
_WRAPPED_AUTH_CALL = re.compile(r"SELECT auth\.(uid|jwt|role|email)\(\) AS \w+", re.I)
_CONTRACT_COLUMNS = tuple(column.name for column in SYNC_COLUMNS)


def _enable_fix(table: SyncedTable) -> str:
    owner = f" --owner-column {table.owner_column}" if table.owner_column != "user_id" else ""
    return f"supabase-sync enable {table.collection}{owner} (it re-creates what is missing), then apply the migration"


def _state(ctx: VerifyContext, table: SyncedTable) -> dict[str, object]:
    rows = fetch_rows(
        ctx.conn(superuser=True), "verify_table_state", {"relid": table.relid, "owner_column": table.owner_column}
    )
    if not rows:
        raise CheckFailure(
            f"owner column {table.owner_column} of {table.collection} does not exist", fix=_enable_fix(table)
        )
    return rows[0]


@check("structure.registry")
def registry(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """The table is registered and ranks after every synced table it references."""
    assert table is not None
    ranks = {synced.relid: synced for synced in ctx.tables}
    for foreign_key in table.shape.foreign_keys:
        parent = ranks.get(foreign_key.parent_relid)
        if parent is None or parent.relid == table.relid:
            continue
        if parent.dependency_rank >= table.dependency_rank:
            raise CheckFailure(
                f"{table.collection} (dependency_rank {table.dependency_rank}) references {parent.collection}"
                f" (rank {parent.dependency_rank}), so a push could write the child before its parent",
                fix="select supabase_sync.refresh_dependency_ranks();",
            )
    if table.shape.column(table.id_column) is None:
        raise CheckFailure(f"id column {table.id_column} of {table.collection} does not exist", fix=_enable_fix(table))


@check("structure.columns")
def columns(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """The table has the contract's client and server-maintained columns."""
    assert table is not None
    missing = [name for name in _CONTRACT_COLUMNS if table.shape.column(name) is None]
    if missing:
        raise CheckFailure(
            f"{table.collection} lacks column(s) {', '.join(missing)}",
            fix=f"supabase-sync enable {table.collection} --add-missing-columns",
        )
    version = table.shape.column("server_version")
    if version is not None and version.base_type != "xid8":
        raise CheckFailure(f"{table.collection}.server_version is {version.type_sql}, not xid8", fix=_enable_fix(table))


@check("structure.rls_enabled")
def rls_enabled(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """Row level security is enabled on the table."""
    assert table is not None
    if not _state(ctx, table)["rls_enabled"]:
        raise CheckFailure(
            f"row level security is disabled on {table.collection}: every user can read every row",
            fix=f"alter table {table.collection} enable row level security;",
        )


def _applies_to_authenticated(policy: dict[str, object]) -> bool:
    roles = policy["roles"] or []
    return "public" in roles or "authenticated" in roles  # type: ignore[operator]


@check("structure.policies")
def policies(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """Authenticated users have an owner policy for select, insert, update and delete, none allows every row."""
    assert table is not None
    rows = fetch_rows(ctx.conn(superuser=True), "policies", {"oid": table.relid})
    fix = f"supabase-sync rls {table.collection} --owner-column {table.owner_column} (prints the four policies)"
    for policy in rows:
        for key in ("using_expression", "check_expression"):
            expression = (policy[key] or "").strip().strip("()").strip().lower()
            if expression == "true":
                clause = "using" if key == "using_expression" else "with check"
                raise CheckFailure(
                    f"policy {policy['name']!r} on {table.collection} ({policy['command']}) has {clause} (true):"
                    " it lets every user reach every row",
                    fix=f"drop policy {display_identifier(str(policy['name']))} on {table.collection}; then {fix}",
                )
    covered = {
        command
        for policy in rows
        if policy["permissive"] and _applies_to_authenticated(policy)
        for command in (POLICY_COMMANDS if policy["command"] == "all" else (policy["command"],))
    }
    missing = [command for command in POLICY_COMMANDS if command not in covered]
    if missing:
        raise CheckFailure(
            f"{table.collection} has no policy letting authenticated users {'/'.join(missing)} their own rows"
            f" (with row level security on, those requests silently affect nothing)",
            fix=fix,
        )


@check("structure.policy_initplan")
def policy_initplan(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """Policies call auth.uid() as (select auth.uid()), evaluated once per statement, not once per row."""
    assert table is not None
    for policy in fetch_rows(ctx.conn(superuser=True), "policies", {"oid": table.relid}):
        for key in ("using_expression", "check_expression"):
            expression = policy[key] or ""
            bare = _AUTH_CALL.findall(_WRAPPED_AUTH_CALL.sub("", expression))
            if bare:
                raise CheckFailure(
                    f"policy {policy['name']!r} on {table.collection} calls auth.{bare[0]}() per row: {expression}",
                    fix=f"recreate it with (select auth.{bare[0]}()) in place of auth.{bare[0]}()",
                )


@check("structure.owner_column")
def owner_column(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """The owner column is a uuid that cannot be null."""
    assert table is not None
    state = _state(ctx, table)
    column = f"{table.collection}.{display_identifier(table.owner_column)}"
    if not state["owner_not_null"] and not state["owner_checked"]:
        raise CheckFailure(
            f"owner column {column} is nullable and unchecked: a row without owner is invisible to everyone"
            " and never syncs",
            fix=f"alter table {table.collection} alter column {display_identifier(table.owner_column)} set not null;",
        )
    if state["owner_type"] != "uuid":
        raise CheckFailure(
            f"owner column {column} is {state['owner_type']}, but auth.uid() is a uuid",
            fix=f"alter table {table.collection} alter column {display_identifier(table.owner_column)} type uuid"
            f" using {display_identifier(table.owner_column)}::uuid;",
        )


def _expected_triggers(table: SyncedTable) -> dict[str, tuple[str, str]]:
    """Trigger name -> (fragment its definition must contain, SQL that creates it)."""
    name = table.shape.table
    return {
        STAMP_TRIGGER: ("BEFORE INSERT OR UPDATE ON", render_stamp_trigger(name).inline()),
        TOMBSTONE_TRIGGER: (
            "AFTER DELETE ON",
            render_tombstone_trigger(name, id_column=table.id_column, owner_column=table.owner_column).inline(),
        ),
        TRUNCATE_TRIGGER: ("AFTER TRUNCATE ON", render_truncate_trigger(name).inline()),
    }


@check("structure.triggers")
def triggers(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """The stamp, tombstone and truncate triggers exist, fire on the right events and are enabled."""
    assert table is not None
    found = {
        row["name"]: row for row in fetch_rows(ctx.conn(superuser=True), "verify_triggers", {"relid": table.relid})
    }
    for name, (fragment, create) in _expected_triggers(table).items():
        trigger = found.get(name)
        if trigger is None:
            raise CheckFailure(f"trigger {name} is missing on {table.collection}", fix=create)
        if fragment not in str(trigger["definition"]):
            raise CheckFailure(
                f"trigger {name} on {table.collection} is not {fragment.lower()} the table: {trigger['definition']}",
                fix=f"drop trigger {name} on {table.collection}; {create}",
            )
        if trigger["enabled"] == "D":
            raise CheckFailure(
                f"trigger {name} on {table.collection} is disabled",
                fix=f"alter table {table.collection} enable trigger {name};",
            )


@check("structure.owner_index")
def owner_index(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """An index on (owner, server_version) serves incremental pulls."""
    assert table is not None
    if not _state(ctx, table)["owner_index"]:
        raise CheckFailure(
            f"{table.collection} has no index on ({table.owner_column}, server_version):"
            " every incremental pull scans the whole table",
            fix=render_owner_version_index(table.shape.table, owner_column=table.owner_column).inline(),
        )


@check("structure.publication")
def publication(ctx: VerifyContext, table: SyncedTable | None) -> None:
    """The table is in the supabase_realtime publication (when that publication exists)."""
    assert table is not None
    member = _state(ctx, table)["publication_member"]
    if member is None:
        raise CheckSkipped("the database has no supabase_realtime publication")
    if not member:
        raise CheckFailure(
            f"{table.collection} is not in publication supabase_realtime: realtime subscribers miss its changes",
            fix=f"alter publication supabase_realtime add table {table.collection};",
        )
