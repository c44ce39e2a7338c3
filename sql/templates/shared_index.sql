-- An index a shared table's policies and pulls need: (scope column,
-- server_version) on scoped tables, (scope, user) and (user) on membership
-- tables. Placeholders: {index_name}, {table} (identifiers), {columns} (a list
-- of identifiers).
create index if not exists {index_name}
on {table} ({columns});
