-- Is the pack installed, and which version? Works on a database without it.
select
    to_regclass('supabase_sync.schema_step') is not null as has_schema_step,
    to_regclass('supabase_sync.meta') is not null as has_meta,
    to_regclass('supabase_sync.synced_table') is not null as has_registry,
    exists(
        select from pg_catalog.pg_publication
        where pubname = 'supabase_realtime'
    ) as has_realtime_publication;
