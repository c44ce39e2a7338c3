-- RPC: applies a client's changes in one transaction (DESIGN 3.2, docs/protocol.md).
-- Returns {"applied": ..., "conflicts": [...], "ignored": ..., "ignored_columns": ...};
-- no cursor: the client keeps the cursor of its last pull.
create or replace function public.sync_push(
    changes jsonb,
    last_pulled_at bigint default null,
    push_id uuid default null,
    client_id uuid default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
    perform supabase_sync.require_user('sync_push');
    return supabase_sync.apply_push(changes, last_pulled_at, push_id, client_id, 'sync_push');
end;
$$;

revoke all on function public.sync_push(jsonb, bigint, uuid, uuid) from public, anon;
grant execute on function public.sync_push(jsonb, bigint, uuid, uuid) to authenticated;

comment on function public.sync_push(jsonb, bigint, uuid, uuid) is
'supabase-sync: push the caller''s created/updated/deleted rows; see docs/protocol.md.';
