-- Validates a client cursor (the `timestamp` of an earlier pull) and returns it
-- as the xid8 it stands for; null stays null ("everything").
--   22023  negative, or beyond 2^53 (JavaScript clients cannot hold it exactly)
--   PT410  newer than any transaction of this database (a cursor from another
--          database, or from before a restore), or, when `check_horizon`, older
--          than the retention horizon (tombstones it relies on were purged):
--          the client must resync with a null cursor.
create or replace function supabase_sync.check_cursor(since bigint, caller text, check_horizon boolean)
returns xid8
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    horizon xid8;
begin
    if since is null then
        return null;
    end if;
    if since < 0 or since >= 9007199254740992 then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('supabase_sync: %s: last_pulled_at %s is out of range', caller, since),
            detail = 'A cursor is the `timestamp` returned by a pull: a non-negative integer below 2^53.',
            hint = 'Send back the `timestamp` of your last pull unchanged, or null to pull everything.';
    end if;
    if since::text::xid8 > pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()) then
        raise exception using
            errcode = 'PT410',
            message = 'supabase_sync: cursor too old, full resync required',
            detail = pg_catalog.format(
                'last_pulled_at %s is ahead of this database: it comes from another database '
                'or from before a restore.', since
            ),
            hint = 'Discard the local cursor and pull again with last_pulled_at null.';
    end if;
    if not check_horizon then
        return since::text::xid8;
    end if;
    select meta.value::xid8 into horizon
    from supabase_sync.meta
    where meta.key = 'retention_horizon';
    if since::text::xid8 < coalesce(horizon, '0'::xid8) then
        raise exception using
            errcode = 'PT410',
            message = 'supabase_sync: cursor too old, full resync required',
            detail = pg_catalog.format(
                'last_pulled_at %s is older than the retention horizon %s: deletions since then '
                'were purged (or a synced table was truncated).', since, horizon
            ),
            hint = 'Discard the local cursor and pull again with last_pulled_at null.';
    end if;
    return since::text::xid8;
end;
$$;

revoke all on function supabase_sync.check_cursor(bigint, text, boolean) from public, anon;
grant execute on function supabase_sync.check_cursor(bigint, text, boolean) to authenticated, service_role;

comment on function supabase_sync.check_cursor(bigint, text, boolean) is
'supabase-sync: validates a pull cursor; raises 22023 or PT410 (full resync required).';
