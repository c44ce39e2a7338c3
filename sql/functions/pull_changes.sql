-- RPC for existing Drift clients (DESIGN 3.2 "seed-compatible wrappers"): the
-- sync_pull core, paged by meta default_page_size. These clients do not know
-- `has_more`: a bounded page with a cursor that loses nothing is what they
-- need, and their next sync continues from it. The cursor travels as a
-- timestamp: `timestamp` in the response is the cursor read as epoch
-- milliseconds, and `last_pulled_at` converts back exactly (epoch 0 or null:
-- everything). It is an opaque cursor in the shape of a time (a pack 2 cursor
-- is at least 2^47 ms, a date in the year 6429 or later: see encode_cursor).
create or replace function public.pull_changes(collections text[], last_pulled_at timestamptz)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    rows_per_page integer;
begin
    perform supabase_sync.require_user('pull_changes');
    select meta.value::integer into rows_per_page
    from supabase_sync.meta
    where meta.key = 'default_page_size';
    -- plpgsql, not sql: its body is resolved at call time, so the install may
    -- create the functions it calls after it (files apply in name order).
    return supabase_sync.pull_page(
        since => supabase_sync.cursor_from_timestamp(last_pulled_at, 'pull_changes'),
        collections => collections,
        client_id => null,
        page_size => coalesce(rows_per_page, 1000),
        caller => 'pull_changes',
        deletions_from_null => true
    ) - 'has_more';
end;
$$;

revoke all on function public.pull_changes(text[], timestamptz) from public, anon;
grant execute on function public.pull_changes(text[], timestamptz) to authenticated;

comment on function public.pull_changes(text[], timestamptz) is
'supabase-sync: Drift-compatible pull (paged, no has_more); the timestamp is an opaque cursor, see docs/protocol.md.';
