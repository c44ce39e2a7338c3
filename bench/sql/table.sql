-- The benchmark's synced table: a to-do item as a mobile client would store
-- it, with every column the per-table contract requires (DESIGN 3.1) so that
-- `enable` only adds triggers, policies, the (owner, version) index and the
-- registry row. Run as the sandbox's owner role.
create table public.bench_task (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null,
    title text not null,
    notes text,
    priority integer not null default 0,
    done boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    deleted_at timestamptz,
    server_created_at timestamptz,
    server_updated_at timestamptz,
    server_version xid8,
    server_created_version xid8,
    instance_id uuid
);
