-- Tables by schema and name (raw, unquoted names, given as two parallel arrays):
-- one row per relation found, none for a name that matches nothing;
-- truncate_roles: the API roles (anon, authenticated) that may TRUNCATE it.
select
    wanted.schema_name,
    wanted.table_name,
    c.oid::bigint as oid,
    c.relkind::text as relkind,
    c.relrowsecurity as rls_enabled,
    pg_catalog.pg_get_userbyid(c.relowner) as owner,
    array(
        select r.rolname::text
        from pg_catalog.pg_roles as r
        where
            r.rolname in ('anon', 'authenticated')
            and pg_catalog.has_table_privilege(r.oid, c.oid, 'TRUNCATE')
        order by r.rolname
    ) as truncate_roles
from unnest(%(schemas)s::text[], %(names)s::text[]) as wanted (schema_name, table_name)
inner join pg_catalog.pg_namespace as n on wanted.schema_name = n.nspname
inner join pg_catalog.pg_class as c
    on n.oid = c.relnamespace and wanted.table_name = c.relname;
