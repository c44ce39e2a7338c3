-- Every registered table with its schema and name, in push order.
select
    st.relid::bigint as table_oid,
    n.nspname::text as schema_name,
    c.relname::text as table_name,
    st.owner_column::text as owner_column,
    st.id_column::text as id_column,
    st.conflict_strategy,
    st.dependency_rank,
    -- absent before schema step 0005
    coalesce(pg_catalog.to_jsonb(st) ->> 'realtime', 'postgres_changes') as realtime
from supabase_sync.synced_table as st
inner join pg_catalog.pg_class as c on st.relid = c.oid
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
order by st.dependency_rank, n.nspname, c.relname;
