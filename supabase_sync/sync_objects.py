"""The objects the per-table contract puts on a synced table: their names and definitions.

Columns (DESIGN 3.1), trigger names and the functions they call, the owner
policies' names, the (owner, server_version) index's name and Realtime's
publication. Renderers build SQL from these; :mod:`supabase_sync.contract`
checks a table against them.
"""

from __future__ import annotations

from dataclasses import dataclass

from supabase_sync.names import truncate_identifier

#: The schema of the SQL pack (registry, tombstones, trigger functions).
PACK_SCHEMA = "supabase_sync"

#: The four owner policies, by command.
POLICY_COMMANDS = ("select", "insert", "update", "delete")

#: Trigger names of the per-table contract.
STAMP_TRIGGER = "supabase_sync_stamp"
TOMBSTONE_TRIGGER = "supabase_sync_tombstone"
TRUNCATE_TRIGGER = "supabase_sync_truncate"
TRANSFER_TRIGGER = "supabase_sync_transfer"
SYNC_TRIGGERS = (STAMP_TRIGGER, TOMBSTONE_TRIGGER, TRUNCATE_TRIGGER, TRANSFER_TRIGGER)
#: The trigger of tables synced with ``--realtime broadcast`` (dropped with the others).
BROADCAST_TRIGGER = "supabase_sync_broadcast"
ALL_SYNC_TRIGGERS = (*SYNC_TRIGGERS, BROADCAST_TRIGGER)

#: The transition table the tombstone trigger hands to ``record_tombstone``.
DELETED_ROWS_TABLE = "supabase_sync_deleted_rows"

#: The one SECURITY DEFINER function of the pack that API users may execute: the
#: pull's key phase (docs/protocol.md "Pages"). It takes the user from auth.uid(),
#: returns only that user's keys and lives in the pack's schema, never exposed.
KEY_PHASE_FUNCTION = "pull_keys"

#: The ``supabase_sync.meta`` key of the pack-wide big-numbers choice (``install --big-numbers``): how pulls
#: send int8/numeric of tables whose registry row leaves it to the pack (``synced_table.big_numbers`` null).
BIG_NUMBERS_SETTING = "big_numbers"

#: Publication Supabase Realtime listens to.
REALTIME_PUBLICATION = "supabase_realtime"


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

#: Columns the server maintains; a client can never set them.
SERVER_COLUMNS = tuple(column.name for column in SYNC_COLUMNS if column.server_maintained)

#: Client-set columns of the per-table contract.
CLIENT_TIMESTAMPS = tuple(column.name for column in SYNC_COLUMNS if not column.server_maintained)

#: Types accepted for the primary key (id) column: clients generate ids offline.
ID_TYPES = ("uuid", "text", "character varying")


def policy_name(command: str) -> str:
    """Return the contract name of the owner policy for ``command`` (select, insert...)."""
    return f"supabase_sync: owner can {command}"


def owner_version_index_name(table: str) -> str:
    """Return the name of the (owner, server_version, bucket) index of ``table`` (pack 2's pull order).

    Pack 1 named its (owner, server_version) index ``<table>_sync_owner_version_idx``;
    the new name lets enable build the new index next to it on an upgraded database.
    """
    return truncate_identifier(f"{table}_sync_position_idx")


def owner_index_name(table: str, owner_column: str) -> str:
    """Return the name of a plain index on the owner column of ``table`` (tables secured by hand)."""
    return truncate_identifier(f"{table}_{owner_column}_idx")


#: Triggers of shared tables (DESIGN 3.4): scope ownership changes, scoped rows moved, membership grants.
SCOPE_EVENT_TRIGGER = "supabase_sync_scope_event"
SCOPE_MOVE_TRIGGER = "supabase_sync_scope_move"
MEMBERSHIP_TRIGGER = "supabase_sync_membership"
INHERIT_SCOPE_TRIGGER = "supabase_sync_inherit_scope"
SHARING_TRIGGERS = (SCOPE_EVENT_TRIGGER, SCOPE_MOVE_TRIGGER, MEMBERSHIP_TRIGGER, INHERIT_SCOPE_TRIGGER)

#: Roles of a membership row, weakest first; new members are editors.
MEMBER_ROLES = ("viewer", "editor", "admin")

#: The owner column of a membership table: who wrote the row (sync_push forces it to the caller).
MEMBERSHIP_OWNER_COLUMN = "granted_by"


def shared_policy_name(command: str) -> str:
    """Return the contract name of the policy for ``command`` on a shared (scope, scoped, membership) table."""
    return f"supabase_sync: scope members can {command}"


def shared_index_name(table: str, purpose: str) -> str:
    """Return the name of an index a shared table needs (``scope_version``, ``members_user``...)."""
    return truncate_identifier(f"{table}_sync_{purpose}_idx")


#: Pack tables without a primary key on purpose: a tombstone is keyed by its owner or by its scope row
#: (two partial unique keys, schema step 0007: a scoped row leaves one per scope row it was deleted from);
#: only the pack's triggers and functions write it by those keys, and it is in no publication.
PACK_TABLES_WITHOUT_PRIMARY_KEY = frozenset({f"{PACK_SCHEMA}.tombstone"})


#: The pack's SECURITY DEFINER functions the generated policies call: the API roles need EXECUTE on them
#: (a policy runs its functions as the querying role); PostgREST cannot call them (the schema is not exposed).
RLS_HELPER_FUNCTIONS = frozenset({f"{PACK_SCHEMA}.visible_scopes", f"{PACK_SCHEMA}.scope_role"})
