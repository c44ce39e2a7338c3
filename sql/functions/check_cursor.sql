-- Validates a client cursor (the `timestamp` of an earlier pull) and returns the
-- position it stands for (docs/protocol.md "Cursor"):
--   since < 2^47         a pack 1 cursor, an xid8 watermark: position (since, 0)
--   2^47 <= since < 2^53 K = since - 2^47: position (K >> 15, K & 32767); every
--                        row at a position below it was delivered
-- null stays null ("everything"). Raises
--   22023  negative, or beyond 2^53 (JavaScript clients cannot hold it exactly)
--   PT410  ahead of this database's transactions on a primary (a cursor from
--          another database, or from before a restore); or below the retention
--          horizon of one of `collections` (null: every synced table): the
--          deletions it relies on were purged, or the table was truncated.
-- On a hot standby a cursor ahead of replay is not an error: `ahead` says so
-- and the pull answers "nothing new yet" (the primary wrote it; replay has not
-- reached it). Pushes use `version` only (a position rounded down: a row of
-- that version counts as changed after the cursor, which is safe for conflicts).
create or replace function supabase_sync.check_cursor(
    since bigint,
    caller text,
    collections text[],
    out version xid8,
    out bucket integer,
    out ahead boolean
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    truncated text;
begin
    ahead := false;
    if since is null then
        return;
    end if;
    if since < 0 or since >= 9007199254740992 then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('supabase_sync: %s: last_pulled_at %s is out of range', caller, since),
            detail = 'A cursor is the `timestamp` returned by a pull: a non-negative integer below 2^53.',
            hint = 'Send back the `timestamp` of your last pull unchanged, or null to pull everything.';
    end if;
    if since < 140737488355328 then
        version := since::text::xid8;
        bucket := 0;
    else
        version := ((since - 140737488355328) >> 15)::text::xid8;
        bucket := ((since - 140737488355328) & 32767)::integer;
    end if;
    if version > pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()) then
        if pg_catalog.pg_is_in_recovery() then
            ahead := true;
            return;
        end if;
        raise exception using
            errcode = 'PT410',
            message = 'supabase_sync: cursor too old, full resync required',
            detail = pg_catalog.format(
                'last_pulled_at %s is ahead of this database: it comes from another database '
                'or from before a restore.', since
            ),
            hint = 'Discard the local cursor and pull again with last_pulled_at null.';
    end if;
    select st.collection into truncated
    from supabase_sync.synced_table as st
    where (collections is null or st.collection = any(collections)) and st.horizon > version
    order by st.horizon desc
    limit 1;
    if found then
        raise exception using
            errcode = 'PT410',
            message = 'supabase_sync: cursor too old, full resync required',
            detail = pg_catalog.format(
                'last_pulled_at %s is older than the retention horizon of %s: deletions since then '
                'were purged (or the table was truncated).', since, truncated
            ),
            hint = 'Discard the local cursor and pull again with last_pulled_at null.';
    end if;
end;
$$;

revoke all on function supabase_sync.check_cursor(bigint, text, text[]) from public, anon;
grant execute on function supabase_sync.check_cursor(bigint, text, text[]) to authenticated, service_role;

comment on function supabase_sync.check_cursor(bigint, text, text[]) is
'supabase-sync: decodes and validates a cursor; raises 22023 or PT410 (full resync required).';
