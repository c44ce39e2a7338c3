-- What the compiled push of registered tables is rendered from
-- (supabase_sync.compiled.push): per table of %(oids)s, its id and owner
-- columns, the columns a push may write in table order as [name, type,
-- default expression] (supabase_sync.writable_columns, 'null' for no default)
-- and its single-column foreign keys (supabase_sync.push_foreign_keys): the
-- push facts of schema step 0008, as the catalog has them now.
select
    st.relid::oid::bigint as table_oid,
    n.nspname::text as schema_name,
    c.relname::text as table_name,
    st.id_column::text as id_column,
    st.owner_column::text as owner_column,
    coalesce(
        (
            select
                pg_catalog.jsonb_agg(
                    pg_catalog.jsonb_build_array(w.column_name, w.column_type, coalesce(w.default_expr, 'null'))
                    order by w.n
                )
            from supabase_sync.writable_columns(st.relid) with ordinality as w (column_name, column_type, default_expr, n)
        ),
        '[]'::jsonb
    ) as columns,
    supabase_sync.push_foreign_keys(st.relid) as foreign_keys
from supabase_sync.synced_table as st
inner join pg_catalog.pg_class as c on st.relid = c.oid
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
where st.relid::oid = any(%(oids)s::oid[])
order by st.dependency_rank, n.nspname, c.relname;
