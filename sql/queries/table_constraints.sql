-- Primary keys, foreign keys and single-column "is not null" checks of several
-- tables: kind (p, f, c), the columns in key order, and for a foreign key the
-- referenced table.
select
    con.conrelid::bigint as table_oid,
    con.conname::text as name,
    con.contype::text as kind,
    array(
        select a.attname::text
        from unnest(con.conkey) with ordinality as k (attnum, position)
        inner join pg_catalog.pg_attribute as a
            on con.conrelid = a.attrelid and k.attnum = a.attnum
        order by k.position
    ) as columns,
    pn.nspname::text as parent_schema,
    pc.relname::text as parent_table
from pg_catalog.pg_constraint as con
left join pg_catalog.pg_class as pc on con.confrelid = pc.oid
left join pg_catalog.pg_namespace as pn on pc.relnamespace = pn.oid
where
    con.conrelid = any(%(oids)s::oid[])
    and (
        con.contype in ('p', 'f')
        or (
            con.contype = 'c'
            and pg_catalog.cardinality(con.conkey) = 1
            and con.convalidated
            and pg_catalog.pg_get_constraintdef(con.oid) ilike '%%is not null%%'
        )
    )
order by con.conrelid, con.conname;
