-- The user triggers of several tables: the function called (schema and name),
-- its raw arguments (bytea, each argument NUL-terminated; split by the caller),
-- whether it fires in ordinary sessions ('O' origin or 'A' always), when, on
-- which events, per row or statement, and the name of its OLD transition table.
select
    t.tgrelid::bigint as table_oid,
    t.tgname::text as name,
    pn.nspname::text as function_schema,
    p.proname::text as function_name,
    t.tgargs as arguments,
    t.tgenabled in ('O', 'A') as enabled,
    case
        when t.tgtype & 2 <> 0 then 'before'
        when t.tgtype & 64 <> 0 then 'instead of'
        else 'after'
    end as timing,
    array_remove(
        array[
            case when t.tgtype & 4 <> 0 then 'insert' end,
            case when t.tgtype & 16 <> 0 then 'update' end,
            case when t.tgtype & 8 <> 0 then 'delete' end,
            case when t.tgtype & 32 <> 0 then 'truncate' end
        ],
        null
    ) as events,
    t.tgtype & 1 <> 0 as for_each_row,
    t.tgoldtable::text as old_table
from pg_catalog.pg_trigger as t
inner join pg_catalog.pg_proc as p on t.tgfoid = p.oid
inner join pg_catalog.pg_namespace as pn on p.pronamespace = pn.oid
where t.tgrelid = any(%(oids)s::oid[]) and not t.tgisinternal
order by t.tgrelid, t.tgname;
