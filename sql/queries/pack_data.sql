-- How much data uninstall would drop: registered tables, tombstones, pushes.
select
    (select count(*) from supabase_sync.synced_table) as synced_tables,
    (select count(*) from supabase_sync.tombstone) as tombstones,
    (select count(*) from supabase_sync.push_log) as pushes;
