-- Records grants and revokes of a membership table in supabase_sync.access_event.
-- Placeholders: {table} (identifier), {scope_name}, {scope_column_name},
-- {member_column_name} (literals).
create or replace trigger supabase_sync_membership
after insert or update or delete on {table}
for each row execute function supabase_sync.record_membership_event(
    {scope_name}, {scope_column_name}, {member_column_name}
);
