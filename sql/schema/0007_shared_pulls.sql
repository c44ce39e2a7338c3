-- supabase-sync pack, schema step 0007 (pack 3): pulls deliver access changes
-- (issue 14, docs/protocol.md "Sharing (scopes)": gained scopes as created,
-- lost scopes and moved rows as deleted, hard deletes to every member).
--
-- Tombstones of a scoped table belong to the scope row the deleted row was in
-- (`scope_id`): every user who sees that scope row is told, whoever deleted
-- it. They are keyed (relid, scope_id, row_id): only someone who may delete a
-- row of that scope row writes one, so no outsider rewrites what its members
-- are told (issue 11.2). Tombstones of owner and scope tables, and of scoped
-- rows deleted before this step (their scope is unknown), keep the owner key
-- (relid, owner_id, row_id) and are still served to that owner.
-- Idempotent, like every step an interrupted upgrade may meet half-way.
alter table supabase_sync.tombstone
add column if not exists scope_id text;

create unique index if not exists tombstone_owner_key
on supabase_sync.tombstone (relid, owner_id, row_id)
where scope_id is null;

create unique index if not exists tombstone_scope_key
on supabase_sync.tombstone (relid, scope_id, row_id)
where scope_id is not null;

-- The owner key above replaces the primary key (a scoped row may leave one
-- tombstone per scope row it was deleted from).
alter table supabase_sync.tombstone
drop constraint if exists tombstone_pkey;

-- A scope row's tombstones from a position on (the pull of its members).
create index if not exists tombstone_scope_position_idx
on supabase_sync.tombstone (relid, scope_id, version, (pg_catalog.hashtextextended(row_id, 0) & 32767))
where scope_id is not null;

-- Whether a row the caller receives moved in from a scope row they cannot see
-- (then it reaches them as created): one probe per delivered row.
create index if not exists access_event_moved_row_idx
on supabase_sync.access_event (relid, row_id, version)
where event = 'moved';

-- The key phase returns whether each row reaches the caller as created
-- (`fresh`); its result type changed, so the old one goes before the
-- functions are applied again.
drop function if exists supabase_sync.pull_keys(regclass[], xid8, integer, xid8, integer, xid8, boolean, uuid, integer);
