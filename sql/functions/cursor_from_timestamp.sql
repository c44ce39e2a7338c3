-- The Drift-compatible wrappers carry the xid cursor as a timestamptz whose epoch
-- milliseconds are the cursor (to_timestamp(cursor / 1000.0) on the client side).
-- Microsecond precision holds it exactly; null and the epoch mean "everything".
-- A value below 2^47 (a pack 1 cursor's range) above the current xmax cannot be
-- one of our cursors: it is the wall-clock time a hand-written function gave a
-- client before the upgrade (or a cursor of another database). Old clients know no PT410, so it means
-- "everything" here: their next pull is a full resync that hands them a real
-- cursor, and their push skips the conflict check the old functions never had.
create or replace function supabase_sync.cursor_from_timestamp(last_pulled_at timestamptz, caller text)
returns bigint
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    milliseconds numeric;
begin
    if last_pulled_at is null then
        return null;
    end if;
    if not pg_catalog.isfinite(last_pulled_at) then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('supabase_sync: %s: last_pulled_at %s is not a cursor', caller, last_pulled_at),
            detail = 'The cursor is the `timestamp` (epoch milliseconds) returned by the last pull.',
            hint = 'Send back the `timestamp` of your last pull, or null to pull everything.';
    end if;
    milliseconds := pg_catalog.round(extract(epoch from last_pulled_at) * 1000);
    if milliseconds = 0 then
        return null;
    end if;
    if milliseconds < 0 or milliseconds > 9007199254740992 then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('supabase_sync: %s: last_pulled_at %s is out of range', caller, last_pulled_at),
            detail = 'The cursor is the `timestamp` (epoch milliseconds) returned by the last pull.',
            hint = 'Send back the `timestamp` of your last pull, or null to pull everything.';
    end if;
    if milliseconds < 140737488355328
        and milliseconds::text::xid8 > pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()) then
        return null;
    end if;
    return milliseconds::bigint;
end;
$$;

revoke all on function supabase_sync.cursor_from_timestamp(timestamptz, text) from public, anon;
grant execute on function supabase_sync.cursor_from_timestamp(timestamptz, text) to authenticated;

comment on function supabase_sync.cursor_from_timestamp(timestamptz, text) is
'supabase-sync: the xid cursor carried as a timestamptz (epoch ms) by the Drift-compatible wrappers.';
