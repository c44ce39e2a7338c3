"""Supabase CLI migration files: naming, writing, listing and applying them.

The Supabase CLI names migrations ``<YYYYMMDDHHMMSS>_<name>.sql`` (UTC) in
``supabase/migrations`` and applies them in file-name order, each file in one
transaction. This module does the same so a folder behaves here exactly as it
does under ``supabase db push``.

One exception, as under the CLI (2.117 sends a file's statements as one
pipelined batch, which PostgreSQL 15 runs as an implicit transaction that a
``create index concurrently`` commits and starts again): a file holding a
concurrent index build runs statement by statement outside a transaction.
supabase-sync writes those builds to a file of their own (``*_indexes.sql``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from supabase_sync.dsn import connection_failed
from supabase_sync.errors import ConfigError, MigrationFailed, first_line

#: File names the Supabase CLI treats as migrations (others are skipped).
MIGRATION_FILE = re.compile(r"^(?P<version>[0-9]+)_(?P<name>.*)\.sql$")

_TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"
_TIMESTAMP_DIGITS = 14
_NAME_CHARACTERS = re.compile(r"[^a-z0-9_]+")
_MAX_NAME_LENGTH = 80


def migration_name(text: str) -> str:
    """Return ``text`` as a migration name: lowercase ``[a-z0-9_]``, at most 80 characters."""
    name = _NAME_CHARACTERS.sub("_", text.lower()).strip("_")
    name = name[:_MAX_NAME_LENGTH].rstrip("_")
    if not name:
        raise ConfigError(f"{text!r} gives an empty migration name", hint="use letters or digits in the name")
    return name


def migration_filename(name: str, *, now: datetime | None = None) -> str:
    """Return ``<YYYYMMDDHHMMSS>_<name>.sql`` for ``now`` (default: the current UTC time)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment.strftime(_TIMESTAMP_FORMAT)}_{migration_name(name)}.sql"


def list_migrations(folder: str | Path) -> list[Path]:
    """Return the migration files of ``folder`` in the order the Supabase CLI applies them."""
    directory = Path(folder)
    if not directory.is_dir():
        raise ConfigError(f"migrations folder {directory} does not exist", hint="create it or pass another folder")
    return sorted(
        (path for path in directory.iterdir() if path.is_file() and MIGRATION_FILE.match(path.name)),
        key=lambda path: path.name,
    )


def _next_version(folder: Path, now: datetime | None) -> datetime:
    """The current UTC second, or one second after the folder's latest migration.

    Two files written in the same second would share a version (the Supabase CLI's
    primary key) and could sort in the wrong order; this keeps versions increasing.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if not folder.is_dir():
        return moment
    versions = [MIGRATION_FILE.match(path.name)["version"] for path in list_migrations(folder)]
    latest = max((v for v in versions if len(v) == _TIMESTAMP_DIGITS), default=None)
    if latest is None:
        return moment
    after_latest = datetime.strptime(latest, _TIMESTAMP_FORMAT).replace(tzinfo=UTC) + timedelta(seconds=1)
    return max(moment, after_latest)


def write_migration(folder: str | Path, name: str, sql_text: str, *, now: datetime | None = None) -> Path:
    """Write ``sql_text`` as a new migration in ``folder`` (created if missing); return its path.

    The version is the current UTC time, moved past the folder's latest migration
    when needed, so the new file always applies last.
    """
    directory = Path(folder)
    version = _next_version(directory, now)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / migration_filename(name, now=version)
    path.write_text(sql_text, encoding="utf-8")
    return path


_CONCURRENT_INDEX = re.compile(r"^create\s+(unique\s+)?index\s+concurrently\b", re.IGNORECASE)
_DOLLAR_QUOTE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")


def split_statements(text: str) -> list[str]:
    """Split SQL ``text`` into statements at the semicolons outside quotes, dollar quotes and comments.

    Comment lines before a statement stay with it; empty statements are dropped.
    """
    statements: list[str] = []
    start = index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if text.startswith("--", index):
            end = text.find("\n", index)
            index = length if end < 0 else end + 1
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = length if end < 0 else end + 2
        elif char in "'\"":
            end = index + 1
            while end < length:
                if text[end] == char:
                    if end + 1 < length and text[end + 1] == char:
                        end += 2
                        continue
                    break
                end += 1
            index = end + 1
        elif char == "$" and (match := _DOLLAR_QUOTE.match(text, index)) and (index == 0 or not text[index - 1].isalnum()):
            end = text.find(match.group(), match.end())
            index = length if end < 0 else end + len(match.group())
        elif char == ";":
            statements.append(text[start : index + 1])
            index += 1
            start = index
        else:
            index += 1
    statements.append(text[start:])
    return [statement for statement in statements if _code_of(statement)]


def _code_of(statement: str) -> str:
    """``statement`` without its leading comment lines and blanks."""
    lines = [line for line in statement.strip().splitlines() if line.strip() and not line.lstrip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";").strip()


def builds_indexes_concurrently(text: str) -> bool:
    """True when migration ``text`` holds a ``create index concurrently`` (so no transaction may wrap it)."""
    return any(_CONCURRENT_INDEX.match(_code_of(statement)) for statement in split_statements(text))


def apply_file(connection: psycopg.Connection, path: Path) -> None:
    """Apply one migration file on the autocommit ``connection`` as ``supabase db push`` does.

    In one transaction, or statement by statement when it builds an index concurrently.
    """
    text = path.read_text(encoding="utf-8")
    if builds_indexes_concurrently(text):
        for statement in split_statements(text):
            connection.execute(statement.encode())
        return
    with connection.transaction():
        connection.execute(text.encode())


def apply_migrations(
    dsn: str,
    folder: str | Path,
    *,
    on_file: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Apply every migration of ``folder`` in order, each file in its own transaction (see :func:`apply_file`).

    Runs as whatever role ``dsn`` logs in as (use the non-superuser owner, like
    ``supabase db push``). Stops at the first failing file, raising
    :class:`MigrationFailed` naming it; files before it stay applied.
    """
    paths = list_migrations(folder)
    try:
        connection = psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as error:
        raise connection_failed(dsn, error) from error
    with connection:
        for path in paths:
            if on_file is not None:
                on_file(path)
            try:
                apply_file(connection, path)
            except psycopg.Error as error:
                raise MigrationFailed(
                    f"migration {path.name} failed: {first_line(error)}",
                    hint=f"fix {path} and apply again; it was rolled back",
                    path=path,
                ) from error
    return paths
