"""The compiled per-table functions, by purpose: which template renders each, for which tables.

One entry point for every module that compiles SQL per table (see
:mod:`supabase_sync.compiled`): add a :class:`Purpose` to :data:`PURPOSES`
and its template to ``sql/templates``. The pull's purposes come first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from psycopg import sql

from supabase_sync.compiled import push

if TYPE_CHECKING:
    from supabase_sync.compiled import CompiledTable


def _no_arguments(_table: CompiledTable) -> Mapping[str, sql.Composable]:
    return {}


def _always(_table: CompiledTable) -> bool:
    return True


@dataclass(frozen=True)
class Purpose:
    """One compiled function of a synced table.

    ``name`` keys it in ``supabase_sync.compiled_function`` (and prefixes the
    function's name); ``template`` is the ``sql/templates`` file creating it
    (``create or replace function {compiled_function}(...)``) and ``arguments`` its
    argument types exactly as PostgreSQL prints them in a regprocedure (what
    is recorded). ``kinds`` are the table kinds it is compiled for;
    ``placeholders`` adds template fields of its own to the common ones
    (:func:`supabase_sync.compiled.common_placeholders`); ``applies`` says
    whether the template fits a table of those kinds at all (else the table
    keeps the generic path for it, and is current without it).
    """

    name: str
    template: str
    arguments: tuple[str, ...]
    kinds: frozenset[str] = frozenset({"owner"})
    placeholders: Callable[[CompiledTable], Mapping[str, sql.Composable]] = field(default=_no_arguments)
    applies: Callable[[CompiledTable], bool] = field(default=_always)


def _scoped_placeholders(table: CompiledTable) -> Mapping[str, sql.Composable]:
    """``{scope_column}``, ``{scope_type}`` (catalog-quoted) and ``{scope_table_name}`` (a literal)."""
    assert table.scope_column is not None and table.scope_table is not None
    return {
        "scope_column": sql.Identifier(table.scope_column),
        "scope_type": sql.SQL(dict(table.columns)[table.scope_column]),  # type: ignore[arg-type]  # catalog-quoted
        "scope_table_name": sql.Literal(table.scope_table),
    }


def _has_scope_column(table: CompiledTable) -> bool:
    return table.scope_table is not None and table.scope_column in dict(table.columns)


#: The arguments of a compiled key phase (both kinds): pull_keys' own, but the tables.
_KEY_ARGUMENTS = ("xid8", "integer", "xid8", "integer", "xid8", "boolean", "uuid", "integer")

#: The pull's key phase (one template per kind) and page phase of an owner or a
#: scoped table (sync_pull, pull_page).
PULL_PURPOSES: tuple[Purpose, ...] = (
    Purpose("pull_keys", "pull_keys_owner", _KEY_ARGUMENTS),
    Purpose(
        "pull_keys",
        "pull_keys_scoped",
        _KEY_ARGUMENTS,
        kinds=frozenset({"scoped"}),
        placeholders=_scoped_placeholders,
        applies=_has_scope_column,
    ),
    Purpose(
        "pull_page",
        "pull_page_table",
        ("text[]", "text[]", "text[]", "xid8", "integer", "xid8", "boolean", "boolean", "boolean"),
        kinds=frozenset({"owner", "scoped"}),
    ),
)

#: The push of an owner table (apply_push calls both while they are fresh): its
#: created/updated rows and its deleted ids (supabase_sync.compiled.push).
PUSH_PURPOSES: tuple[Purpose, ...] = (
    Purpose(
        "push_upserts",
        "push_upserts_table",
        ("jsonb", "xid8", "uuid", "text", "text"),
        placeholders=push.upserts_placeholders,
        applies=push.compilable,
    ),
    Purpose(
        "push_deletes",
        "push_deletes_table",
        ("jsonb",),
        placeholders=push.deletes_placeholders,
        applies=push.compilable,
    ),
)

#: Every purpose, in the order a table's functions are created.
PURPOSES: tuple[Purpose, ...] = (*PULL_PURPOSES, *PUSH_PURPOSES)
