"""Database URLs: where they come from and how they are shown."""

from __future__ import annotations

import os
import re

from supabase_sync.errors import ConfigError, ConnectionFailed

#: Environment variables read, in order, when no ``--db-url`` is given.
DB_URL_ENV_VARS = ("SUPABASE_DB_URL", "DATABASE_URL")

# The password runs to the *last* "@": a host never holds one, while a password typed
# without percent-encoding may ("postgres:p@ss@host" must not print "ss@host"). A
# "@" later in the query string makes this mask too much, never too little.
_URL_PASSWORD = re.compile(r"^(?P<head>[a-z][a-z0-9+.-]*://[^:/@]*:)(?P<password>.*)(?P<tail>@[^@]*)$", re.I | re.S)
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


#: How to write a URL whose password holds URL delimiters (libpq decodes percent-encoding).
PERCENT_ENCODING_HINT = "percent-encode special characters of the URL's password (@ is %40, / is %2F, # is %23)"

#: What to check when a database URL does not connect.
CONNECTION_HINT = "check the URL, that the server is running and that the role may log in"


def password_needs_encoding(dsn: str) -> bool:
    """True when the URL's password holds an ``@`` or ``/``: libpq then reads host and port from inside it."""
    match = _URL_PASSWORD.match(dsn)
    return match is not None and any(char in match["password"] for char in "@/")


def connection_failed(dsn: str, error: BaseException, *, hint: str = CONNECTION_HINT) -> ConnectionFailed:
    """The one-line error for a failed connection to ``dsn``: the URL masked, why, how to fix it.

    With an unencoded ``@`` or ``/`` in the password, libpq's own message names a
    "host" cut out of the password, so it is not repeated; the hint says how to
    encode the password instead.
    """
    masked = mask_dsn(dsn)
    if password_needs_encoding(dsn):
        return ConnectionFailed(
            f"cannot connect to {masked}: the password holds an unencoded '@' or '/', "
            "so the host was read from inside the password",
            hint=f"{PERCENT_ENCODING_HINT}; python3 -c \"import urllib.parse, getpass; "
            "print(urllib.parse.quote(getpass.getpass(), safe=''))\" prints the encoded form",
        )
    return ConnectionFailed(
        f"cannot connect to {masked}: {connection_error_reason(error)}",
        hint=f"{hint}; {PERCENT_ENCODING_HINT}",
    )


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
