-- Drops one server-maintained sync column. Placeholders: {table}, {column} (identifiers).
alter table {table} drop column if exists {column};
