-- Records the scoped parent a table copies its scope column from and its
-- column referencing it (enable --scope-through); both null for a table that
-- holds its own scope column. A no-op when nothing changes. Placeholders:
-- {table_name}, {parent_name}, {fk_column_name} (literals, null when none).
update supabase_sync.synced_table as st
set
    scope_parent = {parent_name}::regclass,
    scope_through = {fk_column_name}
where
    st.relid = {table_name}::regclass
    and (st.scope_parent, st.scope_through)
    is distinct from ({parent_name}::regclass, {fk_column_name}::name);
