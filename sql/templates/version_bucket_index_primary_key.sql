-- The index of version_bucket_index.sql, naming the table's primary key column
-- as the migration runs (written when enable cannot read the catalog).
-- Placeholders: {index_name_text}, {table_name} (literals), {primary_key_column}
-- (the name of the table's single-column primary key).
do $supabase_sync$
begin
    execute format(
        'create index if not exists %I on %s (server_version, (pg_catalog.hashtextextended(%I::text, 0) & 32767))',
        {index_name_text}, {table_name}::regclass, ({primary_key_column})
    );
end
$supabase_sync$;
