-- Writes one table's created/updated rows of a push (the rows come merged, one
-- per id, from supabase_sync.merge_push_rows) and checks the table's deleted ids
-- for conflicts. Set-based: one locking read, one INSERT, one UPDATE.
--
-- Ownership: ids the caller may write (RLS + supabase_sync.write_filter,
-- the one place that decides it: the owner, or the scope roles of a shared table) are its rows; the other ids are inserted
-- (`on conflict do nothing`); an id neither writable nor inserted is taken by a
-- row the caller cannot write (another user's, or a squatter's after the
-- caller deleted it): that row alone is refused and reported under "refused"
-- (apply_push lists it as deleted on the server), without saying whose, and
-- the push's other rows apply (issue 11.6).
-- Parents: a foreign key to a synced table is checked here, as the caller
-- (under RLS), before anything is written: a parent the caller cannot see is
-- answered exactly like a parent that does not exist (one code path, one
-- error, 23503), so a foreign key is neither an existence oracle nor a way to
-- hang a row on another user's row (issue 11.3). Single-column keys; a key
-- that includes the owner column cannot cross owners anyway (the owner is
-- forced to the caller). Cost: one anti-join per key, by the parent's index.
-- Locks: the caller's rows are locked `for no key update`, in id order (no
-- deadlock between two pushes of one user). That serialises conflicting
-- pushes of the same rows, yet does not wait for the `for key share` lock a
-- foreign-key check of another transaction holds on a parent row until it
-- commits (issue 11.4); the UPDATE itself takes no stronger lock, as it
-- never changes the key.
-- Conflicts (per row, a row last written by the same client_id never conflicts):
--   reject  with `since` given: a row changed since then is reported under
--           "conflicts" (sync_push raises PT409 after all tables); so is an id
--           hard-deleted since then (its tombstone: the caller's own, or, in
--           a scoped table, one of a scope row the caller sees, whoever
--           deleted the row; for a scope row a member lost since then and
--           that is gone, their 'lost' access event).
--   lww     a row changed since `since` (any row when null) by another client
--           loses when the client's updated_at is older than the server's; it
--           is not written and is reported under "lost".
-- lww trusts client clocks only so far: an updated_at later than the server
-- clock plus meta max_clock_skew (5 minutes) would win every conflict forever
-- ('infinity', year 294276), so such a row is rejected (22023 naming the row
-- and the limit) before anything is written (issue 11.10).
-- Returns {"created": n, "updated": n, "conflicts": [id...], "lost": [id...],
--          "refused": [id...], "ignored_columns": [key...]}.
create or replace function supabase_sync.push_upserts(
    target regclass,
    upserts jsonb,
    delete_ids text[],
    since xid8,
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
    uid uuid := auth.uid();
    tbl record;
    column_defs text;
    insert_columns text;
    insert_values text;
    update_sets text;
    writable name[];
    writable_types text[];
    writable_defaults text[];
    every_column name[];
    some_column name[];
    uniform_rows boolean;
    other_keys boolean;
    row_source text;
    ignored_columns text[];
    known_keys text[];
    upsert_ids text[];
    all_ids text[];
    lock_sql text;
    existing text[] := '{}'::text[];
    conflicting text[] := '{}'::text[];
    more_existing text[];
    more_conflicting text[];
    tombstoned text[];
    seen_scopes text[] := '{}'::text[];
    inserted text[] := '{}'::text[];
    insert_sql text;
    created_count bigint := 0;
    missing text[];
    winners text[];
    updated_count bigint := 0;
    bad_column text;
    bad_id text;
    may_write text := supabase_sync.write_filter(target, 'update');
    fk record;
    id_path jsonpath;
    orphan_id text;
    orphan_parent text;
    skewed record;
    max_skew interval;
begin
    -- The registry row and the push facts of the table (schema step 0008), by
    -- key. They serve only while the table's catalog fingerprint is the one
    -- they were derived from; after a DDL change they are derived and stored
    -- afresh first (refresh_push_facts), so no SQL below is built from a stale
    -- description.
    for attempt in 1..2 loop
        select
            st.collection, st.id_column, st.id_type, st.owner_column, st.conflict_strategy, st.kind, st.scope,
            pf.columns, pf.column_types, pf.column_defaults, pf.foreign_keys,
            coalesce(pf.fingerprint = supabase_sync.catalog_fingerprint(target), false) as facts_current
        into tbl
        from supabase_sync.synced_table as st
        left join supabase_sync.push_facts as pf on st.relid = pf.relid
        where st.relid = target;
        exit when tbl.facts_current or attempt = 2;
        perform supabase_sync.refresh_push_facts(target);
    end loop;
    if not tbl.facts_current then
        raise exception using
            errcode = '55000',
            message = pg_catalog.format('supabase_sync: %s: the push facts of %s cannot be derived', caller, tbl.collection),
            detail = 'supabase_sync.push_facts does not match the table''s catalog even after a refresh.',
            hint = 'Run `supabase-sync enable` for the table again, or `supabase-sync status` to see what is missing.';
    end if;
    writable := tbl.columns;
    writable_types := tbl.column_types;
    writable_defaults := tbl.column_defaults;
    id_path := ('strict $[*]' || supabase_sync.jsonpath_member(tbl.id_column))::jsonpath;

    -- Which writable columns the rows carry. A column every row has is read
    -- straight from jsonb_to_recordset; a column no row has is left out (the
    -- table default on insert, the old value on update); only a column some
    -- rows have and others not needs the per-row `?` test that tells an absent
    -- key (default / old value) from an explicit null. Usually every row has
    -- the keys of the first row and no other: one pass checks that.
    every_column := array(
        select w.c from pg_catalog.unnest(writable) as w (c)
        where coalesce((upserts -> 0) ? w.c, false) or w.c = tbl.id_column
    );
    select
        coalesce(pg_catalog.bool_and(e.r ?& every_column::text[]), true),
        coalesce(pg_catalog.bool_or(e.r ?| array(
            select w.c::text from pg_catalog.unnest(writable) as w (c) where not w.c = any(every_column)
        )), false)
    into uniform_rows, other_keys
    from pg_catalog.jsonb_array_elements(upserts) as e (r);
    if uniform_rows and not other_keys then
        some_column := '{}'::name[];
    else
        select
            coalesce(pg_catalog.array_agg(w.c order by w.n) filter (where w.rows_with = w.rows_all or w.c = tbl.id_column), '{}'),
            coalesce(pg_catalog.array_agg(w.c order by w.n) filter (
                where w.rows_with > 0 and w.rows_with < w.rows_all and w.c <> tbl.id_column
            ), '{}')
        into every_column, some_column
        from (
            select
                w.c,
                w.n,
                (select pg_catalog.count(*) from pg_catalog.jsonb_array_elements(upserts) as e (r) where e.r ? w.c) as rows_with,
                pg_catalog.jsonb_array_length(upserts) as rows_all
            from pg_catalog.unnest(writable) with ordinality as w (c, n)
        ) as w;
    end if;

    select
        pg_catalog.string_agg(pg_catalog.format('%I %s', w.c, w.type), ', ' order by w.n),
        pg_catalog.string_agg(pg_catalog.format('%I', w.c), ', ' order by w.n)
        filter (where w.c <> tbl.id_column),
        pg_catalog.string_agg(
            case
                when w.c = any(every_column) then pg_catalog.format('p.%I', w.c)
                else pg_catalog.format('case when e.r ? %L then p.%I else (%s)::%s end', w.c, w.c, w.default_expr, w.type)
            end,
            ', ' order by w.n
        ) filter (where w.c <> tbl.id_column),
        pg_catalog.string_agg(
            case
                when w.c = any(every_column) then pg_catalog.format('%1$I = p.%1$I', w.c)
                else pg_catalog.format('%1$I = case when e.r ? %1$L then p.%1$I else t.%1$I end', w.c)
            end,
            ', ' order by w.n
        ) filter (where w.c <> tbl.id_column)
    into column_defs, insert_columns, insert_values, update_sets
    from rows from (
        pg_catalog.unnest(writable), pg_catalog.unnest(writable_types), pg_catalog.unnest(writable_defaults)
    ) with ordinality as w (c, type, default_expr, n)
    where w.c = any(every_column) or w.c = any(some_column);
    if update_sets is null and pg_catalog.cardinality(writable) > 1 then
        -- Rows that carry only their id are still written (and stamped), as
        -- when they set columns to the values they have.
        update_sets := pg_catalog.format('%1$I = t.%1$I', tbl.id_column);
    end if;
    row_source := case
        when pg_catalog.cardinality(some_column) = 0 then
            pg_catalog.format('pg_catalog.jsonb_to_recordset($1) as p (%s)', column_defs)
        else pg_catalog.format(
            'pg_catalog.jsonb_array_elements($1) as e (r)'
            ' cross join lateral pg_catalog.jsonb_to_record(e.r) as p (%s)',
            column_defs
        )
    end;

    -- Keys that are not writable columns (client bookkeeping such as isRemote,
    -- server-maintained columns) are reported, never written. The owner column
    -- is silently forced to the caller.
    -- Linear in the keys of the push (bounded by check_push_shape): each key is
    -- compared with the table's few columns, never with the keys found so far
    -- (`row - known_keys` with a growing list cost keys² in one uninterruptible
    -- operator, issue 11.1).
    known_keys := writable::text[] || tbl.owner_column::text;
    select coalesce(pg_catalog.array_agg(extra.key order by extra.key), '{}') into ignored_columns
    from (
        select distinct k.key
        from pg_catalog.jsonb_array_elements(upserts) as e (r)
        cross join lateral pg_catalog.jsonb_object_keys(e.r) as k (key)
        where not k.key = any(known_keys)
    ) as extra;

    begin
        -- Canonical ids (e.g. lower-case uuids): a malformed id fails here.
        -- uuid (the usual id type) by a static statement, whose plan is cached.
        if tbl.id_type = 'uuid' then
            select coalesce(pg_catalog.array_agg(e.id::uuid::text), '{}') into upsert_ids
            from pg_catalog.jsonb_array_elements_text(pg_catalog.jsonb_path_query_array(upserts, id_path)) as e (id);
        else
            execute pg_catalog.format(
                'select coalesce(pg_catalog.array_agg(e.id::%s::text), ''{}'')'
                ' from pg_catalog.jsonb_array_elements_text(pg_catalog.jsonb_path_query_array($1, $2)) as e (id)',
                tbl.id_type
            ) into upsert_ids using upserts, id_path;
        end if;
        all_ids := upsert_ids || delete_ids;
        -- Shared tables: a viewer's (or an outsider's) row is refused here, by id (docs/protocol.md "Sharing").
        perform supabase_sync.check_writable(target, upserts, delete_ids, caller);

        if tbl.conflict_strategy = 'lww' and ('updated_at' = any(every_column) or 'updated_at' = any(some_column)) then
            select coalesce(pg_catalog.max(m.value), '5 minutes')::interval into max_skew
            from supabase_sync.meta as m
            where m.key = 'max_clock_skew';
            select e.r ->> tbl.id_column as row_id, e.r ->> 'updated_at' as updated_at into skewed
            from pg_catalog.jsonb_array_elements(upserts) as e (r)
            where (e.r ->> 'updated_at')::timestamptz > pg_catalog.now() + max_skew
            limit 1;
            if skewed.row_id is not null then
                raise exception using
                    errcode = '22023',
                    message = pg_catalog.format(
                        'supabase_sync: %s: %s row %s has updated_at %s, later than the server clock plus'
                        ' max_clock_skew (%s)',
                        caller, tbl.collection, skewed.row_id, pg_catalog.left(skewed.updated_at, 40), max_skew
                    ),
                    detail = 'Last-writer-wins compares client clocks: a time in the future would win every conflict.',
                    hint = 'Set updated_at from the device clock when the row changes; fix the device clock.';
            end if;
        end if;

        for fk in
            select
                f.name as conname,
                f.child_column,
                f.parent_column,
                p.relid as parent_table,
                p.collection as parent_collection
            from pg_catalog.jsonb_to_recordset(tbl.foreign_keys) as f (name name, child_column name, parent oid, parent_column name)
            inner join supabase_sync.synced_table as p on p.relid = f.parent::regclass
            where f.child_column = any(every_column) or f.child_column = any(some_column)
            order by f.name
        loop
            execute pg_catalog.format(
                'select p.%1$I::text as row_id, p.%2$I::text as parent_id from %3$s'
                ' where p.%2$I is not null'
                ' and not exists (select from %4$s as r where r.%5$I = p.%2$I)%6$s'
                ' limit 1',
                tbl.id_column, fk.child_column, row_source, fk.parent_table, fk.parent_column,
                case
                    when fk.parent_table = target then
                        pg_catalog.format(' and not p.%I::text = any($2)', fk.child_column)
                    else ''
                end
            ) into orphan_id, orphan_parent using upserts, upsert_ids;
            if orphan_id is not null then
                raise exception using
                    errcode = '23503',
                    message = pg_catalog.format(
                        'supabase_sync: %s: %s row %s references %s %s, which does not exist',
                        caller, tbl.collection, orphan_id, fk.parent_collection, orphan_parent
                    ),
                    detail = pg_catalog.format(
                        'Foreign key %s: no row %s of %s is on the server for you.',
                        fk.conname, orphan_parent, fk.parent_collection
                    ),
                    hint = 'Push the parent first (in this push or an earlier one), or drop the row.';
            end if;
        end loop;

        lock_sql := pg_catalog.format(
            'select coalesce(pg_catalog.array_agg(l.id), ''{}''),'
            ' coalesce(pg_catalog.array_agg(l.id) filter (where l.conflict), ''{}'')'
            ' from (select t.%1$I::text as id, %5$s as conflict'
            ' from %2$s as t %6$s'
            ' where t.%1$I = any($1::%3$s[]) and %4$s'
            ' order by t.%1$I for no key update of t) as l',
            tbl.id_column, target, tbl.id_type, may_write,
            case tbl.conflict_strategy
                when 'lww' then
                    '(c.id is not null and ($4::xid8 is null or t.server_version >= $4)'
                    ' and ($5::uuid is null or t.instance_id is distinct from $5)'
                    ' and t.updated_at is not null'
                    ' and (c.updated_at is null or c.updated_at < t.updated_at))'
                else
                    '($4::xid8 is not null and t.server_version >= $4'
                    ' and ($5::uuid is null or t.instance_id is distinct from $5))'
            end,
            case tbl.conflict_strategy
                when 'lww' then pg_catalog.format(
                    'left join (select (e.r ->> %2$L)::%1$s as id, (e.r ->> ''updated_at'')::timestamptz as updated_at'
                    ' from pg_catalog.jsonb_array_elements($3) as e (r)) as c on t.%2$I = c.id',
                    tbl.id_type, tbl.id_column
                )
                else ''
            end
        );
        execute lock_sql into existing, conflicting using all_ids, uid, upserts, since, client_id;

        insert_sql := pg_catalog.format(
            'insert into %1$s as t (%2$I, %3$I%4$s)'
            ' select p.%2$I, $3%5$s from %6$s%7$s',
            target, tbl.id_column, tbl.owner_column,
            coalesce(', ' || insert_columns, ''), coalesce(', ' || insert_values, ''),
            row_source,
            case
                when pg_catalog.cardinality(existing) > 0 then pg_catalog.format(
                    ' where not exists (select from pg_catalog.unnest($2::%1$s[]) as x (id) where x.id = p.%2$I)',
                    tbl.id_type, tbl.id_column
                )
                else ''
            end
        );
        -- A plain INSERT first (ON CONFLICT costs a quarter more); only when an
        -- id is taken meanwhile (another user's row, or another device's insert)
        -- the statement is redone with ON CONFLICT DO NOTHING to find which.
        missing := '{}'::text[];
        begin
            execute 'with inserted as (' || insert_sql || ' returning 1) select pg_catalog.count(*) from inserted'
            into created_count using upserts, existing, uid;
        exception
            when unique_violation then
                execute 'with inserted as (' || insert_sql
                    || pg_catalog.format(' on conflict (%1$I) do nothing returning t.%1$I::text as id)', tbl.id_column)
                    || ' select coalesce(pg_catalog.array_agg(inserted.id), ''{}'') from inserted'
                into inserted using upserts, existing, uid;
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
            execute lock_sql into more_existing, more_conflicting using missing, uid, upserts, since, client_id;
            existing := existing || more_existing;
            conflicting := conflicting || more_conflicting;
            missing := array(
                select pg_catalog.unnest(missing) except select pg_catalog.unnest(more_existing) order by 1
            );
            -- What is left is taken by a row this caller may not write:
            -- refused, per row (reported like a row deleted on the server).
        end if;

        if tbl.conflict_strategy = 'reject' and since is not null then
            -- A tombstone of this caller's: owner-keyed (owner and scope tables,
            -- scoped rows deleted before pack 3), or keyed by a scope row the
            -- caller sees, whoever deleted the row (schema step 0007; step 0010's
            -- policy lets members read those). One probe per pushed id in each
            -- key's index (tombstone_owner_key, tombstone_scope_key).
            if tbl.kind = 'scoped' then
                seen_scopes := supabase_sync.visible_scopes(tbl.scope);
            end if;
            select coalesce(pg_catalog.array_agg(distinct tb.row_id), '{}') into tombstoned
            from (
                select o.row_id, o.version, o.instance_id
                from supabase_sync.tombstone as o
                where o.relid = target and o.scope_id is null and o.owner_id = uid and o.row_id = any(upsert_ids)
                union all
                select s.row_id, s.version, s.instance_id
                from supabase_sync.tombstone as s
                where
                    s.relid = target and s.scope_id is not null and s.scope_id = any(seen_scopes)
                    and s.row_id = any(upsert_ids)
            ) as tb
            where
                not tb.row_id = any(existing)
                and tb.version >= since
                and (client_id is null or tb.instance_id is distinct from client_id);
            conflicting := conflicting || tombstoned;
            if tbl.kind = 'scope' then
                -- A scope row this push just created that the caller lost since
                -- the cursor was hard-deleted meanwhile (its tombstone is its
                -- owner's, which a member cannot read): the caller's 'lost' event
                -- (schema step 0006) says so. A tombstone of the caller's own was
                -- judged above.
                select coalesce(pg_catalog.array_agg(distinct ae.scope_id), '{}') into tombstoned
                from supabase_sync.access_event as ae
                where
                    ae.user_id = uid
                    and ae.version >= since
                    and ae.event = 'lost'
                    and ae.scope = target
                    and ae.scope_id = any(upsert_ids)
                    and not ae.scope_id = any(existing || missing)
                    and not exists (
                        select from supabase_sync.tombstone as o
                        where o.relid = target and o.scope_id is null and o.owner_id = uid and o.row_id = ae.scope_id
                    );
                conflicting := conflicting || tombstoned;
            end if;
        end if;

        winners := array(select pg_catalog.unnest(existing) except select pg_catalog.unnest(conflicting));
        if update_sets is not null and pg_catalog.cardinality(winners) > 0 then
            execute pg_catalog.format(
                'with updated as ('
                'update %1$s as t set %2$s'
                ' from %3$s'
                ' where t.%4$I = p.%4$I and %5$s'
                ' and exists (select from pg_catalog.unnest($2::%6$s[]) as w (id) where w.id = p.%4$I)'
                ' returning 1)'
                ' select pg_catalog.count(*) from updated',
                target, update_sets, row_source, tbl.id_column, may_write, tbl.id_type
            ) into updated_count using upserts, winners, uid;
        end if;
    exception
        when data_exception then
            perform supabase_sync.raise_bad_value(target, upserts, delete_ids, caller);
            raise;
        when not_null_violation then
            get stacked diagnostics bad_column = column_name;
            select e.r ->> tbl.id_column into bad_id
            from pg_catalog.jsonb_array_elements(upserts) with ordinality as e (r, ord)
            order by
                case when e.r -> bad_column = 'null'::jsonb then 0 when not e.r ? bad_column then 1 else 2 end,
                e.ord
            limit 1;
            raise exception using
                errcode = '23502',
                message = pg_catalog.format(
                    'supabase_sync: %s: %s row %s column %s must not be null',
                    caller, tbl.collection, bad_id, bad_column
                ),
                detail = 'The column is NOT NULL and has no default the server could use.',
                hint = pg_catalog.format('Send a value for %s in every new row of %s.', bad_column, tbl.collection);
    end;

    return pg_catalog.jsonb_build_object(
        'created', created_count,
        'updated', updated_count,
        'conflicts', case when tbl.conflict_strategy = 'reject' then pg_catalog.to_jsonb(conflicting) else '[]'::jsonb end,
        'lost', case when tbl.conflict_strategy = 'lww' then pg_catalog.to_jsonb(conflicting) else '[]'::jsonb end,
        'refused', pg_catalog.to_jsonb(missing),
        'ignored_columns', pg_catalog.to_jsonb(ignored_columns)
    );
end;
$$;

revoke all on function supabase_sync.push_upserts(regclass, jsonb, text[], xid8, uuid, text) from public, anon;
grant execute on function supabase_sync.push_upserts(regclass, jsonb, text[], xid8, uuid, text) to authenticated;

comment on function supabase_sync.push_upserts(regclass, jsonb, text[], xid8, uuid, text) is
'supabase-sync: writes one table''s created/updated rows of a push, checking ownership and conflicts per row.';
