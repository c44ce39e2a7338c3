-- AFTER DELETE (statement, transition table) trigger of every synced table:
-- records hard deletes so pulls report them. Arguments: id column, owner column.
-- A tombstone is keyed by (relid, owner_id, row_id): it belongs to the owner of
-- the deleted row, so another user deleting a row with the same id writes a
-- tombstone of its own and never rewrites what this owner's devices are told.
-- SECURITY DEFINER because API roles cannot write tombstones themselves; trigger
-- functions cannot be called directly, and EXECUTE is revoked from everyone.
create or replace function supabase_sync.record_tombstone()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- supabase-sync purge removes old rows without leaving new tombstones.
    if current_setting('supabase_sync.purging', true) = 'on' then
        return null;
    end if;
    insert into supabase_sync.tombstone (relid, row_id, owner_id, version, instance_id, deleted_at)
    select
        tg_relid,
        deleted_row.doc ->> tg_argv[0],
        (deleted_row.doc ->> tg_argv[1])::uuid,
        pg_current_xact_id(),
        nullif(current_setting('supabase_sync.client_id', true), '')::uuid,
        now()
    from (select to_jsonb(old_rows) as doc from supabase_sync_deleted_rows as old_rows) as deleted_row
    on conflict (relid, owner_id, row_id) do update
        set version = excluded.version,
            instance_id = excluded.instance_id,
            deleted_at = excluded.deleted_at;
    return null;
end;
$$;

revoke all on function supabase_sync.record_tombstone() from public;

comment on function supabase_sync.record_tombstone() is
'supabase-sync: records hard-deleted rows of a synced table as tombstones.';
