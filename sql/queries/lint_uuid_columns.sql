-- uuid columns of user tables, and whether some valid index starts with them:
-- the candidates for owner columns that policies compare with auth.uid().
select
    n.nspname as schema_name,
    c.relname as table_name,
    a.attname as column_name,
    exists(
        select from pg_catalog.pg_index as i
        where i.indrelid = c.oid and i.indkey[0] = a.attnum and i.indisvalid
    ) as leads_an_index
from pg_catalog.pg_attribute as a
inner join pg_catalog.pg_class as c on a.attrelid = c.oid
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
where
    c.relkind in ('r', 'p')
    and a.atttypid = 'pg_catalog.uuid'::regtype
    and a.attnum > 0
    and not a.attisdropped
    and n.nspname not in ('pg_catalog', 'information_schema')
    and n.nspname not like 'pg\_%'
order by n.nspname, c.relname, a.attnum;
