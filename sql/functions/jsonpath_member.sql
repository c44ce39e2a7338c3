-- A jsonpath member accessor for a key, `."<key>"` with `\` and `"` escaped, so
-- a push can read each row's id from the key named by the table's id column
-- (a table keyed by "order_no" sends `{"order_no": ...}`) with jsonpath, which
-- gathers the ids of an array in place (`strict $[*]."order_no"`) instead of
-- copying every row. The key comes from the registry (synced_table.id_column),
-- never from a client. plpgsql, not sql: a sql function with its own
-- search_path is not inlined and would be planned again on every call.
create or replace function supabase_sync.jsonpath_member(key text)
returns text
language plpgsql
immutable
parallel safe
security invoker
set search_path = ''
as $$
begin
    return '."' || pg_catalog.replace(pg_catalog.replace(key, '\', '\\'), '"', '\"') || '"';
end;
$$;

revoke all on function supabase_sync.jsonpath_member(text) from public, anon;
grant execute on function supabase_sync.jsonpath_member(text) to authenticated;

comment on function supabase_sync.jsonpath_member(text) is
'supabase-sync: the jsonpath accessor ."key" of a key (quoted), e.g. a table''s id column.';
