-- What the compiled functions of registered tables (schema step 0011) are
-- rendered from: one row per registered table (all of them when %(oids)s is
-- null); `columns` are the live columns in table order as [name, format_type].
select
    st.relid::oid::bigint as table_oid,
    n.nspname::text as schema_name,
    c.relname::text as table_name,
    -- absent before schema step 0006
    coalesce(pg_catalog.to_jsonb(st) ->> 'kind', 'owner') as kind,
    st.owner_column::text as owner_column,
    st.id_column::text as id_column,
    -- a scoped table's (absent before schema step 0006; qualified: read with search_path pg_catalog)
    pg_catalog.to_jsonb(st) ->> 'scope_column' as scope_column,
    pg_catalog.to_jsonb(st) ->> 'scope' as scope_table,
    coalesce(
        (
            select
                pg_catalog.jsonb_agg(
                    pg_catalog.jsonb_build_array(a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod))
                    order by a.attnum
                )
            from pg_catalog.pg_attribute as a
            where a.attrelid = st.relid and a.attnum > 0 and not a.attisdropped
        ),
        '[]'::jsonb
    ) as columns
from supabase_sync.synced_table as st
inner join pg_catalog.pg_class as c on st.relid = c.oid
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
where %(oids)s::oid[] is null or st.relid::oid = any(%(oids)s::oid[])
order by st.dependency_rank, n.nspname, c.relname;
