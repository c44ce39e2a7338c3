-- Row level security on the synced table. Placeholder: {table}.
alter table {table} enable row level security;
