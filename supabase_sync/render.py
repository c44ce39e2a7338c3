"""Renders the SQL of every plan from the templates in ``sql/policies`` (row level
security) and ``sql/templates`` (columns, triggers, index, registry, pack steps).

Templates use :mod:`psycopg.sql` placeholders (``{table}``, ``{owner_column}``...);
identifiers are always passed as :class:`psycopg.sql.Identifier` and values as
:class:`psycopg.sql.Literal`, so hostile names are quoted, never pasted. Every
statement rendered here is idempotent: replayed on a database that has it
already, it changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from psycopg import sql

from supabase_sync.plan import Statement
from supabase_sync.resources import read_sql

#: The four owner policies, by command, with their exact names (brief contract).
POLICY_COMMANDS = ("select", "insert", "update", "delete")

#: Trigger names of the per-table contract.
STAMP_TRIGGER = "supabase_sync_stamp"
TOMBSTONE_TRIGGER = "supabase_sync_tombstone"
TRUNCATE_TRIGGER = "supabase_sync_truncate"
SYNC_TRIGGERS = (STAMP_TRIGGER, TOMBSTONE_TRIGGER, TRUNCATE_TRIGGER)

#: Publication Supabase Realtime listens to.
REALTIME_PUBLICATION = "supabase_realtime"

_MAX_IDENTIFIER_BYTES = 63
_DOLLAR_TAG = "$supabase_sync$"


@dataclass(frozen=True)
class SyncColumn:
    """A column of the per-table contract: its name, accepted type and how enable adds it."""

    name: str
    type_name: str
    definition: str
    server_maintained: bool


#: Columns every synced table has besides its id and owner column (DESIGN 3.1).
#: Existing rows get the enabling transaction as their version, so a first pull
#: returns them and later cursors do not.
SYNC_COLUMNS = (
    SyncColumn("created_at", "timestamp with time zone", "timestamptz not null default now()", False),
    SyncColumn("updated_at", "timestamp with time zone", "timestamptz not null default now()", False),
    SyncColumn("deleted_at", "timestamp with time zone", "timestamptz", False),
    SyncColumn("server_created_at", "timestamp with time zone", "timestamptz not null default now()", True),
    SyncColumn("server_updated_at", "timestamp with time zone", "timestamptz not null default now()", True),
    SyncColumn("server_version", "xid8", "xid8 not null default pg_current_xact_id()", True),
    SyncColumn("server_created_version", "xid8", "xid8 not null default pg_current_xact_id()", True),
    SyncColumn("instance_id", "uuid", "uuid", True),
)


@dataclass(frozen=True)
class TableName:
    """A schema-qualified table name, kept as its two raw parts."""

    schema: str
    name: str

    @property
    def identifier(self) -> sql.Identifier:
        """The quoted ``schema.table`` identifier."""
        return sql.Identifier(self.schema, self.name)

    @property
    def display(self) -> str:
        """``schema.table`` for people: parts quoted only when needed (``public.task``, ``"a""b".x``)."""
        return f"{display_identifier(self.schema)}.{display_identifier(self.name)}"

    @property
    def regclass(self) -> sql.Literal:
        """A string literal that casts to this table's ``regclass`` (every part quoted)."""
        return sql.Literal(self.identifier.as_string(None))

    def __str__(self) -> str:
        return self.display


_PLAIN_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def display_identifier(name: str) -> str:
    """``name`` as people read it: bare when plain lowercase ASCII, else double-quoted."""
    if _PLAIN_IDENTIFIER.match(name):
        return name
    return sql.Identifier(name).as_string(None)


def policy_name(command: str) -> str:
    """Return the contract name of the owner policy for ``command`` (select, insert...)."""
    return f"supabase_sync: owner can {command}"


