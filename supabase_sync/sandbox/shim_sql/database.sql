-- Supabase shim, database part: the objects every hosted Supabase database
-- has and that supabase-sync relies on. Run in each new database by a
-- superuser (or by the owner on a server that already has the roles), after
--     select set_config('supabase_sync_shim.owner_role', '<name>', false);
-- Idempotent.

create schema if not exists auth;
create schema if not exists extensions;

-- The extensions Supabase enables in every project, where this server has them
-- (the local and docker backends do; the embedded pgserver build has neither).
-- Without uuid-ossp, its one function migrations commonly call,
-- extensions.uuid_generate_v4(), is provided by PostgreSQL's own
-- gen_random_uuid(); pgcrypto's crypt(), gen_salt() and digest() have no
-- stand-in: a migration using them needs the local or docker backend.
do $shim$
begin
    if exists (select from pg_catalog.pg_available_extensions where name = 'pgcrypto') then
        create extension if not exists pgcrypto with schema extensions;
    end if;
    if exists (select from pg_catalog.pg_available_extensions where name = 'uuid-ossp') then
        create extension if not exists "uuid-ossp" with schema extensions;
    elsif to_regprocedure('extensions.uuid_generate_v4()') is null then
        create function extensions.uuid_generate_v4()
        returns uuid
        language sql
        volatile
        parallel safe
        set search_path = ''
        as 'select pg_catalog.gen_random_uuid()';
    end if;
end
$shim$;

-- A minimal auth.users: the columns apps and policies usually reference.
create table if not exists auth.users (
    instance_id uuid,
    id uuid not null default gen_random_uuid() primary key,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_anonymous boolean not null default false,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    deleted_at timestamptz
);

