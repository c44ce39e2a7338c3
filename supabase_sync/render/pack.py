"""The statements of install and uninstall: schema steps, function files, the pack version."""

from __future__ import annotations

import re

from psycopg import sql

from supabase_sync.plan import Statement
from supabase_sync.render.templates import dollar_quote, render_template


def render_lock() -> Statement:
    """Take the transaction-scoped advisory lock every supabase-sync plan holds."""
    return Statement("take the supabase-sync lock (released at commit)", render_template("advisory_lock"))


_FUNCTION_NAME = re.compile(r"create\s+or\s+replace\s+function\s+([\w.\"]+)\s*\(", re.I)


def function_names(text: str) -> list[str]:
    """Return the qualified names of the functions a ``sql/functions`` file creates."""
    return [match.group(1) for match in _FUNCTION_NAME.finditer(text)]


def render_bootstrap(step: str, text: str) -> list[Statement]:
    """Apply the bootstrap step (idempotent by itself) and record it."""
    return [
        Statement(f"schema step {step}", sql.SQL(text.strip())),  # type: ignore[arg-type]  # package data
        Statement(f"record schema step {step}", render_template("record_step", step=sql.Literal(step))),
    ]


def render_schema_step(step: str, text: str) -> Statement:
    """Apply one versioned schema step unless ``supabase_sync.schema_step`` records it."""
    return Statement(
        f"schema step {step} (skipped when already recorded)",
        render_template("schema_step", step=sql.Literal(step), step_sql=dollar_quote(text.strip(), base="step")),
    )


def render_function_file(name: str, text: str) -> Statement:
    """Re-create the functions of one ``sql/functions`` file (``create or replace``)."""
    return Statement(f"functions of {name}", sql.SQL(text.strip()))  # type: ignore[arg-type]  # package data


def render_pack_version(version: str) -> Statement:
    """Record ``version`` as the installed pack version."""
    return Statement(f"record pack version {version}", render_template("pack_version", version=sql.Literal(version)))


def render_pack_setting(key: str, value: str) -> Statement:
    """Set the pack-wide setting ``key`` (a ``supabase_sync.meta`` row) to ``value``."""
    return Statement(
        f"set pack-wide {key} {value}",
        render_template("pack_setting", key=sql.Literal(key), value=sql.Literal(value)),
    )


def render_drop_function(schema: str, name: str, argument_types: list[str]) -> Statement:
    """Drop one function of the pack, given its schema, name and argument types."""
    # Argument types come from format_type() in the catalog, already quoted by Postgres.
    signature = sql.Composed(
        [
            sql.Identifier(schema, name),
            sql.SQL("(" + ", ".join(argument_types) + ")"),  # type: ignore[arg-type]  # catalog-quoted
        ]
    )
    return Statement(
        f"drop function {sql.Identifier(schema, name).as_string(None)}",
        render_template("drop_function", function=signature),
    )


def render_drop_pack_schema(*, holds_data: bool) -> Statement:
    """Drop the ``supabase_sync`` schema (registry, tombstones, push log)."""
    return Statement(
        "drop schema supabase_sync (registry, tombstones, push log)",
        render_template("drop_pack_schema"),
        destructive=holds_data,
    )
