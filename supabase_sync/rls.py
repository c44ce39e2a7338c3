"""Owner policies for any table: the very SQL ``enable`` uses, to print or keep as a migration."""

from __future__ import annotations

from pathlib import Path

from supabase_sync.apply import Destination, PlanResult, Target, run_plan
from supabase_sync.contract import refuse_managed_schema
from supabase_sync.errors import ConfigError
from supabase_sync.names import parse_table_name
from supabase_sync.plan import Plan
from supabase_sync.render.table import render_rls


def rls_migration_name(table_text: str) -> str:
    """Return the migration name for the owner policies of a table."""
    table = parse_table_name(table_text)
    name = table.name if table.schema == "public" else f"{table.schema}_{table.name}"
    return f"supabase_sync_rls_{name}"


def rls(
    table: str,
    *,
    owner_column: str = "user_id",
    migrations_dir: str | Path | None = None,
) -> PlanResult:
    """Render row level security, the four owner policies and the (owner, server_version) index.

    Returns the SQL (``result.sql``); with ``migrations_dir`` also writes it as a
    migration file. Each statement is idempotent, exactly as ``enable`` emits it.
    """
    if not owner_column:
        raise ConfigError("the owner column name is empty", hint="pass --owner-column NAME, e.g. user_id")
    parsed = parse_table_name(table)
    refuse_managed_schema(parsed)
    plan = Plan(f"rls {parsed} (owner column {owner_column})")
    plan.extend(render_rls(parsed, owner_column=owner_column))
    if migrations_dir is None:
        return run_plan(plan, Target(Destination.STDOUT), dry_run=False, migration_name="")
    return run_plan(
        plan,
        Target(Destination.MIGRATION, migrations_dir=Path(migrations_dir)),
        dry_run=False,
        migration_name=rls_migration_name(table),
    )
