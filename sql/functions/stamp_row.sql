-- BEFORE INSERT OR UPDATE trigger of every synced table: sets the server-maintained
-- columns so that no client can forge them (DESIGN 3.1).
--   server_version          xid of the writing transaction (the pull cursor compares it)
--   server_created_version  xid of the inserting transaction (created vs updated in pulls)
--   server_created_at / server_updated_at  server clock
--   instance_id             the device that wrote last, from sync_push's client_id
create or replace function supabase_sync.stamp_row()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if tg_op = 'INSERT' then
        new.server_created_at := now();
        new.server_created_version := pg_current_xact_id();
    else
        new.server_created_at := old.server_created_at;
        new.server_created_version := old.server_created_version;
    end if;
    new.server_updated_at := now();
    new.server_version := pg_current_xact_id();
    new.instance_id := nullif(current_setting('supabase_sync.client_id', true), '')::uuid;
    return new;
end;
$$;

revoke all on function supabase_sync.stamp_row() from public;

comment on function supabase_sync.stamp_row() is
'supabase-sync: sets server_* columns, the xid8 version and instance_id on every write to a synced table.';
