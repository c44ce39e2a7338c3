-- AFTER DELETE (statement, transition table) trigger of every synced table:
-- records hard deletes so pulls report them. Arguments: id column, owner column.
-- Two keys (docs/protocol.md "Sharing (scopes)"):
--   a row of a scoped table with a scope   (relid, scope_id, row_id): the
--     scope row it was in; every user who sees that scope row is told, whoever
--     deleted it, and only a writer of that scope row can write such a key;
--   any other row                          (relid, owner_id, row_id): it
--     belongs to the owner of the deleted row, so another user deleting a row
--     with the same id writes a tombstone of its own and never rewrites what
--     this owner's devices are told (issue 11.2).
-- The table's kind and scope column come from the registry, once per
-- statement (trigger arguments were fixed before the scope existed).
-- SECURITY DEFINER because API roles cannot write tombstones themselves; trigger
-- functions cannot be called directly, and EXECUTE is revoked from everyone.
create or replace function supabase_sync.record_tombstone()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    scope_column name;
begin
    -- supabase-sync purge removes old rows without leaving new tombstones.
    if pg_catalog.current_setting('supabase_sync.purging', true) = 'on' then
        return null;
    end if;
    select st.scope_column into scope_column
    from supabase_sync.synced_table as st
    where st.relid = tg_relid and st.kind = 'scoped';

    insert into supabase_sync.tombstone (relid, row_id, owner_id, scope_id, version, instance_id, deleted_at)
    select
        tg_relid,
        deleted_row.doc ->> tg_argv[0],
        (deleted_row.doc ->> tg_argv[1])::uuid,
        null,
        pg_catalog.pg_current_xact_id(),
        nullif(pg_catalog.current_setting('supabase_sync.client_id', true), '')::uuid,
        pg_catalog.now()
    from (select pg_catalog.to_jsonb(old_rows) as doc from supabase_sync_deleted_rows as old_rows) as deleted_row
    where scope_column is null or deleted_row.doc ->> scope_column is null
    on conflict (relid, owner_id, row_id) where scope_id is null do update
        set
            version = excluded.version,
            instance_id = excluded.instance_id,
            deleted_at = excluded.deleted_at;

    if scope_column is null then
        return null;
    end if;
    insert into supabase_sync.tombstone (relid, row_id, owner_id, scope_id, version, instance_id, deleted_at)
    select
        tg_relid,
        deleted_row.doc ->> tg_argv[0],
        (deleted_row.doc ->> tg_argv[1])::uuid,
        deleted_row.doc ->> scope_column,
        pg_catalog.pg_current_xact_id(),
        nullif(pg_catalog.current_setting('supabase_sync.client_id', true), '')::uuid,
        pg_catalog.now()
    from (select pg_catalog.to_jsonb(old_rows) as doc from supabase_sync_deleted_rows as old_rows) as deleted_row
    where deleted_row.doc ->> scope_column is not null
    on conflict (relid, scope_id, row_id) where scope_id is not null do update
        set
            owner_id = excluded.owner_id,
            version = excluded.version,
            instance_id = excluded.instance_id,
            deleted_at = excluded.deleted_at;
    return null;
end;
$$;

revoke all on function supabase_sync.record_tombstone() from public;

comment on function supabase_sync.record_tombstone() is
'supabase-sync: records hard-deleted rows of a synced table as tombstones.';
