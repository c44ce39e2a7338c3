-- supabase-sync verify: the foreign keys of one table (parameter: relid), with
-- their columns in key order and the referenced table.
select
    con.conname::text as name,
    array(
        select a.attname::text
        from unnest(con.conkey) with ordinality as k (attnum, position)
        inner join pg_catalog.pg_attribute as a
            on a.attrelid = con.conrelid and k.attnum = a.attnum
        order by k.position
    ) as columns,
    con.confrelid::oid as parent_relid,
    pn.nspname::text as parent_schema,
    pc.relname::text as parent_table,
    array(
        select a.attname::text
        from unnest(con.confkey) with ordinality as k (attnum, position)
        inner join pg_catalog.pg_attribute as a
            on a.attrelid = con.confrelid and k.attnum = a.attnum
        order by k.position
    ) as parent_columns
from pg_catalog.pg_constraint as con
inner join pg_catalog.pg_class as pc on con.confrelid = pc.oid
inner join pg_catalog.pg_namespace as pn on pc.relnamespace = pn.oid
where con.conrelid = %(relid)s and con.contype = 'f'
order by con.conname;
