-- The one answer to "may this caller write this row" for a push (issue 11,
-- docs/protocol.md "Threat model"): a predicate on the row alias `alias` of
-- table `target`, as SQL text for push_upserts and push_deletes to put in
-- their statements. Today: the row's owner column is the caller. Sharing
-- (scoped tables, editor roles) replaces this function's body only; every
-- write path of a push takes its filter from here.
-- The owner column comes from the registry (pg_attribute names), never from a
-- client; `(select auth.uid())` is evaluated once per statement.
create or replace function supabase_sync.write_access_filter(target regclass, alias text)
returns text
language sql
stable
security invoker
set search_path = ''
as $$
    select pg_catalog.format('%I.%I = (select auth.uid())', alias, st.owner_column)
    from supabase_sync.synced_table as st
    where st.relid = target
$$;

revoke all on function supabase_sync.write_access_filter(regclass, text) from public, anon;
grant execute on function supabase_sync.write_access_filter(regclass, text) to authenticated;

comment on function supabase_sync.write_access_filter(regclass, text) is
'supabase-sync: the predicate that says which rows a push may write (one place, swapped by sharing).';
