"""Compiled per-table functions: static SQL for each synced table, so its plans are cached.

A dynamic statement (plpgsql ``execute``) is parsed and planned on every call;
the static statements of a plpgsql function are planned once per session. So
for each synced table and :class:`~supabase_sync.compiled.purposes.Purpose`
(the pull's key and page phases; a push module adds its own in
:mod:`supabase_sync.compiled.purposes`), a template of ``sql/templates``
renders a function in schema ``supabase_sync`` that names the table, its
columns and types statically. Schema step 0011 records each in
``supabase_sync.compiled_function`` with the table's fingerprint
(``supabase_sync.compiled_fingerprint``: name, registry facts, columns,
defaults, foreign keys) and the digest of the templates.

When they are made: ``enable`` compiles a table's functions when any is
missing, stale (a DDL change since) or from other templates, or when the plan
changes the table; ``install`` (also an upgrade) drops those of other
templates and, against a database, compiles every registered table that needs
it. A call uses a compiled function only while its fingerprint is current,
else it takes the generic (dynamic) path: stale SQL never runs after a DDL
change, and ``status`` names the table with the fix (enable it again).
Unregistering a table drops its functions (the registry row cascades).

Function names derive from the table's schema and name (never an oid, so they
survive pg_dump/restore): ``<purpose>_<table>_<hash of schema.table>``, the
table part shortened to fit PostgreSQL's 63 bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import psycopg
from psycopg import sql

from supabase_sync.catalog import fetch_rows
from supabase_sync.compiled.purposes import PURPOSES, Purpose
from supabase_sync.compiled.push import PushFacts, read_push_facts
from supabase_sync.names import TableName
from supabase_sync.plan import Statement
from supabase_sync.render.templates import render_template, template_text
from supabase_sync.sync_objects import KEY_PHASE_FUNCTION, PACK_SCHEMA

#: The schema step creating ``supabase_sync.compiled_function``.
COMPILED_STEP = "0011_compiled"

#: PostgreSQL's limit on a name, in bytes.
_MAX_NAME_BYTES = 63

#: Column types whose values a pull may send as JSON strings (big_numbers = string).
BIG_NUMBER_TYPES = frozenset({"bigint", "numeric"})


@dataclass(frozen=True)
class CompiledTable:
    """What a table's compiled functions are rendered from.

    ``columns`` are its live columns in table order, as (name, type as
    ``format_type`` prints it); ``compiled`` what is recorded now, by purpose
    (:class:`Recorded`), empty for a table never compiled.
    """

    table: TableName
    kind: str
    owner_column: str
    id_column: str
    columns: tuple[tuple[str, str], ...]
    compiled: Mapping[str, Recorded] = field(default_factory=dict)
    #: what the push purposes are rendered from (None: not known, the push stays generic)
    push: PushFacts | None = None
    #: a scoped table's scope column and scope table (qualified, as regclass prints it); else None
    scope_column: str | None = None
    scope_table: str | None = None

    @property
    def id_type(self) -> str:
        """The id column's type (``format_type``: quoted by PostgreSQL where needed)."""
        return dict(self.columns)[self.id_column]

    @property
    def big_number_columns(self) -> tuple[str, ...]:
        """The int8 and numeric columns, in table order (sent as strings when big_numbers is string)."""
        return tuple(name for name, type_name in self.columns if type_name.split("(")[0] in BIG_NUMBER_TYPES)

    @property
    def purposes(self) -> tuple[Purpose, ...]:
        """The purposes compiled for a table of this kind."""
        return tuple(purpose for purpose in PURPOSES if self.kind in purpose.kinds and purpose.applies(self))

    @property
    def unused(self) -> tuple[str, ...]:
        """The purposes recorded for the table that its kind no longer has (compiled when it was another kind)."""
        kept = {purpose.name for purpose in self.purposes}
        return tuple(name for name in sorted(self.compiled) if name not in kept)

    @property
    def current(self) -> bool:
        """True when every purpose is recorded, fresh and rendered from today's templates, and no other is."""
        digest = template_digest()
        return not self.unused and all(
            (recorded := self.compiled.get(purpose.name)) is not None
            and recorded.fresh
            and recorded.template_digest == digest
            for purpose in self.purposes
        )

    def problem(self) -> str | None:
        """Why the table's compiled functions are not current (for status), or None."""
        digest = template_digest()
        missing = [purpose.name for purpose in self.purposes if purpose.name not in self.compiled]
        stale = [p.name for p in self.purposes if p.name in self.compiled and not self.compiled[p.name].fresh]
        outdated = [
            p.name
            for p in self.purposes
            if p.name in self.compiled and self.compiled[p.name].fresh and self.compiled[p.name].template_digest != digest
        ]
        parts = []
        if missing:
            parts.append(f"missing ({', '.join(missing)})")
        if stale:
            parts.append(f"stale after a change of the table ({', '.join(stale)})")
        if outdated:
            parts.append(f"from another pack's templates ({', '.join(outdated)})")
        if not parts:
            return None
        return (
            f"the compiled functions of {self.table} are {'; '.join(parts)}: its pulls and pushes take the slower"
            " generic path"
        )


