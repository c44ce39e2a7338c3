"""The ``url`` backend: an existing server, e.g. ``supabase start``'s on port 54322.

Nothing is started or stopped; the sandbox only creates databases and drops
exactly those it created. Two kinds of URL work:

- a superuser's: the cluster shim is applied (idempotent), the owner role is
  ``postgres`` (or ``supabase_owner`` when ``postgres`` is the superuser
  itself), created if missing with the URL's password;
- a Supabase owner's (``postgres`` on a Supabase server, not a superuser but
  with CREATEDB and the API roles present): that role is the owner and the
  "superuser" DSN is the same login.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from supabase_sync.dsn import connection_failed, mask_dsn
from supabase_sync.errors import SandboxError
from supabase_sync.sandbox import shim
from supabase_sync.sandbox.base import LogFunction, Sandbox, ServerAddress

PREFERRED_OWNER = "postgres"
FALLBACK_OWNER = "supabase_owner"
API_ROLES = ("anon", "authenticated", "service_role")


@contextmanager
def run(*, db_url: str, keep: bool = False, log: LogFunction) -> Iterator[Sandbox]:
    """Attach to the server of ``db_url`` and yield it as a :class:`Sandbox`.

    On exit, the databases created through the sandbox are dropped (unless ``keep``).
    """
    address, is_superuser, owner_role = _inspect(db_url)
    sandbox = Sandbox(
        backend="url",
        address=address,
        owner_role=owner_role,
        description=f"existing server {mask_dsn(db_url)}",
    )
    if is_superuser:
        shim.apply_cluster_shim(sandbox.superuser_dsn, owner_role=owner_role)
        if address.owner_password:
            _set_password_if_missing(sandbox)
    log(f"sandbox: using the existing server {mask_dsn(db_url)} (owner role {owner_role})")
    try:
        yield sandbox
    finally:
        if keep:
            log(f"sandbox: kept the databases {', '.join(sandbox.created_databases) or '(none)'}")
        else:
            for name in list(reversed(sandbox.created_databases)):
                sandbox.drop_database(name)


def _inspect(db_url: str) -> tuple[ServerAddress, bool, str]:
    params = conninfo_to_dict(db_url)
    try:
        with psycopg.connect(db_url, autocommit=True, connect_timeout=10) as conn:
            user, is_superuser, can_create_db = conn.execute(
                "select rolname, rolsuper, rolcreatedb from pg_catalog.pg_roles where rolname = current_user"
            ).fetchone()
            superuser_named_postgres = conn.execute(
                "select coalesce(bool_or(rolsuper), false) from pg_catalog.pg_roles where rolname = %s",
                (PREFERRED_OWNER,),
            ).fetchone()[0]
            missing_roles = [
                name
                for name in API_ROLES
                if conn.execute("select 1 from pg_catalog.pg_roles where rolname = %s", (name,)).fetchone() is None
            ]
            host = params.get("host") or conn.info.host
            port = int(params.get("port") or conn.info.port)
    except psycopg.Error as error:
        failed = connection_failed(db_url, error, hint="check the URL; `supabase start` prints it as DB URL (port 54322)")
        raise SandboxError(failed.message, hint=failed.hint) from error
    password = params.get("password")
    if is_superuser:
        owner = FALLBACK_OWNER if user == PREFERRED_OWNER or superuser_named_postgres else PREFERRED_OWNER
        address = ServerAddress(
            host=host, port=port, superuser=user, superuser_password=password, owner_password=password
        )
        return address, True, owner
    if missing_roles or not can_create_db:
        lacking = ", ".join(missing_roles) if missing_roles else "the CREATEDB privilege"
        raise SandboxError(
            f"{mask_dsn(db_url)} is not a superuser's URL and the server lacks {lacking}",
            hint="pass a superuser's URL, or the postgres URL of a Supabase server (supabase start)",
        )
    address = ServerAddress(host=host, port=port, superuser=user, superuser_password=password, owner_password=password)
    return address, False, user


def _set_password_if_missing(sandbox: Sandbox) -> None:
    # An owner role the shim just created has no password; give it the URL's
    # so the owner can log in over TCP like any other project role.
    with psycopg.connect(sandbox.superuser_dsn, autocommit=True) as conn:
        has_password = conn.execute(
            "select rolpassword is not null from pg_catalog.pg_authid where rolname = %s", (sandbox.owner_role,)
        ).fetchone()
        if has_password and not has_password[0]:
            conn.execute(
                sql.SQL("alter role {} password {}").format(
                    sql.Identifier(sandbox.owner_role), sql.Literal(sandbox.address.owner_password)
                )
            )
