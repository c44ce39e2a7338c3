"""A ready synced table for apps that sync objects of any model: the generic object store.

Apps grown on a Django-style backend (the Realm/Swift seed app) keep a
fallback store of (owner, model name, uid, JSON data, modify_at) rows and
resolve conflicts per object, the newer ``modify_at`` winning. That maps onto
one synced table with the ``lww`` strategy::

    id text primary key     -- the object's uid
    user_id uuid            -- its owner (auth.uid(), forced on every push)
    model text              -- the model name ("Note", "Photo", ...)
    data jsonb              -- the object's fields
    updated_at timestamptz  -- modify_at: the newer one wins (lww)
    + the sync columns, triggers, owner policies and index of ``enable``

:func:`object_store` creates the table (unless it exists) and enables it
through :func:`supabase_sync.enable.enable`, to a database or as migration files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from supabase_sync.apply import Destination, PlanResult, connection, resolve_target, run_plan
from supabase_sync.catalog import read_table
from supabase_sync.contract import refuse_managed_schema
from supabase_sync.enable import enable
from supabase_sync.errors import ConfigError, SupabaseSyncError, TableError
from supabase_sync.plan import Plan, Statement
from supabase_sync.names import TableName, parse_table_name
from supabase_sync.render.pack import render_lock
from supabase_sync.render.templates import render_template

#: The table ``object_store`` creates when none is named.
DEFAULT_TABLE = "public.sync_object"


@dataclass
class ObjectStoreResult:
    """What ``object_store`` did: the table, its creation and its enable plan results."""

    table: str
    create: PlanResult
    enable: PlanResult

    @property
    def sql(self) -> str:
        """Both scripts, in the order they run."""
        return self.create.sql + "\n" + self.enable.sql

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary of both steps."""
        return {"table": self.table, "create": self.create.to_dict(), "enable": self.enable.to_dict()}


def render_object_store_table(table: TableName, *, owner_column: str) -> Statement:
    """Create the object store table ``table`` unless it exists."""
    return Statement(
        f"object store table {table} (unless it exists)",
        render_template("object_store_table", table=table.identifier, owner_column=sql.Identifier(owner_column)),
    )


def object_store(
    table: str = DEFAULT_TABLE,
    *,
    db_url: str | None = None,
    owner_column: str = "user_id",
    dry_run: bool = False,
    migrations_dir: str | Path | None = None,
    project_dir: str | Path | None = None,
) -> ObjectStoreResult:
    """Create the generic object store ``table`` and enable it for sync with the ``lww`` strategy.

    Destinations as for :func:`supabase_sync.enable.enable`: a migrations
    folder gets two files (the table, then its enable migration); a database
    gets both executed. ``dry_run`` prints instead; against a database it needs
    the table to exist already (enable reads the catalog to plan), otherwise
    write the migrations with ``--dry-run`` to read the SQL.
    """
    if not owner_column:
        raise ConfigError("the owner column name is empty", hint="pass --owner-column NAME, e.g. user_id")
    parsed = parse_table_name(table)
    refuse_managed_schema(parsed)
    target = resolve_target(db_url, migrations_dir=migrations_dir, project_dir=project_dir)
    plan = Plan(f"object-store {parsed}")
    plan.add(render_lock())
    plan.add(render_object_store_table(parsed, owner_column=owner_column))
    name = parsed.name if parsed.schema == "public" else f"{parsed.schema}_{parsed.name}"
    enable_options = {
        "owner_column": owner_column,
        "add_missing_columns": True,
        "conflict_strategy": "lww",
        "dry_run": dry_run,
    }
    if target.destination is Destination.MIGRATION:
        created = run_plan(plan, target, dry_run=dry_run, migration_name=f"supabase_sync_object_store_{name}")
        try:
            # enable checks the folder (with the new file) in a sandbox; a dry run wrote nothing to check.
            enabled = enable(
                [str(parsed)], migrations_dir=target.migrations_dir, check_folder=not dry_run, **enable_options
            )
        except SupabaseSyncError:
            if not dry_run and created.migration_path is not None:
                created.migration_path.unlink()  # refused (e.g. no install yet): leave no file behind
            raise
        return ObjectStoreResult(str(parsed), created, enabled)
    assert target.db_url is not None
    with connection(target.db_url) as conn:
        info = read_table(conn, parsed)
    if info is not None:
        _require_object_store_shape(parsed, {name: column.type_name for name, column in info.columns.items()})
        plan = Plan(f"object-store {parsed}")  # it exists: nothing to create
    elif dry_run:
        raise ConfigError(
                f"--dry-run against a database needs {parsed} to exist: enable plans from the catalog",
                hint="write the migrations instead to read the SQL (--migrations-dir DIR --dry-run), "
                "or run without --dry-run",
            )
    created = run_plan(plan, target, dry_run=dry_run, migration_name="")
    enabled = enable([str(parsed)], db_url=target.db_url, **enable_options)
    return ObjectStoreResult(str(parsed), created, enabled)


#: The columns an existing table needs to serve as the object store, with their types.
_STORE_COLUMNS = {"id": "text", "model": "text", "data": "jsonb"}


def _require_object_store_shape(table: TableName, columns: dict[str, str]) -> None:
    """An existing table is enabled as the store only when it has the store's columns."""
    wrong = [f"{name} {kind}" for name, kind in _STORE_COLUMNS.items() if columns.get(name) != kind]
    if wrong:
        raise TableError(
            f"{table} exists but is not an object store: it lacks {', '.join(wrong)}",
            hint="name another table (supabase-sync object-store public.my_objects), or enable this one "
            "with `supabase-sync enable`",
        )
