-- Every registered synced table with the columns and enabled triggers it has,
-- and whether an index starts with its owner column.
select
    n.nspname as schema_name,
    c.relname as table_name,
    st.owner_column::text as owner_column,
    st.id_column::text as id_column,
    array(
        select a.attname::text
        from pg_catalog.pg_attribute as a
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        order by a.attnum
    ) as columns,
    array(
        select t.tgname::text
        from pg_catalog.pg_trigger as t
        where t.tgrelid = c.oid and not t.tgisinternal and t.tgenabled <> 'D'
        order by t.tgname
    ) as triggers,
    exists(
        select from pg_catalog.pg_index as i
        inner join pg_catalog.pg_attribute as owner_attribute
            on i.indrelid = owner_attribute.attrelid and i.indkey[0] = owner_attribute.attnum
        where i.indrelid = c.oid and owner_attribute.attname = st.owner_column and i.indisvalid
    ) as owner_leads_an_index
from supabase_sync.synced_table as st
inner join pg_catalog.pg_class as c on st.relid = c.oid
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
order by n.nspname, c.relname;
