-- The live columns of several tables, in order, with their type and nullability.
select
    a.attrelid::bigint as table_oid,
    a.attname::text as name,
    pg_catalog.format_type(a.atttypid, null) as type_name,
    a.attnotnull as not_null
from pg_catalog.pg_attribute as a
where a.attrelid = any(%(oids)s::oid[]) and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum;