@dataclass(frozen=True)
class Recorded:
    """A compiled function as ``supabase_sync.compiled_function`` records it."""

    function: str
    template_digest: str
    fresh: bool


def function_name(table: TableName, purpose: Purpose) -> str:
    """The name of ``table``'s compiled function for ``purpose`` (in schema supabase_sync).

    ``<purpose>_<table>_<8 hex digits of sha256("schema.table")>``, the table
    part cut (on a character boundary) to fit 63 bytes: stable across
    pg_dump/restore, distinct for distinct tables.
    """
    digest = hashlib.sha256(f"{table.schema}.{table.name}".encode()).hexdigest()[:8]
    room = _MAX_NAME_BYTES - len(purpose.name.encode()) - len(digest) - 2
    part = table.name
    while len(part.encode()) > room:
        part = part[:-1]
    return f"{purpose.name}_{part}_{digest}"


@cache
def template_digest() -> str:
    """A digest of every purpose's name, signature and template: what a recorded function was made from."""
    hasher = hashlib.sha256()
    for purpose in PURPOSES:
        hasher.update(f"{purpose.name}({', '.join(purpose.arguments)}):{sorted(purpose.kinds)}\n".encode())
        hasher.update(template_text(purpose.template).encode())
        hasher.update(b"\n")
    return hasher.hexdigest()[:16]


def common_placeholders(table: CompiledTable, purpose: Purpose) -> dict[str, sql.Composable]:
    """The template fields every purpose's template may use.

    ``{compiled_function}`` the function's qualified name, ``{table}`` the table,
    ``{owner_column}`` / ``{id_column}`` its columns (identifiers);
    ``{table_name}`` the table as a literal, ``{id_type}`` the id column's type
    (catalog-quoted), ``{big_number_columns}`` its int8/numeric columns as a
    ``text[]`` literal.
    """
    return {
        "compiled_function": sql.Identifier(PACK_SCHEMA, function_name(table.table, purpose)),
        "table": table.table.identifier,
        "table_name": sql.Literal(table.table.identifier.as_string(None)),
        "owner_column": sql.Identifier(table.owner_column),
        "id_column": sql.Identifier(table.id_column),
        # format_type() output from the catalog, already quoted by PostgreSQL.
        "id_type": sql.SQL(table.id_type),  # type: ignore[arg-type]  # catalog-quoted
        "big_number_columns": sql.Literal(list(table.big_number_columns)),
    }


