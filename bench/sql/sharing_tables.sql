-- The sharing benchmark's tables (bench/sharing.py): projects shared through a
-- membership table (enable --create-members writes it), and their tasks, a
-- scoped table with the same columns as public.bench_task plus project_id.
-- Run as the sandbox's owner role; enable adds triggers, policies and indexes.
create table public.bench_project (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null,
    name text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    deleted_at timestamptz,
    server_created_at timestamptz,
    server_updated_at timestamptz,
    server_version xid8,
    server_created_version xid8,
    instance_id uuid
);

create table public.bench_shared_task (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null,
    project_id uuid not null references public.bench_project (id) on delete cascade,
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
