-- Raises 22023 naming the first entry of `names` that is not a synced collection.
-- Names are compared with supabase_sync.synced_table.collection exactly
-- ("public.task"; the name the registry stores, as pulls compare it, schema
-- step 0004); they are never parsed or put into SQL text, so a hostile
-- name ("auth.users", "x; drop table y") can only fail the comparison.
create or replace function supabase_sync.check_collections(names text[], caller text)
returns void
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    unknown text;
    known text;
begin
    select requested.name into unknown
    from pg_catalog.unnest(names) with ordinality as requested (name, ord)
    where not exists (
        select from supabase_sync.synced_table as sc
        where sc.collection = requested.name
    )
    order by requested.ord
    limit 1;
    if not found then
        return;
    end if;
    select pg_catalog.string_agg(sc.collection, ', ' order by sc.collection) into known
    from supabase_sync.synced_table as sc;
    raise exception using
        errcode = '22023',
        message = pg_catalog.format(
            'supabase_sync: %s: %s is not a synced table',
            caller, coalesce(pg_catalog.quote_literal(pg_catalog.left(unknown, 200)), 'null')
        ),
        detail = 'Only tables enabled with `supabase-sync enable` can be pulled or pushed.',
        hint = coalesce(
            'Synced tables (use these exact keys): ' || known,
            'No table is enabled for sync yet: run `supabase-sync enable <schema.table>`.'
        );
end;
$$;

revoke all on function supabase_sync.check_collections(text[], text) from public, anon;
grant execute on function supabase_sync.check_collections(text[], text) to authenticated, service_role;

comment on function supabase_sync.check_collections(text[], text) is
'supabase-sync: raises 22023 for a collection name that is not a synced table.';
