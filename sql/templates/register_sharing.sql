-- Records how a registered table is shared; a no-op when nothing changes.
-- Placeholders: {table_name}, {kind}, {members_name}, {member_column_name},
-- {member_scope_column_name}, {scope_name}, {scope_column_name} (literals, the
-- ones a kind does not use null).
update supabase_sync.synced_table as st
set
    kind = {kind},
    members = {members_name}::regclass,
    member_column = {member_column_name},
    member_scope_column = {member_scope_column_name},
    scope = {scope_name}::regclass,
    scope_column = {scope_column_name}
where
    st.relid = {table_name}::regclass
    and (st.kind, st.members, st.member_column, st.member_scope_column, st.scope, st.scope_column)
    is distinct from (
        {kind}, {members_name}::regclass, {member_column_name}::name, {member_scope_column_name}::name,
        {scope_name}::regclass, {scope_column_name}::name
    );
