-- Sets the server-maintained columns on every write. Placeholder: {table}.
create or replace trigger supabase_sync_stamp
before insert or update on {table}
for each row execute function supabase_sync.stamp_row();
