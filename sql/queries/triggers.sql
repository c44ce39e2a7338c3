-- The user triggers of a table: function called (schema and name) and raw
-- arguments (bytea, each argument NUL-terminated; split by the caller).
select
    t.tgname::text as name,
    pn.nspname::text as function_schema,
    p.proname::text as function_name,
    t.tgargs as arguments,
    t.tgenabled <> 'D' as enabled
from pg_catalog.pg_trigger as t
inner join pg_catalog.pg_proc as p on t.tgfoid = p.oid
inner join pg_catalog.pg_namespace as pn on p.pronamespace = pn.oid
where t.tgrelid = %(oid)s::oid and not t.tgisinternal
order by t.tgname;
