-- Serves the rows of a scope row in bucket order (bucket =
-- hashtextextended(id::text, 0) & 32767, the expression
-- supabase_sync.pull_keys orders by): the rows of a scope row the caller
-- gained sit at one version (the gain's) in bucket order, and rows below the
-- horizon at the horizon in bucket order, which the (scope column,
-- server_version, bucket) index cannot return in order. An expression index:
-- building it never rewrites the table.
-- Placeholders: {index_name}, {table}, {scope_column}, {id_column} (identifiers).
create index if not exists {index_name}
on {table} ({scope_column}, (pg_catalog.hashtextextended({id_column}::text, 0) & 32767));
