-- The primary key columns of a table, in key order (no row: no primary key).
select a.attname::text as name
from pg_catalog.pg_constraint as con
cross join lateral unnest(con.conkey) with ordinality as k (attnum, position)
inner join pg_catalog.pg_attribute as a
    on con.conrelid = a.attrelid and k.attnum = a.attnum
where con.conrelid = %(oid)s::oid and con.contype = 'p'
order by k.position;
