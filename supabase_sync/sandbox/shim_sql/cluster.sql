-- Supabase shim, cluster part: the roles a hosted Supabase project has.
-- Run once per cluster by a superuser, after
--     select set_config('supabase_sync_shim.owner_role', '<name>', false);
-- which names the project's non-superuser owner role (hosted Supabase calls
-- it "postgres"). Idempotent: every statement checks before it creates.

do $shim$
declare
    owner_role text := current_setting('supabase_sync_shim.owner_role');
begin
    -- The API roles PostgREST switches to; none of them can log in.
    if not exists (select from pg_catalog.pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;

    -- The role that owns Supabase Storage's schema; hosted Supabase grants it
    -- to the project owner, which is how migrations create policies on
    -- storage.objects.
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_storage_admin') then
        create role supabase_storage_admin nologin noinherit;
    end if;

    -- The role PostgREST logs in as; it may only become one of the API roles.
    if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
        create role authenticator login noinherit;
    end if;
    grant anon, authenticated, service_role to authenticator;

    -- The project owner: what migrations and installs run as. Never a
    -- superuser, exactly like hosted Supabase's "postgres" role.
    if exists (
        select from pg_catalog.pg_roles
        where rolname = owner_role and rolsuper
    ) then
        raise exception 'supabase_sync: the owner role % is a superuser', owner_role
        using
            errcode = '22023',
            detail = 'The sandbox needs a non-superuser owner, as on hosted Supabase.',
            hint = 'Choose another owner role name or connect as another superuser.';
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = owner_role) then
        execute format('create role %I login', owner_role);
    end if;
    execute format(
        'alter role %I login createrole createdb bypassrls nosuperuser',
        owner_role
    );
    -- The owner may act as the API roles (PostgREST's SET ROLE, and the
    -- supabase_sync.rpc helper that reproduces it).
    execute format(
        'grant anon, authenticated, service_role to %I', owner_role
    );
    execute format('grant supabase_storage_admin to %I', owner_role);
end
$shim$;

-- What Supabase configures on the API roles.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set "pgrst.db_schemas" = 'public, graphql_public';
