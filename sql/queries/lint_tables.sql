-- Tables of every user schema with their row level security state, policy count
-- and primary key, for the RLS and primary key lints. Tables that belong to an
-- extension are left out: the extension manages them.
select
    n.nspname as schema_name,
    c.relname as table_name,
    c.relrowsecurity as rls_enabled,
    (
        select count(*) from pg_catalog.pg_policy as p
        where p.polrelid = c.oid
    ) as policy_count,
    exists(
        select from pg_catalog.pg_constraint as k
        where k.conrelid = c.oid and k.contype = 'p'
    ) as has_primary_key,
    exists(
        select from pg_catalog.pg_attribute as a
        where a.attrelid = c.oid and a.attname = 'id' and not a.attisdropped
    ) as has_id_column
from pg_catalog.pg_class as c
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
where
    c.relkind in ('r', 'p')
    and n.nspname not in ('pg_catalog', 'information_schema')
    and n.nspname not like 'pg\_%'
    and not exists (
        select from pg_catalog.pg_depend as d
        where
            d.classid = 'pg_catalog.pg_class'::regclass
            and d.objid = c.oid
            and d.deptype = 'e'
    )
order by n.nspname, c.relname;
