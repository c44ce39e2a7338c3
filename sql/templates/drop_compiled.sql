-- Drops the compiled functions (schema step 0011) a synced table no longer
-- has a purpose for (its kind changed, e.g. an owner table made shared):
-- deleting the row drops the function (its trigger).
-- Placeholders: {table_name}, {purposes} (literals; {purposes} a text[]).
delete from supabase_sync.compiled_function
where relid = {table_name}::regclass and purpose <> all({purposes}::text[]);