def truncate_identifier(name: str) -> str:
    """Cut ``name`` to 63 bytes on a character boundary, as Postgres does to long names."""
    encoded = name.encode("utf-8")
    if len(encoded) <= _MAX_IDENTIFIER_BYTES:
        return name
    return encoded[:_MAX_IDENTIFIER_BYTES].decode("utf-8", errors="ignore")


def owner_version_index_name(table: str) -> str:
    """Return the name of the (owner, server_version) index of ``table``."""
    return truncate_identifier(f"{table}_sync_owner_version_idx")


_POLICY_TEMPLATES = frozenset({"enable_rls", "owner_select", "owner_insert", "owner_update", "owner_delete"})


def _template_path(name: str) -> str:
    """Row level security templates live in ``sql/policies``, every other one in ``sql/templates``."""
    folder = "policies" if name in _POLICY_TEMPLATES else "templates"
    return f"{folder}/{name}.sql"


@cache
def _template_text(name: str) -> str:
    """Return a template without its leading comment lines (they document placeholders)."""
    lines = read_sql(_template_path(name)).splitlines()
    while lines and (not lines[0].strip() or lines[0].startswith("--")):
        lines.pop(0)
    return "\n".join(lines).strip()


def _free_dollar_tag(texts: list[str], base: str = "supabase_sync") -> str:
    """Return a dollar-quote tag that occurs in none of ``texts``."""
    tag, counter = f"${base}$", 0
    while any(tag in text for text in texts):
        counter += 1
        tag = f"${base}_{counter}$"
    return tag


def dollar_quote(text: str, *, base: str = "supabase_sync") -> sql.SQL:
    """Return ``text`` as a dollar-quoted string literal whose tag does not occur in it."""
    tag = _free_dollar_tag([text], base)
    return sql.SQL(f"{tag}\n{text}\n{tag}")


def render_template(name: str, **args: sql.Composable) -> sql.Composed:
    """Render the template ``name`` (``sql/policies`` or ``sql/templates``) with ``args``.

    A template's ``$supabase_sync$`` dollar quotes get a tag that none of the
    rendered arguments contains, so no identifier can end a DO block early.
    """
    text = _template_text(name)
    if _DOLLAR_TAG in text:
        tag = _free_dollar_tag([arg.as_string(None) for arg in args.values()])
        text = text.replace(_DOLLAR_TAG, tag)
    return sql.SQL(text).format(**args)  # type: ignore[arg-type]  # template text is trusted package data


# --- install -----------------------------------------------------------------


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


# --- per table -----------------------------------------------------------------


def render_add_column(table: TableName, column: SyncColumn) -> Statement:
    """Add one sync column unless the table has it."""
    return Statement(
        f"add column {column.name} to {table}",
        render_template(
            "add_column",
            table=table.identifier,
            column=sql.Identifier(column.name),
            definition=sql.SQL(column.definition),  # type: ignore[arg-type]  # a constant above
        ),
    )


def render_stamp_trigger(table: TableName) -> Statement:
    """Create the trigger that sets the server-maintained columns."""
    return Statement(f"trigger {STAMP_TRIGGER} on {table}", render_template("trigger_stamp", table=table.identifier))


def render_tombstone_trigger(table: TableName, *, id_column: str, owner_column: str) -> Statement:
    """Create the trigger that records hard deletes as tombstones."""
    return Statement(
        f"trigger {TOMBSTONE_TRIGGER} on {table}",
        render_template(
            "trigger_tombstone",
            table=table.identifier,
            id_column_name=sql.Literal(id_column),
            owner_column_name=sql.Literal(owner_column),
        ),
    )


def render_truncate_trigger(table: TableName) -> Statement:
    """Create the trigger that forces a resync after TRUNCATE."""
    return Statement(
        f"trigger {TRUNCATE_TRIGGER} on {table}", render_template("trigger_truncate", table=table.identifier)
    )


