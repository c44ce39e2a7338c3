-- Tables with triggers calling supabase_sync functions but no registry row
-- (half enabled: sync_push and sync_pull ignore them), with the arguments of
-- their supabase_sync_tombstone trigger (the id and owner column names given to
-- record_tombstone, each NUL-terminated; split by the caller). The pack's own
-- tables (the registry's describe_synced_table trigger) are not candidates.
select
    n.nspname::text as schema_name,
    c.relname::text as table_name,
    (array_agg(t.tgargs) filter (
        where t.tgname = 'supabase_sync_tombstone'
    ))[1] as tombstone_arguments
from pg_catalog.pg_trigger as t
inner join pg_catalog.pg_class as c on t.tgrelid = c.oid
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
inner join pg_catalog.pg_proc as p on t.tgfoid = p.oid
inner join pg_catalog.pg_namespace as function_schema on p.pronamespace = function_schema.oid
where
    not t.tgisinternal
    and function_schema.nspname = 'supabase_sync'
    and n.nspname <> 'supabase_sync'
    and not exists (
        select from supabase_sync.synced_table as st
        where st.relid = c.oid
    )
group by n.nspname, c.relname
order by n.nspname, c.relname;
