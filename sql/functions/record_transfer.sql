-- AFTER UPDATE OF <owner column> trigger (for each row, when the owner changes)
-- of every synced table: a row leaving its owner (service_role moving it from
-- A to B) reaches A's devices as `deleted` (issue 11.7), through a tombstone
-- of A's, keyed (relid, owner_id, row_id) like the hard deletes'. The new
-- owner gets the row as a change (stamp_row gave it a new version). If the
-- row ever comes back to A, pull_keys hides the tombstone (the row lives
-- again for A). The id column is read from the registry: trigger arguments
-- would have to name it before a blind migration knows it.
-- A scoped table's owner column says who created the row, not who sees it
-- (its scope column does, and moves are access events): no tombstone there.
-- SECURITY DEFINER because the writer (service_role, an admin) need not be
-- able to write tombstones; EXECUTE is revoked from everyone.
create or replace function supabase_sync.record_transfer()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    registered record;
    doc jsonb := pg_catalog.to_jsonb(old);
begin
    select st.id_column, st.owner_column into registered
    from supabase_sync.synced_table as st
    where st.relid = tg_relid and st.kind <> 'scoped';
    if not found or doc ->> registered.owner_column is null then
        return null;
    end if;
    insert into supabase_sync.tombstone (relid, row_id, owner_id, version, instance_id, deleted_at)
    values (
        tg_relid,
        doc ->> registered.id_column,
        (doc ->> registered.owner_column)::uuid,
        pg_catalog.pg_current_xact_id(),
        nullif(pg_catalog.current_setting('supabase_sync.client_id', true), '')::uuid,
        pg_catalog.now()
    )
    on conflict (relid, owner_id, row_id) where scope_id is null do update
        set
            version = excluded.version,
            instance_id = excluded.instance_id,
            deleted_at = excluded.deleted_at;
    return null;
end;
$$;

revoke all on function supabase_sync.record_transfer() from public;

comment on function supabase_sync.record_transfer() is
'supabase-sync: a row moved to another owner is reported as deleted to its former owner.';
