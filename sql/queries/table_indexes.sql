-- The indexes of several tables: name, key columns (expressions appear as
-- null), whether partial and whether valid (a failed concurrent build leaves an
-- invalid index that serves no query), and its definition (CREATE INDEX text).
select
    i.indrelid::bigint as table_oid,
    ic.relname::text as name,
    array(
        select a.attname::text
        from unnest(i.indkey::int2[]) with ordinality as k (attnum, position)
        left join pg_catalog.pg_attribute as a
            on i.indrelid = a.attrelid and k.attnum = a.attnum
        where k.position <= i.indnkeyatts
        order by k.position
    ) as columns,
    i.indpred is not null as partial,
    i.indisvalid as valid,
    pg_catalog.pg_get_indexdef(i.indexrelid) as definition
from pg_catalog.pg_index as i
inner join pg_catalog.pg_class as ic on i.indexrelid = ic.oid
where i.indrelid = any(%(oids)s::oid[])
order by i.indrelid, ic.relname;
