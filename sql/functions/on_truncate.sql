-- AFTER TRUNCATE trigger of every synced table. TRUNCATE fires no row triggers,
-- so no tombstone can say which rows went: move the retention horizon to now,
-- which makes every older cursor answer PT410 (full resync) instead of stale data.
create or replace function supabase_sync.on_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- One above the truncating xid: a cursor taken while it ran can equal it.
    update supabase_sync.meta
    set value = ((pg_current_xact_id()::text::bigint) + 1)::text
    where key = 'retention_horizon';
    return null;
end;
$$;

revoke all on function supabase_sync.on_truncate() from public;

comment on function supabase_sync.on_truncate() is
'supabase-sync: a TRUNCATE of a synced table forces every client to resync.';
