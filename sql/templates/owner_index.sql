-- Serves the owner policies of a table secured by hand (not synced): every API
-- request filters by the owner column. Placeholders: {index_name}, {table},
-- {owner_column} (identifiers).
create index if not exists {index_name}
on {table} ({owner_column});
