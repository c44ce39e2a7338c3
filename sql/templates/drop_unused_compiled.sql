-- Drops the compiled functions (schema step 0011) of one table whose purpose
-- its kind no longer has (an owner table shared after it was compiled):
-- deleting the row drops the function (its trigger). Left behind, a key
-- function (security definer) would still answer as for an owner table.
-- Placeholders: {table_name} (literal), {purposes} (the purposes kept, a text[] literal).
delete from supabase_sync.compiled_function
where relid = {table_name}::regclass and not purpose = any({purposes}::text[]);
