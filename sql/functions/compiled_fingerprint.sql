-- What a table's compiled functions (schema step 0011) were rendered from, as
-- one text: the table's current name (its regclass text: a rename or a move to
-- another schema changes it), the registry facts the templates use (kind,
-- owner and id columns; a scoped table's scope table and scope column) and
-- supabase_sync.catalog_fingerprint (columns with
-- their types, defaults, foreign keys). A compiled function is used only while
-- the fingerprint recorded with it equals this. Cost: one registry probe by
-- key and catalog_fingerprint's three index probes, whatever the size of the
-- catalog; null for a table that is not registered.
create or replace function supabase_sync.compiled_fingerprint(target regclass)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    facts text;
begin
    select pg_catalog.concat_ws('|', st.relid::text, st.kind, st.owner_column, st.id_column, st.scope::text, st.scope_column)
    into facts
    from supabase_sync.synced_table as st
    where st.relid = target;
    if facts is null then
        return null;
    end if;
    return facts || '|' || supabase_sync.catalog_fingerprint(target);
end;
$$;

revoke all on function supabase_sync.compiled_fingerprint(regclass) from public, anon;
grant execute on function supabase_sync.compiled_fingerprint(regclass) to authenticated, service_role;

comment on function supabase_sync.compiled_fingerprint(regclass) is
'supabase-sync: what a table''s compiled functions depend on (name, registry facts, catalog_fingerprint).';
