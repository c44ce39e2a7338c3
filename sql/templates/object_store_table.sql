-- The generic object store (Realm's "plan B" backend): one row per object of any
-- model, owned by a user, its fields as a JSON object. Created unless a table of
-- that name exists; enable then adds the sync columns (updated_at is the
-- object's modify_at, compared by the lww strategy), triggers, policies and index.
-- Placeholders: {table}, {owner_column} (identifiers).
create table if not exists {table} (
    id text primary key check (length(id) between 1 and 200),
    {owner_column} uuid not null default auth.uid() references auth.users (id) on delete cascade,
    model text not null check (length(model) between 1 and 200),
    data jsonb not null default '{{}}' check (jsonb_typeof(data) = 'object')
);
