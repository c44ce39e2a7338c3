-- RPC for existing Drift clients (DESIGN 3.2 "seed-compatible wrappers"): the
-- sync_push core with the cursor carried as a timestamp (see pull_changes).
-- Returns the last_pulled_at it was given (the epoch when null), never a newer
-- cursor: a push must not move the client's cursor past changes it has not pulled.
create or replace function public.push_changes(_changes jsonb, last_pulled_at timestamptz)
returns timestamptz
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
    perform supabase_sync.require_user('push_changes');
    perform supabase_sync.apply_push(
        _changes,
        supabase_sync.cursor_from_timestamp(last_pulled_at, 'push_changes'),
        null,
        null,
        'push_changes'
    );
    return coalesce(last_pulled_at, pg_catalog.to_timestamp(0));
end;
$$;

revoke all on function public.push_changes(jsonb, timestamptz) from public, anon;
grant execute on function public.push_changes(jsonb, timestamptz) to authenticated;

comment on function public.push_changes(jsonb, timestamptz) is
'supabase-sync: Drift-compatible push; returns the cursor it was given, see docs/protocol.md.';
