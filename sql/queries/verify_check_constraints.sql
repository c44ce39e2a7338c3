-- supabase-sync verify: CHECK constraints on one column each of one table
-- (parameter: relid), so synthetic rows can pick an allowed literal.
select
    a.attname::text as column_name,
    pg_catalog.pg_get_constraintdef(con.oid) as definition
from pg_catalog.pg_constraint as con
inner join pg_catalog.pg_attribute as a
    on con.conrelid = a.attrelid and a.attnum = con.conkey[1]
where con.conrelid = %(relid)s and con.contype = 'c' and cardinality(con.conkey) = 1
order by con.conname;
