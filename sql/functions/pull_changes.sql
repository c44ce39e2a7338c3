-- RPC for existing Drift clients (DESIGN 3.2 "seed-compatible wrappers"): the
-- sync_pull core without paging (these clients do not know `has_more`). The
-- cursor travels as a timestamp: `timestamp` in the response is the xid cursor
-- read as epoch milliseconds, and `last_pulled_at` converts back exactly
-- (epoch 0 or null: everything). It is an opaque cursor in the shape of a time.
create or replace function public.pull_changes(collections text[], last_pulled_at timestamptz)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
    perform supabase_sync.require_user('pull_changes');
    -- plpgsql, not sql: its body is resolved at call time, so the install may
    -- create the functions it calls after it (files apply in name order).
    return supabase_sync.pull_page(
        supabase_sync.cursor_from_timestamp(last_pulled_at, 'pull_changes'),
        collections,
        null,
        null,
        'pull_changes'
    ) - 'has_more';
end;
$$;

revoke all on function public.pull_changes(text[], timestamptz) from public, anon;
grant execute on function public.pull_changes(text[], timestamptz) to authenticated;

comment on function public.pull_changes(text[], timestamptz) is
'supabase-sync: Drift-compatible pull (no paging); the timestamp is an opaque cursor, see docs/protocol.md.';
