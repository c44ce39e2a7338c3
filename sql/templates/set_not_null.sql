-- Makes a column NOT NULL (fails while a row holds null: fix those rows first).
-- Placeholders: {table}, {column} (identifiers).
alter table {table}
alter column {column} set not null;
