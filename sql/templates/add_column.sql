-- Adds one sync column to a table when it is missing.
-- Placeholders: {table}, {column} (identifiers), {definition} (type and default).
alter table {table}
add column if not exists {column} {definition};
