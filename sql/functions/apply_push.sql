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
    -- (The RPCs, sync_push and push_changes, have checked the caller:
    -- require_user only raises the error of a call without one.)
    uid uuid := coalesce(auth.uid(), supabase_sync.require_user(caller));
    -- the tables of the push
    names text[];
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
    deleted_entries jsonb;
    -- the tables with deleted entries, in push order: [oid, collection, id column, compiled deletes or null]
    deleting text[] := '{}'::text[];
    use_compiled boolean;
begin
    perform supabase_sync.check_push_shape(changes, caller);
    names := array(select pg_catalog.jsonb_object_keys(changes));
    perform supabase_sync.check_collections(names, caller);
    since_version := (supabase_sync.check_cursor(since => since, caller => caller, collections => names)).version;

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

    -- Per table, in dependency order: its compiled push (schema steps 0011,
    -- 0012: static SQL, plans cached) while it is fresh, i.e. its recorded
    -- fingerprint is the table's current one, else the generic push_upserts
    -- (after a DDL change, until enable compiles the table again). One
    -- fingerprint per table and push.
    for tbl in
        select
            sc.relid,
            sc.collection,
            sc.id_column,
            sc.id_type,
            sc.conflict_strategy,
            compiled.upserts_function,
            compiled.deletes_function,
            compiled.fingerprint
        from supabase_sync.synced_table as sc
        left join lateral (
            select
                pg_catalog.max(cf.function_name::oid::regproc::text) filter (where cf.purpose = 'push_upserts')
                    as upserts_function,
                pg_catalog.max(cf.function_name::oid::regproc::text) filter (where cf.purpose = 'push_deletes')
                    as deletes_function,
                case when pg_catalog.min(cf.fingerprint) = pg_catalog.max(cf.fingerprint) then pg_catalog.min(cf.fingerprint) end
                    as fingerprint
            from supabase_sync.compiled_function as cf
            where cf.relid = sc.relid and cf.purpose in ('push_upserts', 'push_deletes')
        ) as compiled on true
        where changes ? sc.collection
        order by sc.dependency_rank, sc.collection
    loop
        table_changes := changes -> tbl.collection;
        use_compiled := tbl.upserts_function is not null and tbl.deletes_function is not null
            and tbl.fingerprint = supabase_sync.compiled_fingerprint(tbl.relid);
        if use_compiled then
            execute pg_catalog.format('select %s($1, $2, $3, $4, $5)', tbl.upserts_function)
            into result
            using table_changes, since_version, client_id, caller, tbl.conflict_strategy;
        else
            select coalesce(pg_catalog.array_agg(distinct coalesce(d.value ->> tbl.id_column, d.value #>> '{}')), '{}')
            into delete_ids
            from pg_catalog.jsonb_array_elements(
                case
                    when pg_catalog.jsonb_typeof(table_changes -> 'deleted') = 'array' then table_changes -> 'deleted'
                    else '[]'::jsonb
                end
            ) as d (value);
            table_changes := supabase_sync.canonical_push_ids(table_changes, tbl.id_type, tbl.id_column);
            result := supabase_sync.push_upserts(
                tbl.relid,
                supabase_sync.merge_push_rows(table_changes, tbl.id_column),
                delete_ids,
                since_version,
                client_id,
                caller
            );
        end if;
        applied := applied || pg_catalog.jsonb_build_object(
            tbl.collection,
            pg_catalog.jsonb_build_object('created', result -> 'created', 'updated', result -> 'updated', 'deleted', 0)
        );
        if result -> 'conflicts' <> '[]'::jsonb then
            rejected := rejected || pg_catalog.jsonb_build_object(tbl.collection, result -> 'conflicts');
        end if;
        if result -> 'lost' <> '[]'::jsonb then
            select conflicts || pg_catalog.jsonb_agg(
                pg_catalog.jsonb_build_object('table', tbl.collection, 'id', lost.id, 'reason', 'server row is newer')
            ) into conflicts
            from pg_catalog.jsonb_array_elements_text(result -> 'lost') as lost (id);
        end if;
        -- A row the caller may not write (an id taken by a row it cannot see,
        -- e.g. re-created by another user after the caller deleted it) is, to
        -- this caller, a row deleted on the server: the device drops it.
        if result -> 'refused' <> '[]'::jsonb then
            select conflicts || pg_catalog.jsonb_agg(
                pg_catalog.jsonb_build_object('table', tbl.collection, 'id', refused.id, 'reason', 'deleted on the server')
            ) into conflicts
            from pg_catalog.jsonb_array_elements_text(result -> 'refused') as refused (id);
        end if;
        if result -> 'ignored_columns' <> '[]'::jsonb then
            ignored_columns := ignored_columns || pg_catalog.jsonb_build_object(tbl.collection, result -> 'ignored_columns');
        end if;
        if pg_catalog.jsonb_typeof(changes -> tbl.collection -> 'deleted') = 'array'
            and changes -> tbl.collection -> 'deleted' <> '[]'::jsonb then
            deleting := deleting || array[[tbl.relid::oid::text, tbl.collection, tbl.id_column, case when use_compiled then tbl.deletes_function end]];
        end if;
    end loop;

    -- Deletes in reverse dependency order (children before their parents).
    for entry in reverse coalesce(pg_catalog.array_length(deleting, 1), 0)..1 loop
        deleted_entries := changes -> deleting[entry][2] -> 'deleted';
        if deleting[entry][4] is not null then
            execute pg_catalog.format('select %s($1)', deleting[entry][4]) into result using deleted_entries;
        else
            select coalesce(pg_catalog.array_agg(distinct coalesce(d.value ->> deleting[entry][3], d.value #>> '{}')), '{}')
            into delete_ids
            from pg_catalog.jsonb_array_elements(deleted_entries) as d (value);
            result := supabase_sync.push_deletes(deleting[entry][1]::oid::regclass, delete_ids);
        end if;
        applied := pg_catalog.jsonb_set(applied, array[deleting[entry][2], 'deleted'], result -> 'deleted');
        if (result ->> 'ignored')::bigint > 0 then
            ignored := ignored || pg_catalog.jsonb_build_object(
                deleting[entry][2], pg_catalog.jsonb_build_object('deleted', result -> 'ignored')
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
