-- Creates a membership table (enable --create-members): one row per (scope row,
-- user), with the sync columns, so enable then only adds triggers, policies and
-- indexes. granted_by is its owner column (who wrote the row; sync_push forces
-- it to the caller). Placeholders: {table}, {scope_table}, {scope_id_column},
-- {scope_column}, {unique_name} (identifiers), {scope_id_type} (a type).
create table if not exists {table} (
    id uuid primary key default gen_random_uuid(),
    {scope_column} {scope_id_type} not null references {scope_table} ({scope_id_column}) on delete cascade,
    user_id uuid not null references auth.users (id) on delete cascade,
    role text not null default 'editor' check (role in ('viewer', 'editor', 'admin')),
    granted_by uuid not null default auth.uid(),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    deleted_at timestamptz,
    server_created_at timestamptz not null default now(),
    server_updated_at timestamptz not null default now(),
    server_version xid8 not null default pg_current_xact_id(),
    server_created_version xid8 not null default pg_current_xact_id(),
    instance_id uuid,
    constraint {unique_name} unique ({scope_column}, user_id)
);
