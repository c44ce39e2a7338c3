-- Realtime Broadcast of changes to the owner's private topic (enable
-- --realtime broadcast). Placeholders: {table}, {id_column_name},
-- {owner_column_name} (trigger arguments, literals).
create or replace trigger supabase_sync_broadcast
after insert or update or delete on {table}
for each row execute function supabase_sync.broadcast_change({id_column_name}, {owner_column_name});
