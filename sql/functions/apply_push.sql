-- The core of sync_push and push_changes (DESIGN 3.2, docs/protocol.md). One
-- transaction: any error rolls back everything, so a failed push changes nothing.
-- Checks in order: caller, shape and size, table allow-list, cursor, push_id
-- replay, then per table (dependency order) ownership and conflicts while
-- writing, deletes in reverse order, and finally the reject conflicts (PT409).
-- push_id: the log keeps a digest of the payload (sha256 of the canonical jsonb
-- text, which orders keys), so a retry is recognised and the same push_id
-- with a different payload is an error naming it (issue 11.11), never a
-- silent drop of the new changes.
-- Ids are compared by the id column's type before created and updated are
-- merged: one uuid in two letter cases is one row (issue 11.12). A row's id is
-- the value of the table's id column (a table keyed by order_no sends
-- {"order_no": ...}), as pulls deliver rows; a deleted entry is an id or a row.
create or replace function supabase_sync.apply_push(
    changes jsonb,
    since bigint,
    push_id uuid,
    client_id uuid,
    caller text
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
    uid uuid := supabase_sync.require_user(caller);
    since_version xid8;
    stored jsonb;
    tbl record;
    delete_ids text[];
    result jsonb;
    applied jsonb := '{}'::jsonb;
    conflicts jsonb := '[]'::jsonb;
    rejected jsonb := '{}'::jsonb;
    ignored jsonb := '{}'::jsonb;
    ignored_columns jsonb := '{}'::jsonb;
    response jsonb;
    digest text;
    stored_digest text;
    table_changes jsonb;
begin
    perform supabase_sync.check_push_shape(changes, caller);
    perform supabase_sync.check_collections(array(select pg_catalog.jsonb_object_keys(changes)), caller);
    since_version := (supabase_sync.check_cursor(
        since => since, caller => caller, collections => array(select pg_catalog.jsonb_object_keys(changes))
    )).version;

    if push_id is not null then
        digest := pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(changes::text, 'UTF8')), 'hex');
        -- Serializes retries of one push: the second waits, then finds the log row.
        perform pg_catalog.pg_advisory_xact_lock(
            pg_catalog.hashtextextended('supabase_sync.push:' || uid::text || ':' || push_id::text, 0)
        );
        select pl.response, pl.payload_digest into stored, stored_digest
        from supabase_sync.push_log as pl
        where pl.user_id = uid and pl.push_id = apply_push.push_id;
        if found then
            if stored_digest is not null and stored_digest <> digest then
                raise exception using
                    errcode = '22023',
                    message = pg_catalog.format(
                        'supabase_sync: %s: push_id %s was already used for a different push', caller, push_id
                    ),
                    detail = 'A push_id names one push: its retries must send the same changes. '
                    || 'The earlier push stays applied; these changes were not.',
                    hint = 'Send new changes with a new push_id (e.g. a fresh UUID per push).';
            end if;
            return stored;
        end if;
    end if;

    -- stamp_row copies it into instance_id of every row this push writes.
    perform pg_catalog.set_config('supabase_sync.client_id', coalesce(client_id::text, ''), true);

    for tbl in
        select sc.relid, sc.collection, sc.id_column, sc.id_type
        from supabase_sync.synced_table as sc
        where changes ? sc.collection
        order by sc.dependency_rank, sc.collection
    loop
        select coalesce(pg_catalog.array_agg(distinct coalesce(d.value ->> tbl.id_column, d.value #>> '{}')), '{}')
        into delete_ids
        from pg_catalog.jsonb_array_elements(
            case
                when pg_catalog.jsonb_typeof(changes -> tbl.collection -> 'deleted') = 'array'
                    then changes -> tbl.collection -> 'deleted'
                else '[]'::jsonb
            end
        ) as d (value);

        table_changes := supabase_sync.canonical_push_ids(changes -> tbl.collection, tbl.id_type, tbl.id_column);
        result := supabase_sync.push_upserts(
            tbl.relid,
            supabase_sync.merge_push_rows(table_changes, tbl.id_column),
            delete_ids,
            since_version,
            client_id,
            caller
        );
        applied := applied || pg_catalog.jsonb_build_object(
            tbl.collection,
            pg_catalog.jsonb_build_object('created', result -> 'created', 'updated', result -> 'updated', 'deleted', 0)
        );
        if pg_catalog.jsonb_array_length(result -> 'conflicts') > 0 then
            rejected := rejected || pg_catalog.jsonb_build_object(tbl.collection, result -> 'conflicts');
        end if;
        select conflicts || coalesce(pg_catalog.jsonb_agg(
            pg_catalog.jsonb_build_object('table', tbl.collection, 'id', lost.id, 'reason', 'server row is newer')
        ), '[]'::jsonb) into conflicts
        from pg_catalog.jsonb_array_elements_text(result -> 'lost') as lost (id);
        -- A row the caller may not write (an id taken by a row it cannot see,
        -- e.g. re-created by another user after the caller deleted it) is, to
        -- this caller, a row deleted on the server: the device drops it.
        select conflicts || coalesce(pg_catalog.jsonb_agg(
            pg_catalog.jsonb_build_object('table', tbl.collection, 'id', refused.id, 'reason', 'deleted on the server')
        ), '[]'::jsonb) into conflicts
        from pg_catalog.jsonb_array_elements_text(result -> 'refused') as refused (id);
        if pg_catalog.jsonb_array_length(result -> 'ignored_columns') > 0 then
            ignored_columns := ignored_columns || pg_catalog.jsonb_build_object(tbl.collection, result -> 'ignored_columns');
        end if;
    end loop;

    for tbl in
        select sc.relid, sc.collection, sc.id_column
        from supabase_sync.synced_table as sc
        where pg_catalog.jsonb_array_length(
            case
                when pg_catalog.jsonb_typeof(changes -> sc.collection -> 'deleted') = 'array'
                    then changes -> sc.collection -> 'deleted'
                else '[]'::jsonb
            end
        ) > 0
        order by sc.dependency_rank desc, sc.collection desc
    loop
        select coalesce(pg_catalog.array_agg(distinct coalesce(d.value ->> tbl.id_column, d.value #>> '{}')), '{}')
        into delete_ids
        from pg_catalog.jsonb_array_elements(changes -> tbl.collection -> 'deleted') as d (value);
        result := supabase_sync.push_deletes(tbl.relid, delete_ids);
        applied := pg_catalog.jsonb_set(applied, array[tbl.collection, 'deleted'], result -> 'deleted');
        if (result ->> 'ignored')::bigint > 0 then
            ignored := ignored || pg_catalog.jsonb_build_object(
                tbl.collection, pg_catalog.jsonb_build_object('deleted', result -> 'ignored')
            );
        end if;
    end loop;

    if rejected <> '{}'::jsonb then
        raise exception using
            errcode = 'PT409',
            message = pg_catalog.format(
                'supabase_sync: %s: conflict, rows changed on the server since last_pulled_at', caller
            ),
            detail = pg_catalog.jsonb_build_object('conflicts', rejected)::text,
            hint = 'pull, then push again';
    end if;

    response := pg_catalog.jsonb_build_object(
        'applied', applied,
        'conflicts', conflicts,
        'ignored', ignored,
        'ignored_columns', ignored_columns
    );
    if push_id is not null then
        insert into supabase_sync.push_log (user_id, push_id, response, payload_digest)
        values (uid, apply_push.push_id, response, digest);
    end if;
    return response;
end;
$$;

revoke all on function supabase_sync.apply_push(jsonb, bigint, uuid, uuid, text) from public, anon;
grant execute on function supabase_sync.apply_push(jsonb, bigint, uuid, uuid, text) to authenticated;

comment on function supabase_sync.apply_push(jsonb, bigint, uuid, uuid, text) is
'supabase-sync: applies a push in one transaction (core of sync_push and push_changes).';
