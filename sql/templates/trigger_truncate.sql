-- A TRUNCATE forces every client to resync. Placeholder: {table}.
create or replace trigger supabase_sync_truncate
after truncate on {table}
for each statement execute function supabase_sync.on_truncate();