def render_compile(table: CompiledTable) -> list[Statement]:
    """The statements (re)creating and recording every compiled function of ``table``.

    First the drop of those its kind no longer has (:attr:`CompiledTable.unused`); a kind without
    purposes gets that drop alone, or nothing.
    """
    statements: list[Statement] = []
    if table.unused:
        statements.append(
            Statement(
                f"drop the compiled functions {table.table} no longer uses ({', '.join(table.unused)})",
                render_template(
                    "drop_unused_compiled",
                    table_name=sql.Literal(table.table.identifier.as_string(None)),
                    purposes=sql.Literal([purpose.name for purpose in table.purposes]),
                ),
            )
        )
    for purpose in table.purposes:
        name = function_name(table.table, purpose)
        fields = {**common_placeholders(table, purpose), **purpose.placeholders(table)}
        statements.append(
            Statement(f"compile {purpose.name} of {table.table}", render_template(purpose.template, **fields))
        )
        statements.append(
            Statement(
                f"record compiled {purpose.name} of {table.table}",
                render_template(
                    "record_compiled",
                    table_name=sql.Literal(table.table.identifier.as_string(None)),
                    purpose=sql.Literal(purpose.name),
                    function_text=sql.Literal(sql.Identifier(PACK_SCHEMA, name).as_string(None)),
                    arguments_text=sql.Literal("(" + ", ".join(purpose.arguments) + ")"),
                    template_digest=sql.Literal(template_digest()),
                ),
            )
        )
    return statements


def render_drop_outdated() -> Statement:
    """Drop every compiled function rendered from other templates than today's (install, upgrade)."""
    return Statement(
        "drop compiled functions of other templates (enable or install compiles them again)",
        render_template("drop_outdated_compiled", template_digest=sql.Literal(template_digest())),
    )


def compiled_step_applied(conn: psycopg.Connection) -> bool:
    """Whether ``supabase_sync.compiled_function`` exists (schema step 0011)."""
    row = conn.execute("select pg_catalog.to_regclass('supabase_sync.compiled_function') is not null").fetchone()
    return bool(row and row[0])


def key_phase_functions(conn: psycopg.Connection) -> frozenset[tuple[str, str]]:
    """(schema, name) of every key-phase function: ``supabase_sync.pull_keys`` and the tables' compiled ones.

    They are SECURITY DEFINER and executable by ``authenticated`` on purpose
    (see :data:`supabase_sync.sync_objects.KEY_PHASE_FUNCTION`); lint and verify leave them out of their
    definer checks. The compiled ones are read from ``supabase_sync.compiled_function`` (none before step 0011).
    """
    found = {(PACK_SCHEMA, KEY_PHASE_FUNCTION)}
    if compiled_step_applied(conn):
        found.update(
            (row["schema_name"], row["function_name"])
            for row in fetch_rows(conn, "compiled_key_functions", {"purpose": KEY_PHASE_FUNCTION})
        )
    return frozenset(found)


def read_compiled_tables(conn: psycopg.Connection, oids: Iterable[int] | None = None) -> list[CompiledTable]:
    """Every registered table (or those of ``oids``) with what is recorded of its compiled functions.

    The pack must be installed; before schema step 0011 nothing is recorded.
    """
    wanted = {"oids": None if oids is None else list(oids)}
    recorded: dict[int, dict[str, Recorded]] = {}
    if compiled_step_applied(conn):
        for row in fetch_rows(conn, "compiled_functions", wanted):
            recorded.setdefault(row["table_oid"], {})[row["purpose"]] = Recorded(
                row["function_signature"], row["template_digest"], bool(row["fresh"])
            )
    rows = fetch_rows(conn, "compiled_tables", wanted, qualified=True)
    push_facts = read_push_facts(conn, {row["table_oid"]: row["owner_column"] for row in rows})
    return [
        CompiledTable(
            table=TableName(row["schema_name"], row["table_name"]),
            kind=row["kind"],
            owner_column=row["owner_column"],
            id_column=row["id_column"],
            columns=tuple((name, type_name) for name, type_name in row["columns"]),
            compiled=recorded.get(row["table_oid"], {}),
            push=push_facts.get(row["table_oid"]),
            scope_column=row["scope_column"],
            scope_table=row["scope_table"],
        )
        for row in rows
    ]


def render_compile_all(tables: Sequence[CompiledTable]) -> list[Statement]:
    """The statements compiling every table of ``tables`` whose compiled functions are not current."""
    return [statement for table in tables if not table.current for statement in render_compile(table)]
