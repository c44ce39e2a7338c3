-- Forgets the hard deletes recorded for a table. Placeholder: {table_name} (literal).
delete from supabase_sync.tombstone
where relid = {table_name}::regclass;
