-- supabase-sync verify: the functions of the given schemas (parameter: schemas)
-- that are not part of an extension, with their search_path setting and who may
-- execute them.
select
    p.oid::regprocedure::text as signature,
    n.nspname::text as schema_name,
    p.proname::text as function_name,
    p.prosecdef as security_definer,
    exists(
        select 1
        from unnest(coalesce(p.proconfig, '{}')) as setting
        where setting like 'search\_path=%%'
    ) as fixed_search_path,
    pg_catalog.has_function_privilege('anon', p.oid, 'execute') as anon_can_execute,
    pg_catalog.has_function_privilege('authenticated', p.oid, 'execute') as authenticated_can_execute,
    p.prorettype = 'trigger'::regtype as is_trigger
from pg_catalog.pg_proc as p
inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
where
    n.nspname = any(%(schemas)s)
    and p.prokind in ('f', 'p')
    and not exists (
        select 1
        from pg_catalog.pg_depend as d
        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
    )
order by n.nspname, p.proname, p.oid;
