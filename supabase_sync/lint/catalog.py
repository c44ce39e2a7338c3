"""What the semantic lints read from a database, once, into typed records.

The schema-wide facts come from the ``sql/queries/lint_*.sql`` queries (run
them in psql to see what the lints see); the synced tables are judged by the
per-table contract (:mod:`supabase_sync.contract`), the same model enable,
status and verify use.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from supabase_sync.catalog import fetch_rows, read_pack_state
from supabase_sync.compiled import key_phase_functions
from supabase_sync.contract import TableCheck, check_half_enabled_tables, check_registered_tables
from supabase_sync.names import TableName, display_identifier
from supabase_sync.sync_objects import PACK_SCHEMA

#: pg_policy.polcmd letters and the commands they stand for.
_COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete", "*": "all"}


@dataclass(frozen=True)
class SchemaTable:
    """A table of a user schema: row level security, policies and primary key."""

    table: TableName
    rls_enabled: bool
    policy_count: int
    has_primary_key: bool
    has_id_column: bool


@dataclass(frozen=True)
class SchemaPolicy:
    """A row level security policy of any table, its expressions as PostgreSQL prints them."""

    table: TableName
    name: str
    command: str
    permissive: bool
    roles: tuple[str, ...]
    using: str | None
    check: str | None

    def __str__(self) -> str:
        return f"policy {display_identifier(self.name)} on {self.table}"


@dataclass(frozen=True)
class UuidColumn:
    """A uuid column of a user table, and whether a valid index starts with it."""

    table: TableName
    column: str
    leads_an_index: bool


@dataclass(frozen=True)
class SchemaFunction:
    """A function of an exposed schema or ``supabase_sync``: how it runs and who may call it."""

    schema: str
    name: str
    arguments: str
    language: str
    security_definer: bool
    is_trigger: bool
    fixed_search_path: bool
    api_roles_with_execute: tuple[str, ...]

    def __str__(self) -> str:
        return f"function {display_identifier(self.schema)}.{display_identifier(self.name)}({self.arguments})"


@dataclass(frozen=True)
class LintCatalog:
    """Everything the semantic lints look at, read once.

    ``synced`` are the registered tables judged by the contract;
    ``half_enabled`` the tables with sync triggers but no registry row.
    """

    exposed_schemas: tuple[str, ...]
    tables: tuple[SchemaTable, ...]
    policies: tuple[SchemaPolicy, ...]
    uuid_columns: tuple[UuidColumn, ...]
    functions: tuple[SchemaFunction, ...]
    synced: tuple[TableCheck, ...] = ()
    half_enabled: tuple[TableCheck, ...] = ()
    #: (schema, name) of the key-phase functions, definer on purpose (:func:`supabase_sync.compiled.key_phase_functions`).
    key_phase_functions: frozenset[tuple[str, str]] = frozenset()

    @property
    def synced_tables(self) -> frozenset[TableName]:
        """The registered and half-enabled tables: the contract's rules report on them."""
        return frozenset(check.table for check in (*self.synced, *self.half_enabled))

    def policies_of(self, table: TableName) -> list[SchemaPolicy]:
        """The policies of ``table``."""
        return [policy for policy in self.policies if policy.table == table]


def read_lint_catalog(conn: psycopg.Connection) -> LintCatalog:
    """Read everything the semantic lints look at from ``conn``'s database."""
    exposed = tuple(row["schema_name"] for row in fetch_rows(conn, "lint_exposed_schemas"))
    state = read_pack_state(conn)
    return LintCatalog(
        exposed_schemas=exposed,
        tables=tuple(
            SchemaTable(
                TableName(row["schema_name"], row["table_name"]),
                row["rls_enabled"],
                int(row["policy_count"]),
                row["has_primary_key"],
                row["has_id_column"],
            )
            for row in fetch_rows(conn, "lint_tables")
        ),
        policies=tuple(
            SchemaPolicy(
                table=TableName(row["schema_name"], row["table_name"]),
                name=row["policy_name"],
                command=_COMMANDS.get(row["command"], row["command"]),
                permissive=row["permissive"],
                roles=tuple(row["roles"]),
                using=row["using_expression"],
                check=row["check_expression"],
            )
            for row in fetch_rows(conn, "lint_policies")
        ),
        uuid_columns=tuple(
            UuidColumn(TableName(row["schema_name"], row["table_name"]), row["column_name"], row["leads_an_index"])
            for row in fetch_rows(conn, "lint_uuid_columns")
        ),
        functions=tuple(
            SchemaFunction(
                schema=row["schema_name"],
                name=row["function_name"],
                arguments=row["arguments"],
                language=row["language"],
                security_definer=row["security_definer"],
                is_trigger=row["is_trigger"],
                fixed_search_path=row["fixed_search_path"],
                api_roles_with_execute=tuple(row["api_roles_with_execute"] or ()),
            )
            for row in fetch_rows(conn, "lint_functions", {"schemas": [*exposed, PACK_SCHEMA]})
        ),
        synced=tuple(check_registered_tables(conn, state=state)) if state.installed else (),
        half_enabled=tuple(check_half_enabled_tables(conn, state=state)) if state.installed else (),
        key_phase_functions=key_phase_functions(conn) if state.installed else frozenset(),
    )