def render_sync_triggers(table: TableName, *, id_column: str, owner_column: str) -> list[Statement]:
    """Create the three triggers of a synced table."""
    return [
        render_stamp_trigger(table),
        render_tombstone_trigger(table, id_column=id_column, owner_column=owner_column),
        render_truncate_trigger(table),
    ]


def render_enable_rls(table: TableName) -> Statement:
    """Turn row level security on."""
    return Statement(f"enable row level security on {table}", render_template("enable_rls", table=table.identifier))


def render_owner_policy(table: TableName, command: str, *, owner_column: str) -> Statement:
    """Create the owner policy for ``command`` unless a policy of that name exists."""
    name = policy_name(command)
    return Statement(
        f'policy "{name}" on {table}',
        render_template(
            f"owner_{command}",
            table=table.identifier,
            table_name=table.regclass,
            owner_column=sql.Identifier(owner_column),
            policy_name=sql.Identifier(name),
            policy_name_text=sql.Literal(name),
        ),
    )


def render_owner_policies(table: TableName, *, owner_column: str) -> list[Statement]:
    """Create the four owner policies (select, insert, update, delete)."""
    return [render_owner_policy(table, command, owner_column=owner_column) for command in POLICY_COMMANDS]


def render_owner_version_index(table: TableName, *, owner_column: str) -> Statement:
    """Create the (owner, server_version) index incremental pulls use."""
    index = owner_version_index_name(table.name)
    return Statement(
        f"index {index} on {table}",
        render_template(
            "owner_version_index",
            index_name=sql.Identifier(index),
            table=table.identifier,
            owner_column=sql.Identifier(owner_column),
        ),
    )


def render_publication_membership(table: TableName) -> Statement:
    """Add the table to ``supabase_realtime`` when that publication exists."""
    return Statement(
        f"publish {table} in {REALTIME_PUBLICATION} (when the publication exists)",
        render_template("publication_member", table=table.identifier, table_name=table.regclass),
    )


def render_register_table(
    table: TableName, *, owner_column: str, id_column: str, conflict_strategy: str
) -> Statement:
    """Register (or update) the table in ``supabase_sync.synced_table``."""
    return Statement(
        f"register {table} (owner {owner_column}, {conflict_strategy})",
        render_template(
            "register_table",
            table_name=table.regclass,
            owner_column_name=sql.Literal(owner_column),
            id_column_name=sql.Literal(id_column),
            conflict_strategy=sql.Literal(conflict_strategy),
        ),
    )


def render_refresh_dependency_ranks() -> Statement:
    """Recompute the push order of synced tables."""
    return Statement("recompute the push order of synced tables", render_template("refresh_dependency_ranks"))


def render_rls(table: TableName, *, owner_column: str) -> list[Statement]:
    """Row level security, the four owner policies and the owner/version index of a table."""
    return [
        render_enable_rls(table),
        *render_owner_policies(table, owner_column=owner_column),
        render_owner_version_index(table, owner_column=owner_column),
    ]


# --- removal -------------------------------------------------------------------


def render_drop_trigger(table: TableName, trigger: str) -> Statement:
    """Drop one supabase-sync trigger if present."""
    return Statement(
        f"drop trigger {trigger} on {table}",
        render_template("drop_trigger", trigger=sql.Identifier(trigger), table=table.identifier),
    )


def render_unregister_table(table: TableName) -> Statement:
    """Remove the table's registry row."""
    return Statement(f"unregister {table}", render_template("unregister_table", table_name=table.regclass))


def render_delete_tombstones(table: TableName) -> Statement:
    """Delete the tombstones recorded for the table (data)."""
    return Statement(
        f"delete the tombstones of {table}",
        render_template("delete_tombstones", table_name=table.regclass),
        destructive=True,
    )


def render_drop_column(table: TableName, column: str) -> Statement:
    """Drop one server-maintained column (data)."""
    return Statement(
        f"drop column {column} of {table}",
        render_template("drop_column", table=table.identifier, column=sql.Identifier(column)),
        destructive=True,
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
