-- The indexes of several tables: name, key columns (expressions appear as
-- null), whether partial and whether valid (a failed concurrent build leaves an
-- invalid index that serves no query), and its definition (CREATE INDEX text).
-- For unique indexes (what a value another user holds answers 23505 through):
-- whether unique or the primary key, the unique constraint it backs, every
-- column it reads (key columns, and those its expressions and predicate read,
-- which pg_depend records), and its definition from the first key on
-- ("email) WHERE ...", the text after "USING <method> (": null when the
-- definition does not start as expected), so a fix can rebuild it with one
-- more key column and keep the rest (operator classes, INCLUDE, predicate).
with index_definitions as (
    select
        i.indexrelid,
        i.indrelid,
        pg_catalog.pg_get_indexdef(i.indexrelid) as definition,
        pg_catalog.format(
            'CREATE %%sINDEX %%I ON %%s%%I.%%I USING %%I (',
            case when i.indisunique then 'UNIQUE ' else '' end,
            ic.relname,
            case when t.relkind = 'p' then 'ONLY ' else '' end,
            n.nspname,
            t.relname,
            am.amname
        ) as key_list_prefix
    from pg_catalog.pg_index as i
    inner join pg_catalog.pg_class as ic on i.indexrelid = ic.oid
    inner join pg_catalog.pg_class as t on i.indrelid = t.oid
    inner join pg_catalog.pg_namespace as n on t.relnamespace = n.oid
    inner join pg_catalog.pg_am as am on ic.relam = am.oid
    where i.indrelid = any(%(oids)s::oid[])
)

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
    d.definition,
    i.indisunique as is_unique,
    i.indisprimary as is_primary,
    (
        select c.conname::text
        from pg_catalog.pg_constraint as c
        where
            c.conindid = i.indexrelid
            and c.conrelid = i.indrelid
            and c.contype = 'u'
    ) as constraint_name,
    array(
        select a.attname::text
        from pg_catalog.pg_attribute as a
        where
            a.attrelid = i.indrelid
            and a.attnum > 0
            and (
                a.attnum = any(i.indkey::int2[])
                or exists (
                    select
                    from pg_catalog.pg_depend as dep
                    where
                        dep.classid = 'pg_catalog.pg_class'::regclass
                        and dep.objid = i.indexrelid
                        and dep.refclassid = 'pg_catalog.pg_class'::regclass
                        and dep.refobjid = i.indrelid
                        and dep.refobjsubid = a.attnum
                )
            )
        order by a.attnum
    ) as read_columns,
    case
        when pg_catalog.starts_with(d.definition, d.key_list_prefix)
            then pg_catalog.substr(d.definition, pg_catalog.length(d.key_list_prefix) + 1)
    end as keys_onward
from index_definitions as d
inner join pg_catalog.pg_index as i on d.indexrelid = i.indexrelid
inner join pg_catalog.pg_class as ic on i.indexrelid = ic.oid
order by i.indrelid, ic.relname;
