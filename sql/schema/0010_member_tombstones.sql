-- supabase-sync pack, schema step 0010 (pack 3): members read the tombstones of
-- the scope rows they see.
--
-- Since step 0007 a hard-deleted row of a scoped table leaves a tombstone keyed
-- by its scope row, owned by whoever owned the row. sync_push (security
-- invoker) checks an update of such a row against it (PT409, DESIGN 3.2: "or
-- hard-deleted since then"); under the owner-only policy of step 0002 a member
-- other than the row's owner could not see it, and the update silently
-- re-created the row. Members learn these ids from every pull anyway
-- (pull_keys), so reading them reveals nothing new; a tombstone of a scope row
-- the caller does not see (an outsider reusing the id) stays hidden.
-- The scope of the tombstone's table comes from the registry, per row: only the
-- push reads tombstones as the API role, a few ids at a time, through the
-- (relid, scope_id, row_id) key.
-- The policy asks supabase_sync.visible_scopes (sql/functions/visible_scopes.sql),
-- which a fresh install creates after the schema steps: declared here with the
-- same signature (an empty answer), replaced by that file in the same install.
do $$
begin
    if pg_catalog.to_regprocedure('supabase_sync.visible_scopes(regclass, text)') is null then
        create function supabase_sync.visible_scopes(scope regclass, at_least text default 'viewer')
        returns text[]
        language sql
        stable
        set search_path = ''
        as 'select ''{}''::text[]';
        revoke all on function supabase_sync.visible_scopes(regclass, text) from public;
    end if;
end
$$;

drop policy if exists "supabase_sync: members read their scope rows' tombstones" on supabase_sync.tombstone;

create policy "supabase_sync: members read their scope rows' tombstones"
on supabase_sync.tombstone
for select
to authenticated
using (
    scope_id is not null
    and exists (
        select from supabase_sync.synced_table as st
        where st.relid = tombstone.relid and tombstone.scope_id = any(supabase_sync.visible_scopes(st.scope))
    )
);
