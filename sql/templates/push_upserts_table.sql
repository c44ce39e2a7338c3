-- The compiled push of one owner table (issue 13): supabase_sync.push_upserts
-- for this table alone, with its statements written out at enable time, so
-- plpgsql plans each once per session instead of a built string per call.
-- supabase_sync.apply_push calls it only while the table's catalog
-- fingerprint is the one it was compiled for (after a DDL change the generic
-- push_upserts runs until `enable` compiles it again), with the table's raw
-- changes ({"created": [...], "updated": [...], "deleted": [...]}) and the
-- registry's conflict strategy (read per push: both strategies are compiled).
-- Returns what push_upserts returns.
-- Invariant: the same answer and the same writes as push_upserts on the same
-- push (tests/protocol/test_compiled_push.py): ids canonical and merged, the
-- caller's rows locked `for no key update` in id order, plain INSERT first
-- (ON CONFLICT only when an id is taken meanwhile), per-row conflicts, the
-- owner forced, keys that are not writable columns reported, 22P02/23502/
-- 23503/22023 worded alike (the same helpers raise them).
-- Cases:
--   full rows     every row carries every writable column: read straight from
--                 jsonb_to_recordset, as the bare insert does;
--   partial rows  the others: each column read only where the row has its key
--                 (absent: the default on insert, the old value on update);
--                 beyond {partial_rows} such rows the generic push_upserts runs
--                 (its statement over the keys the rows carry is built once and
--                 costs less per row than the per-row key tests);
--   odd ids       ids not in their type's canonical text, or the same id twice:
--                 canonical_push_ids and merge_push_rows, as the generic path.
-- Cost: about ten cached statements; the rows are scanned for their ids and
-- keys once, then read by the lock, the INSERT and the UPDATE.
-- Plans: always generic (plan_cache_mode; why: docs/protocol.md "Compiled functions").
-- Placeholders: {compiled_function}, {table}, {table_name}, {collection}, {id_column},
-- {id_key}, {id_type}, {id_type_name}, {owner_column}, {created_ids},
-- {updated_ids}, {row_ids}, {canonical_id}, {writable_keys}, {known_keys},
-- {column_defs}, {insert_columns}, {insert_values}, {insert_values_partial},
-- {update_sets}, {update_sets_partial}, {foreign_keys}, {partial_rows}.
create or replace function {compiled_function}(
    table_changes jsonb,
    since xid8,
    client_id uuid,
    caller text,
    strategy text
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
set plan_cache_mode = force_generic_plan
as $supabase_sync$
declare
    uid uuid := auth.uid();
    upserts jsonb;
    upsert_ids text[];
    delete_ids text[] := '{{}}'::text[];
    all_ids text[];
    canonical boolean;
    unique_ids boolean;
    full_rows boolean;
    ignored_columns text[];
    existing text[];
    conflicting text[];
    more_existing text[];
    more_conflicting text[];
    inserted text[] := '{{}}'::text[];
    missing text[] := '{{}}'::text[];
    tombstoned text[];
    winners text[];
    created_count bigint := 0;
    updated_count bigint := 0;
    max_skew interval;
    skewed record;
    fk record;
    orphan_id text;
    orphan_parent text;
    bad_column text;
    bad_id text;
begin
    -- The ids of created and updated rows in one pass (without copying a
    -- row): canonical text? each once?
    select
        coalesce(pg_catalog.array_agg(i.id), '{{}}'),
        coalesce(pg_catalog.bool_and({canonical_id}), true),
        pg_catalog.count(distinct i.id) = pg_catalog.count(*)
    into upsert_ids, canonical, unique_ids
    from pg_catalog.jsonb_array_elements_text(
        pg_catalog.jsonb_path_query_array(table_changes, {created_ids}::jsonpath, '{{}}', true)
        || pg_catalog.jsonb_path_query_array(table_changes, {updated_ids}::jsonpath, '{{}}', true)
    ) as i (id);
    if not canonical then
        table_changes := supabase_sync.canonical_push_ids(table_changes, {id_type_name}, {id_key});
    end if;
    if canonical and unique_ids then
        upserts := case
            when pg_catalog.jsonb_typeof(table_changes -> 'updated') is distinct from 'array'
                or table_changes -> 'updated' = '[]'::jsonb
                then coalesce(table_changes -> 'created', '[]'::jsonb)
            when pg_catalog.jsonb_typeof(table_changes -> 'created') is distinct from 'array'
                or table_changes -> 'created' = '[]'::jsonb
                then table_changes -> 'updated'
            else (table_changes -> 'created') || (table_changes -> 'updated')
        end;
        if pg_catalog.jsonb_typeof(upserts) <> 'array' then
            upserts := '[]'::jsonb;
        end if;
    else
        upserts := supabase_sync.merge_push_rows(table_changes, {id_key});
    end if;
    if pg_catalog.jsonb_typeof(table_changes -> 'deleted') = 'array' and table_changes -> 'deleted' <> '[]'::jsonb then
        select coalesce(pg_catalog.array_agg(distinct coalesce(d.value ->> {id_key}, d.value #>> '{{}}')), '{{}}')
        into delete_ids
        from pg_catalog.jsonb_array_elements(table_changes -> 'deleted') as d (value);
    end if;

    -- Which rows carry every writable column, and the keys that are not
    -- writable columns (reported, never written; the owner column is
    -- silently forced to the caller): one pass over the rows' keys.
    select
        coalesce(pg_catalog.bool_and(e.r ?& {writable_keys}), true),
        coalesce(pg_catalog.array_agg(distinct k.key order by k.key) filter (where k.key is not null), '{{}}')
    into full_rows, ignored_columns
    from pg_catalog.jsonb_array_elements(upserts) as e (r)
    left join lateral (
        select x.key from pg_catalog.jsonb_object_keys(e.r) as x (key) where not x.key = any({known_keys})
    ) as k on true;
    if not full_rows and pg_catalog.jsonb_array_length(upserts) > {partial_rows} then
        return supabase_sync.push_upserts({table_name}::regclass, upserts, delete_ids, since, client_id, caller);
    end if;

    begin
        if not (canonical and unique_ids) then
            -- Canonical ids of the merged rows: a malformed id fails here.
            select coalesce(pg_catalog.array_agg(e.id::{id_type}::text), '{{}}') into upsert_ids
            from pg_catalog.jsonb_array_elements_text(pg_catalog.jsonb_path_query_array(upserts, {row_ids}::jsonpath))
                as e (id);
        end if;
        all_ids := upsert_ids || delete_ids;

        if strategy = 'lww' then
            select coalesce(pg_catalog.max(m.value), '5 minutes')::interval into max_skew
            from supabase_sync.meta as m
            where m.key = 'max_clock_skew';
            select e.r ->> {id_key} as row_id, e.r ->> 'updated_at' as updated_at into skewed
            from pg_catalog.jsonb_array_elements(upserts) as e (r)
            where (e.r ->> 'updated_at')::timestamptz > pg_catalog.now() + max_skew
            limit 1;
            if skewed.row_id is not null then
                raise exception using
                    errcode = '22023',
                    message = pg_catalog.format(
                        'supabase_sync: %s: %s row %s has updated_at %s, later than the server clock plus'
                        ' max_clock_skew (%s)',
                        caller, {collection}, skewed.row_id, pg_catalog.left(skewed.updated_at, 40), max_skew
                    ),
                    detail = 'Last-writer-wins compares client clocks: a time in the future would win every conflict.',
                    hint = 'Set updated_at from the device clock when the row changes; fix the device clock.';
            end if;
        end if;

        -- Parents that are synced tables, checked as the caller (push_upserts).
        for fk in
            select
                f.name as conname,
                f.child_column,
                f.child_type,
                f.parent_column,
                p.relid as parent_table,
                p.collection as parent_collection
            from pg_catalog.jsonb_to_recordset({foreign_keys}::jsonb)
                as f (name name, child_column name, child_type text, parent oid, parent_column name)
            inner join supabase_sync.synced_table as p on p.relid = f.parent::regclass
            where upserts @? pg_catalog.format('$[*] ? (exists (@%s))', supabase_sync.jsonpath_member(f.child_column))::jsonpath
            order by f.name
        loop
            execute pg_catalog.format(
                'select p.%1$I::text as row_id, p.%2$I::text as parent_id'
                ' from pg_catalog.jsonb_array_elements($1) as e (r)'
                ' cross join lateral pg_catalog.jsonb_to_record(e.r) as p (%1$I %6$s, %2$I %7$s)'
                ' where p.%2$I is not null'
                ' and not exists (select from %3$s as r where r.%4$I = p.%2$I)%5$s'
                ' limit 1',
                {id_key}, fk.child_column, fk.parent_table, fk.parent_column,
                case
                    when fk.parent_table = {table_name}::regclass then
                        pg_catalog.format(' and not p.%I::text = any($2)', fk.child_column)
                    else ''
                end,
                {id_type_name}, fk.child_type
            ) into orphan_id, orphan_parent using upserts, upsert_ids;
            if orphan_id is not null then
                raise exception using
                    errcode = '23503',
                    message = pg_catalog.format(
                        'supabase_sync: %s: %s row %s references %s %s, which does not exist',
                        caller, {collection}, orphan_id, fk.parent_collection, orphan_parent
                    ),
                    detail = pg_catalog.format(
                        'Foreign key %s: no row %s of %s is on the server for you.',
                        fk.conname, orphan_parent, fk.parent_collection
                    ),
                    hint = 'Push the parent first (in this push or an earlier one), or drop the row.';
            end if;
        end loop;

        -- The caller's rows among the ids, locked in id order; which of them conflict
        -- (lww: the server's row is newer than the pushed one; reject: written since the cursor).
        select
            coalesce(pg_catalog.array_agg(l.id), '{{}}'),
            coalesce(pg_catalog.array_agg(l.id) filter (where l.conflict), '{{}}')
        into existing, conflicting
        from (
            select
                t.{id_column}::text as id,
                case
                    when strategy = 'lww' then
                        c.id is not null and (since is null or t.server_version >= since)
                        and (client_id is null or t.instance_id is distinct from client_id)
                        and t.updated_at is not null
                        and (c.updated_at is null or c.updated_at < t.updated_at)
                    else
                        since is not null and t.server_version >= since
                        and (client_id is null or t.instance_id is distinct from client_id)
                end as conflict
            from {table} as t
            left join (
                select (e.r ->> {id_key})::{id_type} as id, (e.r ->> 'updated_at')::timestamptz as updated_at
                from pg_catalog.jsonb_array_elements(upserts) as e (r)
                where strategy = 'lww'
            ) as c on t.{id_column} = c.id
            where t.{id_column} in (select k.id from pg_catalog.unnest(all_ids::{id_type}[]) as k (id)) and t.{owner_column} = uid
            order by t.{id_column}
            for no key update of t
        ) as l;

        -- A plain INSERT first; only when an id is taken meanwhile (another
        -- user's row, another device's insert) again with ON CONFLICT DO
        -- NOTHING to find which.
        begin
            if full_rows then
                with written as (
                    insert into {table} as t ({id_column}, {owner_column}, {insert_columns})
                    select p.{id_column}, uid, {insert_values}
                    from pg_catalog.jsonb_to_recordset(upserts) as p ({column_defs})
                    where not p.{id_column} = any(existing::{id_type}[])
                    returning 1
                )
                select pg_catalog.count(*) into created_count from written;
            else
                with written as (
                    insert into {table} as t ({id_column}, {owner_column}, {insert_columns})
                    select p.{id_column}, uid, {insert_values_partial}
                    from pg_catalog.jsonb_array_elements(upserts) as e (r)
                    cross join lateral pg_catalog.jsonb_to_record(e.r) as p ({column_defs})
                    where not p.{id_column} = any(existing::{id_type}[])
                    returning 1
                )
                select pg_catalog.count(*) into created_count from written;
            end if;
        exception
            when unique_violation then
                if full_rows then
                    with written as (
                        insert into {table} as t ({id_column}, {owner_column}, {insert_columns})
                        select p.{id_column}, uid, {insert_values}
                        from pg_catalog.jsonb_to_recordset(upserts) as p ({column_defs})
                        where not p.{id_column} = any(existing::{id_type}[])
                        on conflict ({id_column}) do nothing
                        returning t.{id_column}::text as id
                    )
                    select coalesce(pg_catalog.array_agg(written.id), '{{}}') into inserted from written;
                else
                    with written as (
                        insert into {table} as t ({id_column}, {owner_column}, {insert_columns})
                        select p.{id_column}, uid, {insert_values_partial}
                        from pg_catalog.jsonb_array_elements(upserts) as e (r)
                        cross join lateral pg_catalog.jsonb_to_record(e.r) as p ({column_defs})
                        where not p.{id_column} = any(existing::{id_type}[])
                        on conflict ({id_column}) do nothing
                        returning t.{id_column}::text as id
                    )
                    select coalesce(pg_catalog.array_agg(written.id), '{{}}') into inserted from written;
                end if;
                created_count := pg_catalog.cardinality(inserted);
                -- An id neither seen nor inserted: another user's row, or a row this
                -- user's other device inserted after our read (a new statement sees it).
                missing := array(
                    select m.id from pg_catalog.unnest(upsert_ids) as m (id)
                    except select pg_catalog.unnest(existing)
                    except select pg_catalog.unnest(inserted)
                    -- (ordered: the refused ids are reported in id order, whatever the plan)
                    order by 1
                );
        end;
        if pg_catalog.cardinality(missing) > 0 then
            select
                coalesce(pg_catalog.array_agg(l.id), '{{}}'),
                coalesce(pg_catalog.array_agg(l.id) filter (where l.conflict), '{{}}')
            into more_existing, more_conflicting
            from (
                select
                    t.{id_column}::text as id,
                    case
                        when strategy = 'lww' then
                            c.id is not null and (since is null or t.server_version >= since)
                            and (client_id is null or t.instance_id is distinct from client_id)
                            and t.updated_at is not null
                            and (c.updated_at is null or c.updated_at < t.updated_at)
                        else
                            since is not null and t.server_version >= since
                            and (client_id is null or t.instance_id is distinct from client_id)
                    end as conflict
                from {table} as t
                left join (
                    select (e.r ->> {id_key})::{id_type} as id, (e.r ->> 'updated_at')::timestamptz as updated_at
                    from pg_catalog.jsonb_array_elements(upserts) as e (r)
                    where strategy = 'lww'
                ) as c on t.{id_column} = c.id
                where t.{id_column} in (select k.id from pg_catalog.unnest(missing::{id_type}[]) as k (id)) and t.{owner_column} = uid
                order by t.{id_column}
                for no key update of t
            ) as l;
            existing := existing || more_existing;
            conflicting := conflicting || more_conflicting;
            -- What is left is taken by a row this caller may not write:
            -- refused, per row (reported like a row deleted on the server).
            missing := array(
                select pg_catalog.unnest(missing) except select pg_catalog.unnest(more_existing) order by 1
            );
        end if;

        if strategy = 'reject' and since is not null then
            -- A tombstone of this caller's (owner-keyed) since the cursor.
            select coalesce(pg_catalog.array_agg(distinct o.row_id), '{{}}') into tombstoned
            from supabase_sync.tombstone as o
            where
                o.relid = {table_name}::regclass
                and o.scope_id is null
                and o.owner_id = uid
                and o.row_id = any(upsert_ids)
                and not o.row_id = any(existing)
                and o.version >= since
                and (client_id is null or o.instance_id is distinct from client_id);
            conflicting := conflicting || tombstoned;
        end if;

        winners := array(select pg_catalog.unnest(existing) except select pg_catalog.unnest(conflicting));
        if pg_catalog.cardinality(winners) > 0 then
            if full_rows then
                with written as (
                    update {table} as t set {update_sets}
                    from pg_catalog.jsonb_to_recordset(upserts) as p ({column_defs})
                    where t.{id_column} = p.{id_column} and t.{owner_column} = uid and p.{id_column} in (select w.id from pg_catalog.unnest(winners::{id_type}[]) as w (id))
                    returning 1
                )
                select pg_catalog.count(*) into updated_count from written;
            else
                with written as (
                    update {table} as t set {update_sets_partial}
                    from pg_catalog.jsonb_array_elements(upserts) as e (r)
                    cross join lateral pg_catalog.jsonb_to_record(e.r) as p ({column_defs})
                    where t.{id_column} = p.{id_column} and t.{owner_column} = uid and p.{id_column} in (select w.id from pg_catalog.unnest(winners::{id_type}[]) as w (id))
                    returning 1
                )
                select pg_catalog.count(*) into updated_count from written;
            end if;
        end if;
    exception
        when data_exception then
            perform supabase_sync.raise_bad_value({table_name}::regclass, upserts, delete_ids, caller);
            raise;
        when not_null_violation then
            get stacked diagnostics bad_column = column_name;
            select e.r ->> {id_key} into bad_id
            from pg_catalog.jsonb_array_elements(upserts) with ordinality as e (r, ord)
            order by
                case when e.r -> bad_column = 'null'::jsonb then 0 when not e.r ? bad_column then 1 else 2 end,
                e.ord
            limit 1;
            raise exception using
                errcode = '23502',
                message = pg_catalog.format(
                    'supabase_sync: %s: %s row %s column %s must not be null', caller, {collection}, bad_id, bad_column
                ),
                detail = 'The column is NOT NULL and has no default the server could use.',
                hint = pg_catalog.format('Send a value for %s in every new row of %s.', bad_column, {collection});
    end;

    return pg_catalog.jsonb_build_object(
        'created', created_count,
        'updated', updated_count,
        'conflicts', case when strategy = 'reject' then pg_catalog.to_jsonb(conflicting) else '[]'::jsonb end,
        'lost', case when strategy = 'lww' then pg_catalog.to_jsonb(conflicting) else '[]'::jsonb end,
        'refused', pg_catalog.to_jsonb(missing),
        'ignored_columns', pg_catalog.to_jsonb(ignored_columns)
    );
end;
$supabase_sync$;

revoke all on function {compiled_function}(
    jsonb, xid8, uuid, text, text
) from public, anon;
grant execute on function {compiled_function}(
    jsonb, xid8, uuid, text, text
) to authenticated;
