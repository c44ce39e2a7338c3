-- supabase-sync pack, schema step 0003: the registry as clients name it.
-- collection is the quoted "schema.table" key used in pull/push payloads.
create view supabase_sync.synced_collection
with (security_invoker = true) as
select
    st.relid,
    format('%I.%I', n.nspname, c.relname) as collection,
    n.nspname as schema_name,
    c.relname as table_name,
    st.owner_column,
    st.id_column,
    format_type(a.atttypid, a.atttypmod) as id_type,
    st.conflict_strategy,
    st.dependency_rank
from supabase_sync.synced_table as st
inner join pg_catalog.pg_class as c on st.relid = c.oid
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
inner join pg_catalog.pg_attribute as a
    on st.relid = a.attrelid and st.id_column = a.attname;

grant select on supabase_sync.synced_collection to authenticated, service_role;
