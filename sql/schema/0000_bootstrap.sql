-- supabase-sync pack: the schema and the table that records which schema steps ran.
-- Always applied first; idempotent.
create schema if not exists supabase_sync;

comment on schema supabase_sync is
'supabase-sync: registry of synced tables, tombstones, push log. Not exposed through the API.';

create table if not exists supabase_sync.schema_step (
    step text primary key,
    applied_at timestamptz not null default now()
);
