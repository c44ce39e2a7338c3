-- Records ownership changes and deletes of a scope table's rows in
-- supabase_sync.access_event. Placeholders: {table}, {id_column_name} and
-- {owner_column_name} (literals: trigger arguments are strings).
create or replace trigger supabase_sync_scope_event
after update or delete on {table}
for each row execute function supabase_sync.record_scope_event({id_column_name}, {owner_column_name});
