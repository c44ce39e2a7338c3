-- Serves incremental pulls: one user's rows in position order, (version,
-- bucket) with bucket = hashtextextended(id::text, 0) & 32767 (the expression
-- supabase_sync.pull_keys orders by; docs/protocol.md "Cursor"). An expression
-- index, not a stored column: building it never rewrites the table.
-- Placeholders: {index_name}, {table}, {owner_column}, {id_column} (identifiers).
create index if not exists {index_name}
on {table} ({owner_column}, server_version, (pg_catalog.hashtextextended({id_column}::text, 0) & 32767));
