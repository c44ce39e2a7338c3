-- Serves the pulls of a user who sees many scope rows of a scoped table: the
-- table's rows in position order, (server_version, bucket) with bucket =
-- hashtextextended(id::text, 0) & 32767 (the order supabase_sync.pull_keys
-- pages by), whatever their scope row. pull_keys reads one limited range of
-- it, keeping the rows of the caller's scope rows, instead of one range of the
-- (scope column, server_version, bucket) index per visible scope row.
-- An expression index: building it never rewrites the table.
-- Placeholders: {index_name}, {table}, {id_column} (identifiers).
create index if not exists {index_name}
on {table} (server_version, (pg_catalog.hashtextextended({id_column}::text, 0) & 32767));
