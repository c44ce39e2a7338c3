-- Registers (or re-registers) a synced table with its single-column primary key
-- as the id column, read as the migration runs (written when enable cannot read
-- the catalog); a no-op when nothing changes. Placeholders: {table_name},
-- {owner_column_name}, {conflict_strategy} (literals).
insert into supabase_sync.synced_table as st (relid, owner_column, id_column, conflict_strategy)
select
    con.conrelid as relid,
    {owner_column_name} as owner_column,
    a.attname as id_column,
    {conflict_strategy} as conflict_strategy
from pg_catalog.pg_constraint as con
inner join pg_catalog.pg_attribute as a
    on con.conrelid = a.attrelid and con.conkey[1] = a.attnum
where
    con.conrelid = {table_name}::regclass
    and con.contype = 'p'
    and pg_catalog.cardinality(con.conkey) = 1
on conflict (relid) do update
    set
        owner_column = excluded.owner_column,
        id_column = excluded.id_column,
        conflict_strategy = excluded.conflict_strategy
    where (st.owner_column, st.id_column, st.conflict_strategy)
    is distinct from (excluded.owner_column, excluded.id_column, excluded.conflict_strategy);
