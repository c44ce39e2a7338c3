-- Which of several schema-qualified names (two parallel arrays, raw names) a
-- relation (table, index, view...) already holds.
select
    wanted.schema_name,
    wanted.relation_name
from unnest(%(schemas)s::text[], %(names)s::text[]) as wanted (schema_name, relation_name)
where exists (
    select from pg_catalog.pg_class as c
    inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
    where n.nspname = wanted.schema_name and c.relname = wanted.relation_name
);
