-- AFTER TRUNCATE trigger of every synced table. TRUNCATE fires no row triggers,
-- so no tombstone can say which rows went: move this table's retention horizon
-- past the truncating transaction, which makes every older cursor answer PT410
-- (full resync) for pulls and pushes that include this table, and only those.
-- Every row the table holds afterwards has a version above the truncating xid,
-- so a paged resync from null never pages below the horizon (pull_keys).
create or replace function supabase_sync.on_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- One above the truncating xid: a cursor taken while it ran can equal it.
    update supabase_sync.synced_table
    set horizon = ((pg_catalog.pg_current_xact_id()::text::bigint) + 1)::text::xid8
    where relid = tg_relid and horizon < ((pg_catalog.pg_current_xact_id()::text::bigint) + 1)::text::xid8;
    return null;
end;
$$;

revoke all on function supabase_sync.on_truncate() from public;

comment on function supabase_sync.on_truncate() is
'supabase-sync: a TRUNCATE of a synced table forces a resync of that table on every client.';
