-- The indexes of a table: name and key columns (expressions appear as null).
select
    ic.relname::text as name,
    array(
        select a.attname::text
        from unnest(i.indkey::int2[]) with ordinality as k (attnum, position)
        left join pg_catalog.pg_attribute as a
            on i.indrelid = a.attrelid and k.attnum = a.attnum
        where k.position <= i.indnkeyatts
        order by k.position
    ) as columns,
    i.indpred is not null as partial
from pg_catalog.pg_index as i
inner join pg_catalog.pg_class as ic on i.indexrelid = ic.oid
where i.indrelid = %(oid)s::oid
order by ic.relname;
