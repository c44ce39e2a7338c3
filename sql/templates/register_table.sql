-- Registers (or re-registers) a synced table; a no-op when nothing changes.
-- Placeholders: {table_name}, {owner_column_name}, {id_column_name},
-- {conflict_strategy} (literals).
insert into supabase_sync.synced_table as st (relid, owner_column, id_column, conflict_strategy)
values ({table_name}::regclass, {owner_column_name}, {id_column_name}, {conflict_strategy})
on conflict (relid) do update
    set
        owner_column = excluded.owner_column,
        id_column = excluded.id_column,
        conflict_strategy = excluded.conflict_strategy
    where (st.owner_column, st.id_column, st.conflict_strategy)
    is distinct from (excluded.owner_column, excluded.id_column, excluded.conflict_strategy);
