"""The Supabase shim: what a plain PostgreSQL lacks to behave like a Supabase project.

Two SQL files ship next to this module: ``shim_sql/cluster.sql`` (the API roles and
the owner role, once per cluster) and ``shim_sql/database.sql`` (auth schema and
helpers, grants, default privileges, publication; once per database). Both are
idempotent and take the owner role's name from the session setting
``supabase_sync_shim.owner_role``, so the files stay plain SQL.
"""

from __future__ import annotations

from importlib import resources

import psycopg
from psycopg import sql

from supabase_sync.errors import SandboxError

#: Session setting the shim SQL reads the owner role's name from.
OWNER_ROLE_SETTING = "supabase_sync_shim.owner_role"


def read_shim_sql(name: str) -> str:
    """Return the text of ``shim_sql/<name>.sql`` ("cluster" or "database")."""
    return (resources.files("supabase_sync.sandbox") / "shim_sql" / f"{name}.sql").read_text(encoding="utf-8")


def apply_cluster_shim(dsn: str, *, owner_role: str) -> None:
    """Create the API roles and the non-superuser ``owner_role`` (``dsn`` must be a superuser's)."""
    _run_shim(dsn, "cluster", owner_role=owner_role)


def apply_database_shim(dsn: str, *, owner_role: str) -> None:
    """Add Supabase's auth schema, helpers, grants and publication to the database of ``dsn``."""
    _run_shim(dsn, "database", owner_role=owner_role)


def prepare_new_cluster(superuser_dsn: str, *, owner_role: str) -> None:
    """Shim a cluster the sandbox just created: roles, then its ``postgres`` database, owned by ``owner_role``.

    ``superuser_dsn`` points at the ``postgres`` database; as on hosted
    Supabase, the owner role then owns that database.
    """
    apply_cluster_shim(superuser_dsn, owner_role=owner_role)
    apply_database_shim(superuser_dsn, owner_role=owner_role)
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("alter database postgres owner to {}").format(sql.Identifier(owner_role)))


def _run_shim(dsn: str, name: str, *, owner_role: str) -> None:
    text = read_shim_sql(name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("select set_config(%s, %s, false)", (OWNER_ROLE_SETTING, owner_role))
            # No parameters: psycopg sends the file as one simple query, so a
            # failure anywhere leaves nothing half-applied (implicit transaction).
            conn.execute(text.encode("utf-8"))
    except psycopg.Error as error:
        raise SandboxError(
            f"could not apply the Supabase shim ({name}.sql): {error}",
            hint="the sandbox needs a superuser connection on a PostgreSQL 13 or newer server",
        ) from error
