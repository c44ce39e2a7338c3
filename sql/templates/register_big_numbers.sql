-- How pulls send the synced table's int8/numeric columns: number | string, or
-- null for the pack-wide default, meta big_numbers (enable --big-numbers).
-- Placeholders: {table_name}, {big_numbers} (literals; {big_numbers} may be null).
update supabase_sync.synced_table
set big_numbers = {big_numbers}
where relid = {table_name}::regclass and big_numbers is distinct from {big_numbers};
