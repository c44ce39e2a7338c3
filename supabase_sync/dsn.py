"""Database URLs: where they come from and how they are shown."""

from __future__ import annotations

import os
import re

from supabase_sync.errors import ConfigError

#: Environment variables read, in order, when no ``--db-url`` is given.
DB_URL_ENV_VARS = ("SUPABASE_DB_URL", "DATABASE_URL")

_URL_PASSWORD = re.compile(r"^(?P<head>[a-z][a-z0-9+.-]*://[^:/@]*:)(?P<password>[^@]*)(?P<tail>@.*)$", re.I)
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.I)


def resolve_db_url(explicit: str | None, *, required: bool = True) -> str | None:
    """Return the database URL from ``explicit`` or the environment.

    Raises :class:`ConfigError` naming the flag and variables when ``required``
    and none is set.
    """
    if explicit:
        return explicit
    for name in DB_URL_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value
    if required:
        raise ConfigError(
            "no database URL given",
            hint="pass --db-url postgresql://user:password@host:port/dbname "
            f"or set {' or '.join(DB_URL_ENV_VARS)}",
        )
    return None


def connection_error_reason(error: BaseException) -> str:
    """Why a connection failed, on one line (psycopg's message spans several, tab-indented)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = "; ".join(lines).removeprefix("connection failed: ")
    return reason or type(error).__name__


def mask_dsn(dsn: str) -> str:
    """Return ``dsn`` with its password replaced by ``***`` (URL or key=value form)."""
    match = _URL_PASSWORD.match(dsn)
    if match:
        return f"{match['head']}***{match['tail']}"
    return _KEYWORD_PASSWORD.sub(r"\1***", dsn)