-- The JWT helpers, as Supabase Auth defines them: the claims come from the
-- request.jwt.claims setting PostgREST sets per request, or from the legacy
-- per-claim settings (request.jwt.claim.sub, ...) older PostgREST versions set.
create or replace function auth.uid()
returns uuid
language sql
stable
as $$
    select
        coalesce(
            nullif(current_setting('request.jwt.claim.sub', true), ''),
            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
$$;

create or replace function auth.role()
returns text
language sql
stable
as $$
    select
        coalesce(
            nullif(current_setting('request.jwt.claim.role', true), ''),
            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
        )::text
$$;

create or replace function auth.email()
returns text
language sql
stable
as $$
    select
        coalesce(
            nullif(current_setting('request.jwt.claim.email', true), ''),
            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
        )::text
$$;

create or replace function auth.jwt()
returns jsonb
language sql
stable
as $$
    select
        coalesce(
            nullif(current_setting('request.jwt.claim', true), ''),
            nullif(current_setting('request.jwt.claims', true), '')
        )::jsonb
$$;

grant usage on schema auth to anon, authenticated, service_role;
grant usage on schema extensions to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
to anon, authenticated, service_role;

do $shim$
declare
    owner_role text := current_setting('supabase_sync_shim.owner_role');
begin
    -- The owner owns public and may use (and reference) what auth offers,
    -- as hosted Supabase's "postgres" role does.
    execute format('alter schema public owner to %I', owner_role);
    execute format('grant usage on schema auth to %I', owner_role);
    execute format('grant all on all tables in schema auth to %I', owner_role);
    execute format(
        'grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to %I',
        owner_role
    );
    execute format('grant usage, create on schema extensions to %I', owner_role);

    -- What the owner creates in public is granted to the API roles; RLS
    -- policies, not grants, then decide who sees which rows.
    execute format(
        'alter default privileges for role %I in schema public '
        'grant all on tables to anon, authenticated, service_role',
        owner_role
    );
    execute format(
        'alter default privileges for role %I in schema public '
        'grant all on sequences to anon, authenticated, service_role',
        owner_role
    );
    execute format(
        'alter default privileges for role %I in schema public '
        'grant all on functions to anon, authenticated, service_role',
        owner_role
    );

    -- Realtime's publication, empty, owned by the owner so that
    -- "alter publication supabase_realtime add table ..." works for it.
    if not exists (
        select from pg_catalog.pg_publication where pubname = 'supabase_realtime'
    ) then
        create publication supabase_realtime;
    end if;
    execute format('alter publication supabase_realtime owner to %I', owner_role);
end
$shim$;

-- Supabase Storage's tables and SQL helpers, as migrations and policies use
-- them: buckets are rows of storage.buckets, files rows of storage.objects
-- (which the Storage API writes as the requesting user, under RLS), and
-- storage.foldername/filename/extension split an object's path. Skipped
-- where a storage schema already exists (the docker image's supabase/postgres
-- has the real one). Owned by supabase_storage_admin, as on hosted Supabase.
do $shim$
declare
    storage_owner text := coalesce(
        (select rolname from pg_catalog.pg_roles where rolname = 'supabase_storage_admin'),
        current_user
    );
begin
    if exists (select from pg_catalog.pg_namespace where nspname = 'storage') then
        return;
    end if;
    execute format('create schema storage authorization %I', storage_owner);

    create table storage.buckets (
        id text primary key,
        name text not null unique,
        owner uuid,
        owner_id text,
        public boolean default false,
        avif_autodetection boolean default false,
        file_size_limit bigint,
        allowed_mime_types text [],
        created_at timestamptz default now(),
        updated_at timestamptz default now()
    );

    create table storage.objects (
        id uuid primary key default gen_random_uuid(),
        bucket_id text references storage.buckets (id),
        name text,
        owner uuid,
        owner_id text,
        metadata jsonb,
        user_metadata jsonb,
        version text,
        path_tokens text [] generated always as (string_to_array(name, '/')) stored,
        created_at timestamptz default now(),
        updated_at timestamptz default now(),
        last_accessed_at timestamptz default now(),
        unique (bucket_id, name)
    );

    alter table storage.buckets enable row level security;
    alter table storage.objects enable row level security;

    -- The folders of an object's path ('user-id/photos/a.jpg' -> {user-id, photos}).
    create function storage.foldername(name text)
    returns text []
    language sql
    immutable
    set search_path = ''
    as $fn$
        select (pg_catalog.string_to_array(name, '/'))[
            1:pg_catalog.array_length(pg_catalog.string_to_array(name, '/'), 1) - 1
        ]
    $fn$;

    -- The last part of an object's path ('user-id/photos/a.jpg' -> 'a.jpg').
    create function storage.filename(name text)
    returns text
    language sql
    immutable
    set search_path = ''
    as $fn$
        select (pg_catalog.string_to_array(name, '/'))[
            pg_catalog.array_length(pg_catalog.string_to_array(name, '/'), 1)
        ]
    $fn$;

    -- The extension of an object's file name ('user-id/photos/a.jpg' -> 'jpg').
    create function storage.extension(name text)
    returns text
    language sql
    immutable
    set search_path = ''
    as $fn$
        select pg_catalog.reverse(pg_catalog.split_part(pg_catalog.reverse(storage.filename(name)), '.', 1))
    $fn$;

    execute format('alter table storage.buckets owner to %I', storage_owner);
    execute format('alter table storage.objects owner to %I', storage_owner);
    execute format('alter function storage.foldername(text) owner to %I', storage_owner);
    execute format('alter function storage.filename(text) owner to %I', storage_owner);
    execute format('alter function storage.extension(text) owner to %I', storage_owner);

    -- As on Supabase: the API roles may use the tables; RLS policies decide which rows.
    grant usage on schema storage to anon, authenticated, service_role;
    grant all on storage.buckets, storage.objects to anon, authenticated, service_role;
    grant execute on function storage.foldername(text), storage.filename(text), storage.extension(text)
    to anon, authenticated, service_role;
end
$shim$;
