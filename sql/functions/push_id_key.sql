-- The key of a pushed row's id for one collection of a push: the name of the
-- table's id column (synced_table.id_column, e.g. "order_no"), as pulls
-- deliver rows. A name that is not a synced collection gets "id", so the shape
-- check (which runs before the allow-list, DESIGN 3.2) still reads its
-- entries; the allow-list then rejects the name. The collection is only
-- compared with the registry, never put into SQL text. plpgsql, so its
-- statement's plan is cached for the session (see jsonpath_member).
create or replace function supabase_sync.push_id_key(collection text)
returns text
language plpgsql
stable
parallel safe
security invoker
set search_path = ''
as $$
begin
    return coalesce(
        (select st.id_column::text from supabase_sync.synced_table as st where st.collection = push_id_key.collection),
        'id'
    );
end;
$$;

revoke all on function supabase_sync.push_id_key(text) from public, anon;
grant execute on function supabase_sync.push_id_key(text) to authenticated;

comment on function supabase_sync.push_id_key(text) is
'supabase-sync: the key of a pushed row''s id in one collection (the table''s id column).';
