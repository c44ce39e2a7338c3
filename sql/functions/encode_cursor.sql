-- The cursor a pull returns for a position (version, bucket): 2^47 + version *
-- 2^15 + bucket (docs/protocol.md "Cursor"). Always at least 2^47, so it is
-- above every pack 1 cursor (an xid, far below 2^47: cursors never decrease
-- across the upgrade), and below 2^53 (exact in a JavaScript number) while
-- version < 2^38 - 2^32; beyond, 54000 rather than a wrong cursor. Read as
-- epoch milliseconds by the Drift wrappers it is a date in the year 6429 or
-- later: four-digit years (Python, ISO 8601) until xid 3.4 billion, Dart's and
-- JavaScript's DateTime until the last encodable xid.
create or replace function supabase_sync.encode_cursor(version xid8, bucket integer)
returns bigint
language plpgsql
immutable
security invoker
set search_path = ''
as $$
begin
    if version >= '270582939648'::xid8 then
        raise exception using
            errcode = '54000',
            message = pg_catalog.format('supabase_sync: transaction id %s is too large for a cursor', version),
            detail = 'A cursor holds transaction ids below 2^38 - 2^32 so that it stays below 2^53.',
            hint = 'See docs/protocol.md "Cursor": this database has used more transaction ids than cursors can hold.';
    end if;
    return 140737488355328 + (version::text::bigint << 15) + bucket;
end;
$$;

revoke all on function supabase_sync.encode_cursor(xid8, integer) from public, anon;
grant execute on function supabase_sync.encode_cursor(xid8, integer) to authenticated;

comment on function supabase_sync.encode_cursor(xid8, integer) is
'supabase-sync: the cursor (below 2^53) of a pull position (version, bucket).';
