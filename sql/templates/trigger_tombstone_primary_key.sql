-- Records hard deletes as tombstones, naming the table's primary key column as
-- the migration runs (written when enable cannot read the catalog).
-- Placeholders: {table_name}, {owner_column_name} (literals), {primary_key_column}
-- (the name of the table's single-column primary key).
do $supabase_sync$
begin
    execute format(
        'create or replace trigger supabase_sync_tombstone'
        ' after delete on %s'
        ' referencing old table as supabase_sync_deleted_rows'
        ' for each statement execute function supabase_sync.record_tombstone(%L, %L)',
        {table_name}::regclass, ({primary_key_column}), {owner_column_name}
    );
end
$supabase_sync$;
