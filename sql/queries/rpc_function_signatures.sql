-- The overloads of one function and their input parameters, as PostgREST's
-- schema cache sees them: used by supabase_sync.rpc to call a function with
-- named arguments cast to their declared types.
-- Parameters: %(schema)s, %(name)s.
select
    p.oid::regprocedure::text as signature,
    p.pronargdefaults as default_count,
    p.proretset as returns_set,
    p.prorettype = 'pg_catalog.void'::regtype as returns_void,
    p.provolatile = 'v' as is_volatile,
    coalesce(
        array_agg(arg.name order by arg.position) filter (where arg.mode in ('i', 'b', 'v')),
        '{}'
    ) as input_names,
    coalesce(
        array_agg(
            pg_catalog.format_type(arg.type_oid, null) order by arg.position
        ) filter (where arg.mode in ('i', 'b', 'v')),
        '{}'
    ) as input_types
from pg_catalog.pg_proc as p
inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
left join lateral (
    select
        a.type_oid,
        a.position,
        coalesce(p.proargmodes[a.position], 'i') as mode,
        coalesce(p.proargnames[a.position], '') as name
    from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as a (type_oid, position)
) as arg on true
where
    n.nspname = %(schema)s
    and p.proname = %(name)s
    and p.prokind = 'f'
group by p.oid
order by p.oid;
