-- Supabase shim, database part: the objects every hosted Supabase database
-- has and that supabase-sync relies on. Run in each new database by a
-- superuser (or by the owner on a server that already has the roles), after
--     select set_config('supabase_sync_shim.owner_role', '<name>', false);
-- Idempotent.

create schema if not exists auth;
create schema if not exists extensions;

-- The extensions Supabase enables in every project, where this server has them.
do $shim$
begin
    if exists (select from pg_catalog.pg_available_extensions where name = 'pgcrypto') then
        create extension if not exists pgcrypto with schema extensions;
    end if;
    if exists (select from pg_catalog.pg_available_extensions where name = 'uuid-ossp') then
        create extension if not exists "uuid-ossp" with schema extensions;
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
