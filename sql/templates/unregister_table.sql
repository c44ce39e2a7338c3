-- Stops syncing a table. Placeholder: {table_name} (literal).
delete from supabase_sync.synced_table
where relid = {table_name}::regclass;
