"""Checking plpgsql function bodies with the ``plpgsql_check`` extension.

sqlfluff does not parse inside ``$$ ... $$`` bodies, and PostgreSQL only checks
a plpgsql body's syntax when it is created: a misspelt column or a wrong type
surfaces when the function first runs. plpgsql_check compiles each body against
the real schema and reports such errors (with the line inside the body).

The extension is optional: when it is not installed on the server, this part is
skipped and the report says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from supabase_sync.lint.report import Finding
from supabase_sync.names import display_identifier
from supabase_sync.resources import read_sql

#: The schema the extension is created in (sandboxes only), kept out of the linted schemas.
EXTENSION_SCHEMA = "plpgsql_check"

SKIPPED_NOTE = (
    "plpgsql function bodies were not checked: the plpgsql_check extension is not available on this server "
    "(on Debian/Ubuntu: apt-get install postgresql-<version>-plpgsql-check)"
)


@dataclass(frozen=True)
class FunctionSource:
    """Where a function is created in the linted files: path and line of its body's first line."""

    path: str
    body_line: int


@dataclass(frozen=True)
class ExtensionState:
    """Whether plpgsql_check can be created on the server, and where it is created in this database."""

    available: bool
    installed_schema: str | None


def extension_state(conn: psycopg.Connection) -> ExtensionState:
    """Read whether plpgsql_check is available on ``conn``'s server and created in its database."""
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(read_sql("queries/lint_plpgsql_check_state.sql").encode())
        row = cursor.fetchone()
    assert row is not None  # the query always returns one row
    return ExtensionState(available=row["available"], installed_schema=row["installed_schema"])


def install_extension(superuser_dsn: str) -> bool:
    """Create plpgsql_check in its own schema of a sandbox database; False when it is not available."""
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        if not extension_state(conn).available:
            return False
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(EXTENSION_SCHEMA)))
        conn.execute(
            sql.SQL("create extension if not exists plpgsql_check schema {}").format(sql.Identifier(EXTENSION_SCHEMA))
        )
        # The lint reads the schema as the project owner, who calls the checker.
        conn.execute(sql.SQL("grant usage on schema {} to public").format(sql.Identifier(EXTENSION_SCHEMA)))
    return True


def _function_pattern(schema: str, name: str) -> re.Pattern[str]:
    qualified = rf'(?:"?{re.escape(schema)}"?\s*\.\s*)?' if schema else ""
    return re.compile(rf"create\s+(?:or\s+replace\s+)?(?:function|procedure)\s+{qualified}\"?{re.escape(name)}\"?\s*\(", re.I)


_CONTEXT_LINE = re.compile(r"\bon line (\d+)")
_BODY_START = re.compile(r"\bas\s+(\$[A-Za-z_0-9]*\$)", re.I)


def locate_function(files: Sequence[tuple[str, str]], schema: str, name: str) -> FunctionSource | None:
    """Find the last ``create function schema.name`` in ``files`` ((shown path, text) pairs, in apply order)."""
    pattern = _function_pattern(schema, name)
    found: FunctionSource | None = None
    for shown, text in files:
        for match in pattern.finditer(text):
            body = _BODY_START.search(text, match.end())
            if body is None:
                continue
            found = FunctionSource(shown, text.count("\n", 0, body.end()) + 1)
    return found


def check_function_bodies(
    conn: psycopg.Connection,
    *,
    schemas: Sequence[str],
    files: Sequence[tuple[str, str]] = (),
) -> list[Finding]:
    """Run plpgsql_check over the plpgsql functions of ``schemas``; needs the extension created.

    Trigger functions are checked against a table that uses them (with its
    transition tables); a trigger function no table uses yet is skipped.
    """
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(read_sql("queries/lint_plpgsql_functions.sql").encode(), {"schemas": list(schemas)})
        functions = list(cursor.fetchall())
    extension_schema = extension_state(conn).installed_schema
    if extension_schema is None:
        return []
    check = sql.SQL(
        "select * from {}.plpgsql_check_function_tb(funcoid => %(oid)s, relid => %(relid)s, "
        "oldtable => %(oldtable)s, newtable => %(newtable)s, fatal_errors => false)"
    ).format(sql.Identifier(extension_schema))
    findings: list[Finding] = []
    for function in functions:
        if function["is_trigger"] and not function["relid"]:
            continue
        with conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(check, function)
            results = list(cursor.fetchall())
        findings.extend(_to_findings(function, results, files))
    return findings


#: plpgsql_check cannot see what `return query execute` assigns, so it warns that every OUT
#: column of a RETURNS TABLE function filled that way is "maybe unmodified". It says itself
#: that it cannot decide: not a finding.
_UNDECIDABLE_OUT = re.compile(r"OUT variable .* is maybe unmodified: cannot to determine result of dynamic SQL")


def _to_findings(function: dict[str, Any], results: list[dict[str, Any]], files: Sequence[tuple[str, str]]) -> list[Finding]:
    source = locate_function(files, function["schema_name"], function["function_name"]) if files else None
    signature = f"{display_identifier(function['schema_name'])}.{display_identifier(function['function_name'])}"
    signature += f"({function['arguments']})"
    findings = []
    for result in results:
        if _UNDECIDABLE_OUT.search(f"{result['message']}: {result.get('detail') or ''}"):
            continue
        level = "error" if result["level"] == "error" else ("info" if result["level"] == "performance" else "warning")
        message = f"{signature}: {result['message']}"
        if result.get("detail"):
            message += f": {result['detail']}"
        if result.get("hint"):
            message += f" (hint: {result['hint']})"
        line = result.get("lineno")
        # A declaration's problem is reported on the block; the context names its own line.
        context_line = _CONTEXT_LINE.search(result.get("context") or "")
        if context_line:
            line = int(context_line.group(1))
        findings.append(
            Finding(
                level=level,
                code="SS020" if level == "error" else "SS021",
                message=message,
                source="plpgsql_check",
                path=source.path if source and line else None,
                line=(source.body_line + line - 1) if source and line else None,
                column=1 if source and line else None,
                object=f"function {signature}" + (f" line {line}" if line else ""),
                why="plpgsql_check compiled the body against the schema; this fails or misbehaves when it runs",
                fix=None,
            )
        )
    return findings


def shown_files(paths: Sequence[Path], display: Sequence[str]) -> list[tuple[str, str]]:
    """Read ``paths`` as (shown path, text) pairs, skipping unreadable ones (sqlfluff reports those)."""
    pairs = []
    for path, shown in zip(paths, display, strict=True):
        try:
            pairs.append((shown, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return pairs
