-- plpgsql functions of the given schemas for plpgsql_check, except those of
-- extensions. A trigger function comes with one table that uses it (and that
-- trigger's transition table names), which plpgsql_check needs to compile it.
select
    p.oid,
    n.nspname as schema_name,
    p.proname as function_name,
    pg_catalog.pg_get_function_identity_arguments(p.oid) as arguments,
    p.prorettype = 'pg_catalog.trigger'::regtype as is_trigger,
    coalesce(trigger_use.tgrelid, 0::oid) as relid,
    trigger_use.tgoldtable::text as oldtable,
    trigger_use.tgnewtable::text as newtable
from pg_catalog.pg_proc as p
inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
inner join pg_catalog.pg_language as l on p.prolang = l.oid
left join lateral (
    select
        t.tgrelid,
        t.tgoldtable,
        t.tgnewtable
    from pg_catalog.pg_trigger as t
    where t.tgfoid = p.oid and not t.tgisinternal
    order by t.tgrelid
    limit 1
) as trigger_use on true
where
    n.nspname = any(%(schemas)s::text[])
    and l.lanname = 'plpgsql'
    and p.prokind in ('f', 'p')
    and p.prorettype <> 'pg_catalog.event_trigger'::regtype
    and not exists (
        select from pg_catalog.pg_depend as d
        where
            d.classid = 'pg_catalog.pg_proc'::regclass
            and d.objid = p.oid
            and d.deptype = 'e'
    )
order by n.nspname, p.proname, p.oid;
