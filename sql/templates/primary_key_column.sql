-- The name of a table's single-column primary key (null when it has none, or a
-- composite one), for statements written before the table can be read: enable
-- writing a migration without a database. Placeholder: {table_name} (literal).
select a.attname::text
from pg_catalog.pg_constraint as con
inner join pg_catalog.pg_attribute as a
    on con.conrelid = a.attrelid and con.conkey[1] = a.attnum
where
    con.conrelid = {table_name}::regclass
    and con.contype = 'p'
    and pg_catalog.cardinality(con.conkey) = 1
