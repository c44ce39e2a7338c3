-- RPC: the caller's changes since `last_pulled_at`, one page at a time
-- (DESIGN 3.2, docs/protocol.md). The response's `timestamp` is the cursor to
-- send back; `has_more` says another page is waiting right away.
create or replace function public.sync_pull(
    last_pulled_at bigint default null,
    collections text[] default null,
    client_id uuid default null,
    page_size integer default null
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    rows_per_page integer := page_size;
begin
    perform supabase_sync.require_user('sync_pull');
    if rows_per_page is null then
        select meta.value::integer into rows_per_page
        from supabase_sync.meta
        where meta.key = 'default_page_size';
        rows_per_page := coalesce(rows_per_page, 1000);
    end if;
    if rows_per_page < 1 or rows_per_page > 100000 then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('supabase_sync: sync_pull: page_size %s is out of range', rows_per_page),
            detail = 'A page holds between 1 and 100000 rows.',
            hint = 'Leave page_size null for the default (meta default_page_size) or pass 1..100000.';
    end if;
    return supabase_sync.pull_page(
        since => last_pulled_at, collections => collections, client_id => client_id,
        page_size => rows_per_page, caller => 'sync_pull', deletions_from_null => false
    );
end;
$$;

revoke all on function public.sync_pull(bigint, text[], uuid, integer) from public, anon;
grant execute on function public.sync_pull(bigint, text[], uuid, integer) to authenticated;

comment on function public.sync_pull(bigint, text[], uuid, integer) is
'supabase-sync: pull the caller''s changes since a cursor, paged; see docs/protocol.md.';
