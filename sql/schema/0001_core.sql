-- supabase-sync pack, schema step 0001: settings, registry, tombstones, push log.

-- Settings of the pack (key/value). Known keys:
--   pack_version       version of the SQL pack installed
--   max_push_rows      rows accepted in one push (created + updated + deleted)
--   default_page_size  rows per sync_pull page when the caller does not say
--   retention_horizon  xid8 cursor below which a pull must resync (PT410)
create table supabase_sync.meta (
    key text primary key,
    value text not null
);

insert into supabase_sync.meta (key, value) values
('max_push_rows', '10000'),
('default_page_size', '1000'),
('retention_horizon', '0')
on conflict (key) do nothing;

-- The synced tables. The collection name clients use ("public.task") is derived
-- from relid (see supabase_sync.synced_collection) so a renamed table keeps syncing.
create table supabase_sync.synced_table (
    relid regclass primary key,
    owner_column name not null,
    id_column name not null default 'id',
    conflict_strategy text not null default 'reject',
    dependency_rank integer not null default 0,
    enabled_at timestamptz not null default now(),
    constraint synced_table_conflict_strategy_check
    check (conflict_strategy in ('reject', 'lww'))
);

-- One row per hard-deleted synced row, so clients learn of DELETEs made outside
-- sync_push (dashboard, cascades). Soft deletes (deleted_at) need none.
create table supabase_sync.tombstone (
    relid regclass not null,
    row_id text not null,
    owner_id uuid,
    version xid8 not null default pg_current_xact_id(),
    instance_id uuid,
    deleted_at timestamptz not null default now(),
    primary key (relid, row_id)
);

create index tombstone_owner_version_idx
on supabase_sync.tombstone (relid, owner_id, version);

-- Responses of applied pushes, keyed by the client's push_id: a retry returns
-- the first response and changes nothing.
create table supabase_sync.push_log (
    user_id uuid not null,
    push_id uuid not null,
    response jsonb not null,
    pushed_at timestamptz not null default now(),
    primary key (user_id, push_id)
);
