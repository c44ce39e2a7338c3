-- Every registered table with its schema and name, in push order. The sharing
-- columns (schema step 0006) are read through to_jsonb so a registry an older
-- pack left (no such columns) reads as owner tables.
select
    st.relid::bigint as table_oid,
    n.nspname::text as schema_name,
    c.relname::text as table_name,
    st.owner_column::text as owner_column,
    st.id_column::text as id_column,
    st.conflict_strategy,
    st.dependency_rank,
    coalesce(to_jsonb(st) ->> 'kind', 'owner') as kind,
    mn.nspname::text as members_schema,
    mc.relname::text as members_table,
    to_jsonb(st) ->> 'member_column' as member_column,
    to_jsonb(st) ->> 'member_scope_column' as member_scope_column,
    sn.nspname::text as scope_schema,
    sc.relname::text as scope_table,
    to_jsonb(st) ->> 'scope_column' as scope_column,
    -- absent before schema step 0005
    coalesce(pg_catalog.to_jsonb(st) ->> 'realtime', 'postgres_changes') as realtime,
    -- null: the pack-wide default (meta big_numbers); absent before step 0005
    pg_catalog.to_jsonb(st) ->> 'big_numbers' as big_numbers,
    -- absent before schema step 0009
    pn.nspname::text as scope_parent_schema,
    pc.relname::text as scope_parent_table,
    to_jsonb(st) ->> 'scope_through' as scope_through
from supabase_sync.synced_table as st
inner join pg_catalog.pg_class as c on st.relid = c.oid
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
left join pg_catalog.pg_class as mc on (to_jsonb(st) ->> 'members')::regclass::oid = mc.oid
left join pg_catalog.pg_namespace as mn on mc.relnamespace = mn.oid
left join pg_catalog.pg_class as sc on (to_jsonb(st) ->> 'scope')::regclass::oid = sc.oid
left join pg_catalog.pg_namespace as sn on sc.relnamespace = sn.oid
left join pg_catalog.pg_class as pc on (to_jsonb(st) ->> 'scope_parent')::regclass::oid = pc.oid
left join pg_catalog.pg_namespace as pn on pc.relnamespace = pn.oid
order by st.dependency_rank, n.nspname, c.relname;
