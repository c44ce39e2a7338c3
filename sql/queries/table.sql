-- One table by schema and name (raw, unquoted names).
select
    c.oid::bigint as oid,
    c.relkind::text as relkind,
    c.relrowsecurity as rls_enabled,
    pg_catalog.pg_get_userbyid(c.relowner) as owner
from pg_catalog.pg_class as c
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
where n.nspname = %(schema)s and c.relname = %(name)s;
