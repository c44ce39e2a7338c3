-- The signed-in user of the request, for the sync RPCs: auth.uid(), or 42501
-- (HTTP 401/403 through PostgREST) naming the function when the request
-- carries no user JWT, or acts as service_role (Supabase's default privileges
-- give it EXECUTE on the RPCs, but they act for one signed-in user: a service
-- key has no owner to sync for, issue 11.13). The RPCs call it first.
create or replace function supabase_sync.require_user(caller text)
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    uid uuid := auth.uid();
begin
    if current_user = 'service_role' or coalesce(auth.jwt() ->> 'role', '') = 'service_role' then
        raise exception using
            errcode = '42501',
            message = pg_catalog.format('supabase_sync: %s acts for a signed-in user, not service_role', caller),
            detail = 'The sync RPCs read and write the rows of auth.uid(); a service key has none.',
            hint = 'Call it with the access token of a signed-in user (role authenticated); '
            || 'server code acting for a user passes that user''s token.';
    end if;
    if uid is null then
        raise exception using
            errcode = '42501',
            message = pg_catalog.format('supabase_sync: %s needs a signed-in user', caller),
            detail = 'auth.uid() is null: the request carries no user JWT.',
            hint = 'Call it with the access token of a signed-in user (role authenticated).';
    end if;
    return uid;
end;
$$;

revoke all on function supabase_sync.require_user(text) from public, anon;
grant execute on function supabase_sync.require_user(text) to authenticated, service_role;

comment on function supabase_sync.require_user(text) is
'supabase-sync: auth.uid() of the request, or 42501 when it carries no user.';
