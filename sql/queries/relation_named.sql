-- Is a relation (table, index, view...) of this name in this schema? (raw names)
select exists(
    select from pg_catalog.pg_class as c
    inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
    where n.nspname = %(schema)s and c.relname = %(name)s
) as taken;
