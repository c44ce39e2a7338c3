-- How the synced table notifies clients: broadcast | postgres_changes | off
-- (enable --realtime). Placeholders: {table_name}, {realtime} (literals).
update supabase_sync.synced_table
set realtime = {realtime}
where relid = {table_name}::regclass and realtime is distinct from {realtime};
