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
    (
        -- Whether the owner of the pull key phase (supabase_sync.pull_keys, SECURITY
        -- DEFINER) bypasses row level security on the table: a superuser, a
        -- BYPASSRLS role, or the table's owner (a member of it) without FORCE ROW
        -- LEVEL SECURITY. Null when the pack is not installed.
        select
            r.rolsuper or r.rolbypassrls
            or (pg_catalog.pg_has_role(p.proowner, c.relowner, 'USAGE') and not c.relforcerowsecurity)
        from pg_catalog.pg_proc as p
        inner join pg_catalog.pg_namespace as pn on p.pronamespace = pn.oid
        inner join pg_catalog.pg_roles as r on p.proowner = r.oid
        where pn.nspname = 'supabase_sync' and p.proname = 'pull_keys'
        order by p.oid
        limit 1
    ) as key_phase_bypasses_rls,
    (
        select pg_catalog.pg_get_userbyid(p.proowner)
        from pg_catalog.pg_proc as p
        inner join pg_catalog.pg_namespace as pn on p.pronamespace = pn.oid
        where pn.nspname = 'supabase_sync' and p.proname = 'pull_keys'
        order by p.oid
        limit 1
    ) as key_phase_owner,
    c.relforcerowsecurity as rls_forced,
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
