-- Functions and procedures of the given schemas (the exposed ones and
-- supabase_sync), except those of extensions: whether their search_path is
-- fixed, and which API roles may execute the SECURITY DEFINER ones.
-- It takes parameters, so a literal percent sign is written %%.
select
    n.nspname as schema_name,
    p.proname as function_name,
    pg_catalog.pg_get_function_identity_arguments(p.oid) as arguments,
    l.lanname as language,
    p.prosecdef as security_definer,
    p.prorettype in ('pg_catalog.trigger'::regtype, 'pg_catalog.event_trigger'::regtype) as is_trigger,
    exists(
        select from unnest(p.proconfig) as setting (item)
        where setting.item like 'search\_path=%%'
    ) as fixed_search_path,
    array(
        select r.rolname
        from pg_catalog.pg_roles as r
        where
            r.rolname in ('anon', 'authenticated')
            and pg_catalog.has_function_privilege(r.oid, p.oid, 'execute')
            and pg_catalog.has_schema_privilege(r.oid, n.oid, 'usage')
        order by r.rolname
    ) as api_roles_with_execute
from pg_catalog.pg_proc as p
inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
inner join pg_catalog.pg_language as l on p.prolang = l.oid
where
    n.nspname = any(%(schemas)s::text[])
    and p.prokind in ('f', 'p')
    and not exists (
        select from pg_catalog.pg_depend as d
        where
            d.classid = 'pg_catalog.pg_proc'::regclass
            and d.objid = p.oid
            and d.deptype = 'e'
    )
order by n.nspname, p.proname, arguments;
