-- Whether a pull of a scoped table reads one range of the table's
-- (server_version, bucket) index first (supabase_sync.pull_keys, docs/protocol.md
-- "Sharing (scopes)", cost): when the caller sees more scope rows than a
-- quarter of the page's row_limit, one range per visible scope row would read
-- up to row_limit entries of each. The compiled scoped key functions hand such
-- calls to pull_keys by the same rule. False for a null row_limit (one bucket
-- of one version, read whole).
create or replace function supabase_sync.reads_one_range(scope_rows integer, row_limit integer)
returns boolean
language sql
immutable
security invoker
set search_path = ''
as $$
    select coalesce(scope_rows * 4 > row_limit, false);
$$;

revoke all on function supabase_sync.reads_one_range(integer, integer) from public, anon;
grant execute on function supabase_sync.reads_one_range(integer, integer) to authenticated;

comment on function supabase_sync.reads_one_range(integer, integer) is
'supabase-sync: whether a scoped pull reads one range of the (server_version, bucket) index first.';
