-- The live columns of a table, in order, with their type and nullability.
select
    a.attname::text as name,
    pg_catalog.format_type(a.atttypid, null) as type_name,
    a.attnotnull as not_null
from pg_catalog.pg_attribute as a
where a.attrelid = %(oid)s::oid and a.attnum > 0 and not a.attisdropped
order by a.attnum;
