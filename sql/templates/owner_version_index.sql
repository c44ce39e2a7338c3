-- Serves incremental pulls: one user's rows changed after a version.
-- Placeholders: {index_name}, {table}, {owner_column} (identifiers).
create index if not exists {index_name}
on {table} ({owner_column}, server_version);
