-- The key phase of a pull (docs/protocol.md "Paging", "Sharing (scopes)"): the
-- positions and ids of the caller's candidate rows and tombstones at or above
-- `lower` (and below `upper` when given), in position order, `row_limit` at
-- most (null: all). A position is (version, bucket), bucket =
-- hashtextextended(id::text, 0) & 32767; rows below the `horizon` version count
-- as version `horizon` (so every cursor returned after a purge or TRUNCATE is
-- at or above the horizon, and a paged resync never answers PT410 for a cursor
-- the server itself returned).
--
-- Invariant: each row the caller sees now has exactly one position, so paging
-- (pull_page) neither misses nor repeats it:
--   (greatest(server_version, horizon, g), bucket of its id)
-- with g the version of the caller's latest `gained` access event for the
-- row's scope row at or above `lower` (none: no g). Cases, per table kind:
--   changed rows    rows the select policies show (supabase_sync.read_filter;
--                   for shared tables read per visible scope row, or per
--                   owner and membership) at or above lower, leaving out those
--                   whose scope row was gained after their last write (they
--                   come at g instead);
--   gained          every row of a scope row the caller gained at g (still
--                   visible now) written before g, at (g, bucket), `fresh`
--                   (created), soft-deleted ones as deletions;
--   lost            for a scope row the caller lost at l (latest `lost`
--                   event at or above lower; not visible now): at (l, bucket),
--                   as deletions, the scope row's id, the ids of every row in
--                   it now that was created before l (the caller never saw a
--                   later one), of its tombstones and of the rows that ever
--                   moved out of it (so the caller's replica loses them
--                   whatever it pulled in between: O(ids of the lost scope row));
--   moved           a row that moved at m out of a scope row the caller sees
--                   into one they do not see: at (m, bucket) as a deletion;
--   tombstones      owner-keyed ones of the caller, and, for scoped tables,
--                   those of every scope row the caller sees (hard deletes by
--                   any member reach every member).
-- A changed row that moved in since lower from a scope row the caller does
-- not see is `fresh` too (created for them). Rows of a gained scope row
-- written after g, tombstones of a visible scope row and moves stay at their
-- own positions. Keys are one per id: the row's when it is a candidate, else
-- its latest deletion (dropping a row's older deletions loses nothing: the
-- kept key is later). A deletion key of a row the caller sees again (created
-- anew, moved back, still visible through another scope row) is `hidden`: it
-- keeps its place for paging but is not reported.
--
-- Why SECURITY DEFINER: under RLS the planner may use only leakproof quals as
-- index conditions, and neither the bucket hash nor the text -> uuid cast of
-- the tombstone check is leakproof; as the table owner (who bypasses RLS: the
-- contract requirement "rls.key_function_bypasses") the (owner or scope,
-- version, bucket) indexes serve the ranges and the primary key serves "lives
-- again". It returns nothing but keys, and only the caller's: the uid comes
-- from auth.uid() here, never from an argument, access events are the
-- caller's own (user_id) or those of scope rows the caller sees or lost, and
-- only registered tables in `relids` are read. The page phase (pull_page,
-- SECURITY INVOKER) then fetches the rows by primary key under RLS.
--
-- `skip_deletions` (a pull from null: a new device has nothing to delete)
-- leaves out tombstones, soft-deleted rows, lost and moved keys.
--
-- Cost: one probe of the caller's access events since lower (index
-- access_event_user_version_idx), and with some, one visibility probe per
-- event scope row (supabase_sync.visible_among, not visible_scopes: that
-- would cost the caller's scope rows per event). Changed rows: an owner
-- table's are one range of its (owner, version, bucket) index; a scope
-- table's that range plus a primary-key probe per membership of the caller;
-- a scoped table's one range of its (scope column, version, bucket) index per
-- visible scope row. Each range is read in order and stops at row_limit, so
-- a page reads O(row_limit + visible scope rows) entries however many rows
-- one transaction wrote (an `or` / `= any(...)` filter made the planner read
-- and sort every changed row of the caller's scope rows, per page). When the
-- caller sees more than row_limit / 4 scope rows (each range would read up to
-- row_limit of each: 20,000 one-task projects read 20,000 tasks per page), a
-- scoped table with its (server_version, bucket) index (index.version_bucket)
-- is first read as one range of that index, 4 * row_limit entries at most,
-- keeping the caller's rows (a hashed comparison with their scope ids) and
-- stopping at row_limit of them: when it finds them, or reaches the table's
-- last entry, that is the answer (a bulk import, a user seeing most rows
-- written since the cursor: about a page read); otherwise the per-scope-row
-- ranges answer, after at most 4 * row_limit entries read in vain. Planned
-- with enable_sort off: with the statistics of a never-analyzed table the
-- planner otherwise picks a bitmap scan of the whole range and a sort; and
-- with jit off: the sort's disable cost puts every statement above
-- jit_above_cost, and compiling took 0.5-1.5 s per statement. For
-- scoped tables, also the visible scope rows' tombstones and moves (indexes
-- by scope row and version) and one moved-in probe per candidate. A gained
-- scope row's rows (all at one version g) and rows below the horizon are one
-- ordered, limited range per scope row of the (scope column, bucket) index
-- (index.scope_bucket); so are a lost scope row's rows (their ids), beside
-- its tombstones and moved-out rows, which are read again, sorted, on each
-- page that reaches it. The deletion check is a primary-key lookup
-- per candidate (a correlated subplan, kept from becoming a hashed one over
-- all the caller's rows by `offset 0`, whatever the statistics say).
create or replace function supabase_sync.pull_keys(
    relids regclass[],
    lower_version xid8,
    lower_bucket integer,
    upper_version xid8,
    upper_bucket integer,
    horizon xid8,
    skip_deletions boolean,
    echo_of uuid,
    row_limit integer
)
returns table (relid oid, version xid8, bucket integer, row_id text, tombstone boolean, hidden boolean, fresh boolean)
language plpgsql
stable
security definer
set search_path = ''
set enable_sort = off
set jit = off
as $$
declare
    uid uuid := supabase_sync.require_user('sync_pull');
    branches text;
    changed_rows text;
    lives_again text;
    below_horizon boolean := horizon > '0'::xid8 and lower_version = horizon;
    upper_filter text := '';
    horizon_upper text := '';
    echo_rows text := '';
    echo_tombstones text := '';
    live_rows text := '';
    access_scopes oid[];
    access_ids text[];
    access_versions xid8[];
    access_gained boolean[];
    gained_in oid[] := '{}'::oid[];
    lost_in oid[] := '{}'::oid[];
    access_rows constant text := 'rows from (pg_catalog.unnest($10), pg_catalog.unnest($11),'
        ' pg_catalog.unnest($12), pg_catalog.unnest($13)) as g (scope, scope_id, version, gained)';
    -- The ids of the scope rows the caller sees, of the scope tables of the
    -- requested scoped tables, as '<scope table oid>/<id>' ($14: one call of
    -- visible_scopes per scope table and pull, not one per branch), and the
    -- scope tables of whose rows the caller sees more than a quarter of a
    -- page (a page of a scoped table of theirs reads one range of its
    -- (server_version, bucket) index first, see "Cost" above).
    scope_ids text[] := '{}'::text[];
    wide_scopes oid[] := '{}'::oid[];
    gained_at jsonb := '{}'::jsonb;
    scope_relid regclass;
    seen text[];
    -- Whether the wide range's rows are the table's first row_limit candidates:
    -- it found row_limit of them, or it read the table's last entry.
    wide_exact constant text :=
        '((select pg_catalog.count(*) from hits) = $9 or (select pg_catalog.count(*) from scan) < $15)';
begin
    if upper_version is not null then
        upper_filter := ' and (%1$s, %2$s) < ($4, $5)';
        if upper_version = horizon then
            horizon_upper := ' and %2$s < $5';
        end if;
    end if;
    if echo_of is not null then
        echo_rows := ' and t.instance_id is distinct from $8';
        echo_tombstones := ' and tb.instance_id is distinct from $8';
    end if;
    if skip_deletions then
        -- A new device has nothing to delete: no tombstones, no soft-deleted rows.
        live_rows := ' and t.deleted_at is null';
    end if;

    -- One range of changed rows: `%5$s` selects the rows of one owner, scope
    -- row or membership, so the (owner or scope column, version, bucket)
    -- index serves it in position order and the limit stops it (an `or` or
    -- `= any(...)` filter cannot: the planner reads every matching row and
    -- sorts them). %1$s relid, %2$s table, %3$s bucket, %4$s id column, %6$s
    -- the regained filter, %7$s the moved-in flag.
    changed_rows := 'select %1$s::oid as relid, t.server_version as version, %3$s as bucket,'
        ' t.%4$I::text as row_id, false as tombstone, %7$s as fresh'
        ' from %2$s as t where %5$s and (t.server_version, %3$s) >= ($2, $3)'
        || pg_catalog.format(upper_filter, 't.server_version', '%3$s')
        || echo_rows || live_rows || '%6$s'
        || ' order by t.server_version, %3$s limit $9';

    -- The caller's scope rows gained (visible now) and lost (not visible now)
    -- since lower, the latest event of each: nothing, in the common case.
    -- (supabase_sync.visible_among: a probe per event, whatever the number of
    -- scope rows the caller sees).
    with events as (
        select e.scope, e.scope_id, e.event, pg_catalog.max(e.version) as version
        from supabase_sync.access_event as e
        where e.user_id = uid and e.version >= lower_version and e.event in ('gained', 'lost')
        group by e.scope, e.scope_id, e.event
    ),

    visible as materialized (
        select s.scope, seen.id
        from (
            select events.scope, pg_catalog.array_agg(distinct events.scope_id) as ids
            from events
            group by events.scope
        ) as s
        cross join lateral pg_catalog.unnest(supabase_sync.visible_among(s.scope, s.ids)) as seen (id)
    )

    select
        pg_catalog.array_agg(e.scope::oid order by e.scope::oid, e.scope_id),
        pg_catalog.array_agg(e.scope_id order by e.scope::oid, e.scope_id),
        pg_catalog.array_agg(e.version order by e.scope::oid, e.scope_id),
        pg_catalog.array_agg(e.event = 'gained' order by e.scope::oid, e.scope_id)
    into access_scopes, access_ids, access_versions, access_gained
    from events as e
    left join visible as v on e.scope = v.scope and e.scope_id = v.id
    where (e.event = 'gained') = (v.id is not null);

    if access_scopes is not null then
        select
            coalesce(pg_catalog.array_agg(distinct a.scope) filter (where a.gained), '{}'),
            coalesce(pg_catalog.array_agg(distinct a.scope) filter (where not a.gained), '{}')
        into gained_in, lost_in
        from rows from (pg_catalog.unnest(access_scopes), pg_catalog.unnest(access_gained)) as a (scope, gained);
        -- '<scope table oid>/<scope row id>' -> the version it was gained at
        -- (one gained event at most per scope row: the latest, kept above).
        select coalesce(pg_catalog.jsonb_object_agg(a.scope::text || '/' || a.scope_id, a.version::text), '{}')
        into gained_at
        from rows from (
            pg_catalog.unnest(access_scopes), pg_catalog.unnest(access_ids), pg_catalog.unnest(access_versions),
            pg_catalog.unnest(access_gained)
        ) as a (scope, scope_id, version, gained)
        where a.gained;
    end if;

    -- The scope rows the caller sees (scoped tables only: a scope table's
    -- rows are its owner's range plus a probe per membership).
    for scope_relid in
        select distinct st.scope from supabase_sync.synced_table as st
        where st.relid = any(relids) and st.kind = 'scoped'
    loop
        seen := supabase_sync.visible_scopes(scope_relid);
        scope_ids := scope_ids
            || array(select scope_relid::oid::text || '/' || v.id from pg_catalog.unnest(seen) as v (id));
        if supabase_sync.reads_one_range(pg_catalog.cardinality(seen), row_limit) then
            wide_scopes := wide_scopes || scope_relid::oid;
        end if;
    end loop;

    -- Parameters of every branch: $1 uid, $2/$3 lower position, $4/$5 upper
    -- position, $6 horizon, $8 echo filter, $9 limit, $10..$13 the access
    -- events above, $14 the visible scope rows' ids, $15 the wide range's
    -- length, $16 the gained scope rows' versions. Each branch is ordered like its index and limited, so each
    -- reads at most row_limit entries (a gained or lost scope row: its rows).
    select
        pg_catalog.string_agg(
            -- Changed rows: one ordered, limited range of a position index per
            -- owner, visible scope row or membership (see changed_rows above).
            case st.kind
                when 'scoped' then
                    w.head
                    || '(select x.* from pg_catalog.unnest(' || k.visible || ') as v (id) cross join lateral ('
                    || pg_catalog.format(
                        changed_rows, st.relid::oid, st.relid, k.bucket, st.id_column,
                        pg_catalog.format('t.%I = v.id::%s and t.server_version >= $2', k.scope_key, k.scope_key_type),
                        k.not_regained, k.moved_in
                    )
                    || ') as x order by x.version, x.bucket limit $9)'
                    || w.tail
                when 'scope' then
                    '(' || pg_catalog.format(
                        changed_rows, st.relid::oid, st.relid, k.bucket, st.id_column,
                        pg_catalog.format('t.%I = $1', st.owner_column), k.not_regained, k.moved_in
                    ) || ')'
                    || pg_catalog.format(
                        ' union all (select x.* from (select distinct m.%1$I as id from %2$s as m where m.%3$I = $1'
                        ' and m.deleted_at is null)'
                        ' as v cross join lateral (',
                        st.member_scope_column, st.members, st.member_column
                    )
                    || pg_catalog.format(
                        changed_rows, st.relid::oid, st.relid, k.bucket, st.id_column,
                        pg_catalog.format('t.%I = v.id and t.%I is distinct from $1', st.id_column, st.owner_column),
                        k.not_regained, k.moved_in
                    )
                    || ') as x order by x.version, x.bucket limit $9)'
                else '(' || pg_catalog.format(
                    changed_rows, st.relid::oid, st.relid, k.bucket, st.id_column,
                    supabase_sync.read_filter(st.relid, true), k.not_regained, k.moved_in
                ) || ')'
            end
            -- Rows below the horizon, at the horizon in bucket order: for a
            -- scoped table one ordered, limited range of its (scope column,
            -- bucket) index per visible scope row.
            || case when not below_horizon then ''
                when st.kind = 'scoped' then pg_catalog.format(
                    ' union all (select x.* from pg_catalog.unnest(%8$s) as v (id) cross join lateral ('
                    'select %1$s::oid as relid, $6 as version, %3$s as bucket, t.%4$I::text as row_id,'
                    ' false as tombstone, %7$s as fresh'
                    ' from %2$s as t where t.%5$I = v.id::%9$s and t.server_version < $6 and %3$s >= $3'
                    || pg_catalog.format(horizon_upper, '', '%3$s')
                    || echo_rows || live_rows || '%6$s'
                    || ' order by %3$s limit $9) as x order by x.bucket limit $9)',
                    st.relid::oid, st.relid, k.bucket, st.id_column, k.scope_key,
                    k.not_regained, k.moved_in, k.visible, k.scope_key_type
                )
                else pg_catalog.format(
                    ' union all (select %1$s::oid, $6, %3$s, t.%4$I::text, false, %7$s'
                    ' from %2$s as t where %5$s and t.server_version < $6 and %3$s >= $3'
                    || pg_catalog.format(horizon_upper, '', '%3$s')
                    || echo_rows || live_rows || '%6$s'
                    || ' order by %3$s limit $9)',
                    st.relid::oid, st.relid, k.bucket, st.id_column, supabase_sync.read_filter(st.relid, false),
                    k.not_regained, k.moved_in
                )
            end
            -- Rows of gained scope rows, at the gain.
            -- (one ordered, limited range of the (scope column, bucket) index
            -- per gained scope row: they all sit at the gain's version)
            || case when k.scope_oid = any(gained_in) then pg_catalog.format(
                ' union all (select x.* from ' || access_rows || ' cross join lateral ('
                'select %1$s::oid as relid, g.version as version, %3$s as bucket, t.%4$I::text as row_id,'
                ' false as tombstone, true as fresh'
                ' from %2$s as t where t.%5$I = g.scope_id::%6$s'
                ' and %3$s >= case when g.version = $2 then $3 else 0 end'
                ' and greatest(t.server_version, $6) < g.version'
                || pg_catalog.format(upper_filter, 'g.version', '%3$s')
                || live_rows
                || ' order by %3$s limit $9) as x'
                ' where g.gained and g.scope = %7$s and g.version >= $2'
                ' order by x.version, x.bucket limit $9)',
                st.relid::oid, st.relid, k.bucket, st.id_column, k.scope_key, k.scope_key_type, k.scope_oid
            ) else '' end
            || case when not d.owner_tombstones then '' else pg_catalog.format(
                ' union all (select %1$s::oid, tb.version, %2$s, tb.row_id, true, false'
                ' from supabase_sync.tombstone as tb'
                ' where tb.relid = %1$s::oid::regclass and tb.owner_id = $1 and tb.scope_id is null'
                ' and (tb.version, %2$s) >= ($2, $3)'
                || pg_catalog.format(upper_filter, 'tb.version', '%2$s')
                || echo_tombstones
                || ' order by tb.version, %2$s limit $9)'
                || case when below_horizon then
                    ' union all (select %1$s::oid, $6, %2$s, tb.row_id, true, false'
                    ' from supabase_sync.tombstone as tb'
                    ' where tb.relid = %1$s::oid::regclass and tb.owner_id = $1 and tb.scope_id is null'
                    ' and tb.version < $6 and %2$s >= $3'
                    || pg_catalog.format(horizon_upper, '', '%2$s')
                    || echo_tombstones
                    || ' order by %2$s limit $9)'
                else '' end,
                st.relid::oid, '(pg_catalog.hashtextextended(tb.row_id, 0) & 32767)'
            ) end
            || case when not d.scope_tombstones then '' else pg_catalog.format(
                -- Tombstones of the scope rows the caller sees.
                ' union all (select %1$s::oid, tb.version, %2$s, tb.row_id, true, false'
                ' from supabase_sync.tombstone as tb'
                ' where tb.relid = %1$s::oid::regclass and tb.scope_id = any(%3$s)'
                ' and (tb.version, %2$s) >= ($2, $3)'
                || pg_catalog.format(upper_filter, 'tb.version', '%2$s')
                || echo_tombstones
                || ' order by tb.version, %2$s limit $9)'
                || case when below_horizon then
                    ' union all (select %1$s::oid, $6, %2$s, tb.row_id, true, false'
                    ' from supabase_sync.tombstone as tb'
                    ' where tb.relid = %1$s::oid::regclass and tb.scope_id = any(%3$s)'
                    ' and tb.version < $6 and %2$s >= $3'
                    || pg_catalog.format(horizon_upper, '', '%2$s')
                    || echo_tombstones
                    || ' order by %2$s limit $9)'
                else '' end,
                st.relid::oid, '(pg_catalog.hashtextextended(tb.row_id, 0) & 32767)', k.visible
            ) end
            || case when not d.moves then '' else pg_catalog.format(
                -- Rows moved out of a scope row the caller sees into one they do not see.
                ' union all (select %1$s::oid, ae.version, %4$s, ae.row_id, true, false'
                ' from supabase_sync.access_event as ae'
                ' where ae.event = ''moved'' and ae.scope = %5$s::oid::regclass and ae.scope_id = any(%3$s)'
                ' and ae.relid = %1$s::oid::regclass and ae.version >= $2 and (ae.version, %4$s) >= ($2, $3)'
                ' and not coalesce(ae.to_scope_id = any(%3$s), false)'
                || pg_catalog.format(upper_filter, 'ae.version', '%4$s')
                || ' order by ae.version, %4$s limit $9)',
                st.relid::oid, '(pg_catalog.hashtextextended(tb.row_id, 0) & 32767)', k.visible,
                '(pg_catalog.hashtextextended(ae.row_id, 0) & 32767)', k.scope_oid
            ) end
            -- Lost scope rows: everything the caller may hold of them, at the loss.
            || case when skip_deletions or not coalesce(k.scope_oid = any(lost_in), false) then ''
                when st.kind = 'scope' then pg_catalog.format(
                    ' union all (select %1$s::oid, g.version, %2$s, g.scope_id, true, false from ' || access_rows
                    || ' where not g.gained and g.scope = %1$s and (g.version, %2$s) >= ($2, $3)'
                    || pg_catalog.format(upper_filter, 'g.version', '%2$s')
                    || ' order by g.version, %2$s limit $9)',
                    st.relid::oid, '(pg_catalog.hashtextextended(g.scope_id, 0) & 32767)'
                )
                -- (each part in bucket order from the lower position, limited: the
                -- rows by the (scope column, bucket) index, so a page reads about a
                -- page of them, not all the scope row's ids again)
                else pg_catalog.format(
                    ' union all (select %1$s::oid, g.version, x.bucket, x.row_id, true, false from ' || access_rows
                    || ' cross join lateral ('
                    '(select t.%3$I::text as row_id, %8$s as bucket from %4$s as t where t.%5$I = g.scope_id::%6$s'
                    ' and t.server_created_version < g.version and %8$s >= %9$s order by %8$s limit $9)'
                    ' union all (select tb.row_id, %10$s from supabase_sync.tombstone as tb'
                    ' where tb.relid = %1$s::oid::regclass and tb.scope_id = g.scope_id and %10$s >= %9$s'
                    ' order by %10$s limit $9)'
                    ' union all (select ae.row_id, %11$s from supabase_sync.access_event as ae'
                    ' where ae.event = ''moved'' and ae.scope = %7$s::oid::regclass and ae.scope_id = g.scope_id'
                    ' and ae.relid = %1$s::oid::regclass and %11$s >= %9$s order by %11$s limit $9)'
                    ') as x'
                    ' where not g.gained and g.scope = %7$s and (g.version, x.bucket) >= ($2, $3)'
                    || pg_catalog.format(upper_filter, 'g.version', 'x.bucket')
                    || ' order by g.version, x.bucket limit $9)',
                    st.relid::oid, null, st.id_column, st.relid,
                    k.scope_key, k.scope_key_type, k.scope_oid, k.bucket,
                    'case when g.version = $2 then $3 else 0 end',
                    '(pg_catalog.hashtextextended(tb.row_id, 0) & 32767)',
                    '(pg_catalog.hashtextextended(ae.row_id, 0) & 32767)'
                )
            end,
            ' union all '
        ),
        -- (only tables that may have deletion keys on this page)
        pg_catalog.string_agg(
            pg_catalog.format(
                ' when %1$s then exists (select from %2$s as t where t.%3$I = c.row_id::%4$s and %5$s offset 0)',
                st.relid::oid, st.relid, st.id_column, st.id_type, supabase_sync.read_filter(st.relid, false)
            ),
            ''
        ) filter (
            where d.owner_tombstones or d.scope_tombstones or d.moves
            or (not skip_deletions and coalesce(k.scope_oid = any(lost_in), false))
        )
    into branches, lives_again
    from supabase_sync.synced_table as st
    -- Per table: its scope table (itself for a scope table), the column
    -- naming the scope row, and the SQL the branches above share.
    cross join lateral (
        select
            sk.scope_oid,
            sk.scope_key,
            case when st.kind = 'scoped' then supabase_sync.column_type(st.relid, sk.scope_key) else st.id_type end
                as scope_key_type,
            pg_catalog.format('(pg_catalog.hashtextextended(t.%I::text, 0) & 32767)', st.id_column) as bucket,
            sk.visible,
            -- (a lookup in $16, the version of each gained scope row: a scan
            -- of the access events per row read cost rows x gained scope
            -- rows, and a user added to 20,000 projects timed out)
            case when coalesce(sk.scope_oid = any(gained_in), false) then pg_catalog.format(
                ' and coalesce(greatest(t.server_version, $6) >= ($16 ->> (%L || t.%I::text))::xid8, true)',
                sk.scope_oid::text || '/', sk.scope_key
            ) else '' end as not_regained,
            case when st.kind = 'scoped' then pg_catalog.format(
                'exists (select from supabase_sync.access_event as ae where ae.event = ''moved'''
                ' and ae.relid = %1$s::oid::regclass and ae.row_id = t.%2$I::text and ae.version >= $2'
                ' and not coalesce(ae.scope_id = any(%3$s), false))',
                st.relid::oid, st.id_column, sk.visible
            ) else 'false' end as moved_in
        from (
            select
                o.scope_oid,
                case st.kind when 'scoped' then st.scope_column else st.id_column end as scope_key,
                -- The ids of $14 of this table's scope table (an initplan: once
                -- per statement; the cast makes `= any(...)` compare with the
                -- array, not with a subquery).
                pg_catalog.format(
                    '(select coalesce(pg_catalog.array_agg(pg_catalog.substr(x.id, %s)), ''{}'')'
                    ' from pg_catalog.unnest($14) as x (id) where pg_catalog.starts_with(x.id, %L))::text[]',
                    pg_catalog.length(o.scope_oid::text) + 2, o.scope_oid::text || '/'
                ) as visible
            from (
                select case st.kind when 'scoped' then st.scope::oid when 'scope' then st.relid::oid end as scope_oid
            ) as o
        ) as sk
        -- (offset 0: each function above runs once per table, however often
        -- the branches name its column)
        offset 0
    ) as k
    -- A scoped table of a wide scope table with its (server_version, bucket)
    -- index (index.version_bucket): its changed rows are first one range of
    -- that index, $15 entries at most, keeping the rows of the caller's scope
    -- rows ($14), row_limit at most, stopping there; when that range holds
    -- neither row_limit of them nor the table's last entry, the per-scope-row
    -- ranges answer instead (a one-time filter: only one of the two runs).
    -- The rows come out of the two CTEs in the index's order.
    cross join lateral (
        select
            case when ranged.wide then pg_catalog.format(
                '(select w.* from (with scan as materialized ('
                'select t.server_version, t.%4$I, t.%5$I, t.instance_id, t.deleted_at, %3$s as supabase_sync_bucket'
                ' from %2$s as t where (t.server_version, %3$s) >= ($2, $3)'
                || pg_catalog.format(upper_filter, 't.server_version', '%3$s')
                || ' order by t.server_version, %3$s limit $15),'
                ' hits as materialized (select %1$s::oid as relid, t.server_version as version,'
                ' t.supabase_sync_bucket as bucket, t.%4$I::text as row_id, false as tombstone, %7$s as fresh'
                ' from scan as t where (%8$L || t.%5$I::text) = any($14)' || echo_rows || live_rows || '%6$s'
                ' limit $9)'
                ' select h.* from hits as h where ' || wide_exact || ' union all select y.* from (',
                st.relid::oid, st.relid, k.bucket, st.id_column, k.scope_key, k.not_regained, k.moved_in,
                k.scope_oid::text || '/'
            ) else '' end as head,
            case when ranged.wide then ') as y where not ' || wide_exact || ') as w)' else '' end as tail
        from (
            select st.kind = 'scoped' and coalesce(k.scope_oid = any(wide_scopes), false) and exists (
                select from pg_catalog.pg_index as i
                where i.indrelid = st.relid and i.indisvalid and i.indpred is null and i.indnatts >= 2
                    and i.indkey[0] = (
                        select a.attnum from pg_catalog.pg_attribute as a
                        where a.attrelid = st.relid and a.attname = 'server_version'
                    )
                    and i.indkey[1] = 0
                    and pg_catalog.pg_get_indexdef(i.indexrelid, 2, false) like '%hashtextextended%32767%'
            ) as wide
        ) as ranged
    ) as w
    -- Whether the table has deletion keys of each kind at or above lower (a
    -- probe of the index each branch reads): a branch that cannot return a
    -- key is left out of the statement, so it costs no planning. The common
    -- pull, with no deletion since the cursor, plans only its changed rows.
    cross join lateral (
        select
            not skip_deletions and (below_horizon or exists (
                select from supabase_sync.tombstone as tb
                where tb.relid = st.relid and tb.owner_id = uid and tb.scope_id is null and tb.version >= lower_version
            )) as owner_tombstones,
            not skip_deletions and st.kind = 'scoped' and (below_horizon or exists (
                select from supabase_sync.tombstone as tb
                where tb.relid = st.relid and tb.scope_id = any(v.ids) and tb.version >= lower_version
            )) as scope_tombstones,
            not skip_deletions and st.kind = 'scoped' and exists (
                select from supabase_sync.access_event as ae
                where ae.event = 'moved' and ae.scope = st.scope and ae.scope_id = any(v.ids) and ae.relid = st.relid
                    and ae.version >= lower_version
            ) as moves
        from (
            select array(
                select pg_catalog.substr(x.id, pg_catalog.length(k.scope_oid::text) + 2)
                from pg_catalog.unnest(scope_ids) as x (id)
                where pg_catalog.starts_with(x.id, k.scope_oid::text || '/')
            ) as ids
        ) as v
    ) as d
    where st.relid = any(relids);

    if branches is null then
        return;
    end if;
    return query execute
        'select c.relid, c.version, c.bucket::integer, c.row_id, c.tombstone,'
        || ' c.tombstone and ' || coalesce('case c.relid' || lives_again || ' end', 'false') || ', c.fresh'
        -- One key per id: its row when the caller sees it, else its latest
        -- deletion (a scope row deleted by its owner is both a tombstone and
        -- a loss; a row may have left several lost scope rows).
        || ' from (select d.relid, d.version, d.bucket, d.row_id, d.tombstone, d.fresh from ('
        || 'select distinct on (u.relid, u.row_id) u.relid, u.version, u.bucket, u.row_id, u.tombstone, u.fresh'
        || ' from (' || branches || ') as u'
        || ' order by u.relid, u.row_id, u.tombstone, u.version desc, u.bucket desc) as d'
        || ' order by d.version, d.bucket, d.relid, d.row_id limit $9) as c'
        || ' order by c.version, c.bucket, c.relid, c.row_id'
    using uid, lower_version, lower_bucket, upper_version, upper_bucket, horizon, skip_deletions, echo_of, row_limit,
        access_scopes, access_ids, access_versions, access_gained, scope_ids, 4 * row_limit, gained_at;
end;
$$;

revoke all on function supabase_sync.pull_keys(
    regclass[], xid8, integer, xid8, integer, xid8, boolean, uuid, integer
) from public, anon;
grant execute on function supabase_sync.pull_keys(
    regclass[], xid8, integer, xid8, integer, xid8, boolean, uuid, integer
) to authenticated;

comment on function supabase_sync.pull_keys(regclass[], xid8, integer, xid8, integer, xid8, boolean, uuid, integer) is
'supabase-sync: key phase of a pull (positions and ids of the caller''s changes), as the table owner.';
