-- Records hard deletes as tombstones. Placeholders: {table}, {id_column_name}
-- and {owner_column_name} (literals: trigger arguments are strings).
create or replace trigger supabase_sync_tombstone
after delete on {table}
referencing old table as supabase_sync_deleted_rows
for each statement execute function supabase_sync.record_tombstone({id_column_name}, {owner_column_name});
