-- Every overload of the functions named (schema-qualified names, raw), with
-- argument types for DROP FUNCTION.
select
    n.nspname::text as schema_name,
    p.proname::text as function_name,
    array(
        select pg_catalog.format_type(a.t, null)
        from unnest(p.proargtypes::oid[]) with ordinality as a (t, position)
        order by a.position
    ) as argument_types
from pg_catalog.pg_proc as p
inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
where (n.nspname || '.' || p.proname) = any(%(names)s::text[])
order by n.nspname, p.proname, p.oid;
