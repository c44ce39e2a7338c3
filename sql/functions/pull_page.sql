-- The core of sync_pull and pull_changes: one page of the caller's changes since
-- a cursor. See docs/protocol.md ("Cursor", "Paging") for the contract; the
-- reasoning in short:
--
-- Positions. A row's position is (server_version, bucket), bucket =
-- hashtextextended(id::text, 0) & 32767, compared as a pair. Below the largest
-- retention horizon H of the requested tables every version counts as H (see
-- pull_keys). A cursor C means: every row at a position below C was delivered.
-- X = xmin of the current snapshot: every transaction with an xid below X has
-- finished, and any later write gets a version >= X; so no row can still
-- appear below W = (max(X, H), 0), and a cursor never passes W.
--
-- Paging: the key phase (pull_keys, as the table owner, through the indexes)
-- returns the candidates at or above C in position order, page_size + 1 at
-- most. With B the position of candidate page_size + 1:
--   fewer candidates, or B >= W   the page is every candidate below B (at most
--                                 page_size, all of those below W among them),
--                                 cursor max(C, W), has_more false
--   first < B < W                 every candidate below B, cursor B, has_more
--   first = B < W                 one bucket of one version alone fills the
--                                 page: that whole bucket (documented bound:
--                                 32768 buckets, so page_size * 32768 rows of
--                                 one user in one transaction), cursor just
--                                 after B, has_more
-- so each id comes at most once per page, no row is skipped, a page boundary
-- never passes W, and has_more is true only while rows below W remain (a
-- long-open transaction holds X back without making clients loop).
--
-- Cost: the registry row of each table is read once (collection and id type
-- are stored there; no pg_class). The page phase (this function, SECURITY
-- INVOKER, under RLS) fetches the page's rows by primary key, one probe per
-- key (the id equality is leakproof, so RLS keeps the index; see page_rows) and builds the jsonb in one pass: each
-- kind is a plain `array_agg(t)` of table rows, a table's entry is a row
-- (created, updated, deleted), `changes` a row with one column per collection,
-- and jsonb_build_object turns all of it into jsonb at once. Tables without a
-- change in the page cost nothing. A collection name longer than a column name
-- (63 bytes) falls back to jsonb_object_agg.
--
-- Shared tables (docs/protocol.md "Sharing (scopes)"): the key phase also
-- places the rows of scope rows the caller gained, and the ids of those they
-- lost or whose rows moved away, at positions of their own; it marks `fresh`
-- the rows that reach the caller as created whatever their position (gained,
-- or moved in from a scope row the caller does not see).
--
-- A pull from null lists no deleted ids (the device has nothing to delete),
-- unless `deletions_from_null`: the Drift wrappers' clients treat a resync as
-- incremental (they know no PT410) and need them.
--
-- STABLE on purpose: every statement of the function (and pull_keys) reads the
-- one snapshot X was taken from.
create or replace function supabase_sync.pull_page(
    since bigint,
    collections text[],
    client_id uuid,
    page_size integer,
    caller text,
    deletions_from_null boolean
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    snapshot_xmin xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
    since_position record;
    horizon xid8;
    lower_version xid8;
    lower_bucket integer;
    watermark xid8;
    next_version xid8;
    next_bucket integer;
    has_more boolean := false;
    echo_of uuid;
    relids regclass[];
    names text[];
    short_names boolean;
    key_relids oid[];
    key_ids text[];
    key_tombstones boolean[];
    key_hidden boolean[];
    key_versions xid8[];
    key_buckets integer[];
    key_fresh boolean[];
    boundary_version xid8;
    boundary_bucket integer;
    page_relids oid[];
    page_ids text[];
    page_tombstones boolean[];
    page_fresh boolean[];
    entry_sql text[];
    changes_sql text;
    page jsonb;
    key_functions text[];
    page_functions text[];
    as_strings boolean[];
    changes jsonb;
    entry jsonb;
    -- the most rows a page builds through the compiled page functions
    compiled_page_rows constant integer := 100;
    table_live text[];
    table_deleted text[];
    table_fresh text[];
begin
    -- (Its RPCs, sync_pull and pull_changes, have checked the caller; the
    -- key functions, which read past RLS, check it again.)
    since_position := supabase_sync.check_cursor(since => since, caller => caller, collections => collections);

    -- The requested tables, and their compiled key functions when every one
    -- is an owner or scoped table whose compiled key function is fresh (its
    -- fingerprint is the table's current one: docs/protocol.md "Compiled
    -- functions"), unless the setting supabase_sync.compiled_functions is
    -- 'off'; else key_functions is null and the generic path runs. Their
    -- compiled page functions when every one's is fresh too; else
    -- page_functions is null and the generic page phase builds the page.
    select
        pg_catalog.array_agg(st.relid order by st.dependency_rank, st.collection),
        pg_catalog.array_agg(st.collection order by st.dependency_rank, st.collection),
        pg_catalog.bool_and(pg_catalog.octet_length(st.collection) <= 63),
        coalesce(pg_catalog.max(st.horizon), '0'::xid8),
        case
            -- (coalesce: bool_and skips nulls, and a table without compiled
            -- functions compares null)
            when pg_catalog.bool_and(coalesce(st.kind in ('owner', 'scoped') and ck.fingerprint = fp.current, false))
                and pg_catalog.current_setting('supabase_sync.compiled_functions', true) is distinct from 'off'
                then pg_catalog.array_agg(
                    ck.function_name::oid::regproc::text order by st.dependency_rank, st.collection
                )
        end,
        case
            when pg_catalog.bool_and(coalesce(st.kind in ('owner', 'scoped') and cp.fingerprint = fp.current, false))
                then pg_catalog.array_agg(
                    cp.function_name::oid::regproc::text order by st.dependency_rank, st.collection
                )
        end,
        pg_catalog.array_agg(
            coalesce(
                st.big_numbers,
                (select m.value from supabase_sync.meta as m where m.key = 'big_numbers'),
                'number'
            ) = 'string'
            order by st.dependency_rank, st.collection
        )
    into relids, names, short_names, horizon, key_functions, page_functions, as_strings
    from supabase_sync.synced_table as st
    left join supabase_sync.compiled_function as ck on st.relid = ck.relid and ck.purpose = 'pull_keys'
    left join supabase_sync.compiled_function as cp on st.relid = cp.relid and cp.purpose = 'pull_page'
    -- (offset 0: once per table, however often it is compared)
    cross join lateral (
        select case when ck.relid is not null then supabase_sync.compiled_fingerprint(st.relid) end as current offset 0
    ) as fp
    where collections is null or st.collection = any(collections);

    if collections is not null and not coalesce(collections <@ names, collections = '{}'::text[]) then
        -- Raises 22023 naming the first requested name that is not synced.
        perform supabase_sync.check_collections(collections, caller);
    end if;

    if since_position.ahead then
        -- A hot standby whose replay has not reached the cursor yet: nothing
        -- new, and the same cursor back (it loses nothing).
        return pg_catalog.jsonb_build_object('changes', '{}'::jsonb, 'timestamp', since, 'has_more', false);
    end if;

    -- A client's own writes are left out only on incremental pulls, so a
    -- reinstalled client pulling everything still gets them.
    echo_of := case when since is not null then client_id end;
    lower_version := coalesce(since_position.version, '0'::xid8);
    lower_bucket := coalesce(since_position.bucket, 0);
    if lower_version < horizon then
        -- Only a pull from null gets here (check_cursor refuses older cursors).
        lower_version := horizon;
        lower_bucket := 0;
    end if;
    watermark := greatest(snapshot_xmin, horizon);
    next_version := watermark;
    next_bucket := 0;
    if (lower_version, lower_bucket) > (next_version, next_bucket) then
        next_version := lower_version;
        next_bucket := lower_bucket;
    end if;

    if relids is not null then
        select
            pg_catalog.array_agg(k.relid order by k.ord),
            pg_catalog.array_agg(k.row_id order by k.ord),
            pg_catalog.array_agg(k.tombstone order by k.ord),
            pg_catalog.array_agg(k.hidden order by k.ord),
            pg_catalog.array_agg(k.version order by k.ord),
            pg_catalog.array_agg(k.bucket order by k.ord),
            pg_catalog.array_agg(k.fresh order by k.ord)
        into key_relids, key_ids, key_tombstones, key_hidden, key_versions, key_buckets, key_fresh
        from supabase_sync.pull_candidates(
            key_functions => key_functions, relids => relids, lower_version => lower_version, lower_bucket => lower_bucket,
            upper_version => null, upper_bucket => null, horizon => horizon,
            skip_deletions => since is null and not deletions_from_null, echo_of => echo_of, row_limit => page_size + 1
        ) with ordinality as k (relid, version, bucket, row_id, tombstone, hidden, fresh, ord);
        if pg_catalog.cardinality(key_versions) > page_size then
            boundary_version := key_versions[page_size + 1];
            boundary_bucket := key_buckets[page_size + 1];
            if (boundary_version, boundary_bucket) < (watermark, 0) then
                has_more := true;
                next_version := boundary_version;
                next_bucket := boundary_bucket;
            end if;
            if has_more and (key_versions[1], key_buckets[1]) = (boundary_version, boundary_bucket) then
                -- One bucket of one version fills the page: all of it, and the
                -- cursor just after it.
                if boundary_bucket < 32767 then
                    next_bucket := boundary_bucket + 1;
                else
                    next_version := ((boundary_version::text::bigint) + 1)::text::xid8;
                    next_bucket := 0;
                end if;
                select
                    pg_catalog.array_agg(k.relid order by k.ord), pg_catalog.array_agg(k.row_id order by k.ord),
                    pg_catalog.array_agg(k.tombstone order by k.ord), pg_catalog.array_agg(k.hidden order by k.ord),
                    pg_catalog.array_agg(k.version order by k.ord), pg_catalog.array_agg(k.bucket order by k.ord),
                    pg_catalog.array_agg(k.fresh order by k.ord)
                into key_relids, key_ids, key_tombstones, key_hidden, key_versions, key_buckets, key_fresh
                from supabase_sync.pull_candidates(
                    key_functions => key_functions, relids => relids, lower_version => boundary_version, lower_bucket => boundary_bucket,
                    upper_version => next_version, upper_bucket => next_bucket, horizon => horizon,
                    skip_deletions => since is null and not deletions_from_null, echo_of => echo_of, row_limit => null
                ) with ordinality as k (relid, version, bucket, row_id, tombstone, hidden, fresh, ord);
                boundary_version := next_version;
                boundary_bucket := next_bucket;
            end if;
        end if;
        -- The page: the candidates below the boundary (all of them without
        -- one), tombstones of rows the caller holds again left out.
        select
            pg_catalog.array_agg(c.r order by c.ord),
            pg_catalog.array_agg(c.i order by c.ord),
            pg_catalog.array_agg(c.tb order by c.ord),
            pg_catalog.array_agg(c.f order by c.ord)
        into page_relids, page_ids, page_tombstones, page_fresh
        from rows from (
            pg_catalog.unnest(key_relids), pg_catalog.unnest(key_ids), pg_catalog.unnest(key_tombstones),
            pg_catalog.unnest(key_hidden), pg_catalog.unnest(key_versions), pg_catalog.unnest(key_buckets),
            pg_catalog.unnest(key_fresh)
        ) with ordinality as c (r, i, tb, h, v, b, f, ord)
        where not c.h and (boundary_version is null or (c.v, c.b) < (boundary_version, boundary_bucket));
    end if;

    if page_functions is not null and key_functions is not null
        and coalesce(pg_catalog.cardinality(page_ids), 0) <= compiled_page_rows then
        -- The compiled path: each table's entry from its compiled page
        -- function (the same entry the generic SQL below builds), a table
        -- without a change on the page an empty one. Only for small pages:
        -- what it saves is planning, a fixed cost per call, while on a page
        -- of 1,000 rows it cost about 10% more than the one generic statement
        -- below (docs/benchmarks.md); a bigger page takes the generic page
        -- phase after the compiled key phase.
        changes := '{}'::jsonb;
        for n in 1..pg_catalog.cardinality(relids) loop
            if coalesce(relids[n]::oid = any(page_relids), false) then
                -- The table's keys: live, tombstones, and the live ones marked fresh.
                select
                    coalesce(pg_catalog.array_agg(c.i) filter (where not c.tb), '{}'),
                    coalesce(pg_catalog.array_agg(c.i) filter (where c.tb), '{}'),
                    coalesce(pg_catalog.array_agg(c.i) filter (where c.f and not c.tb), '{}')
                into table_live, table_deleted, table_fresh
                from rows from (pg_catalog.unnest(page_relids), pg_catalog.unnest(page_ids),
                    pg_catalog.unnest(page_tombstones), pg_catalog.unnest(page_fresh)) as c (r, i, tb, f)
                where c.r = relids[n]::oid;
                execute pg_catalog.format('select %s($1, $2, $3, $4, $5, $6, $7, $8, $9)', page_functions[n])
                into entry
                using
                    table_live, table_deleted, table_fresh, lower_version, lower_bucket, horizon, since is not null,
                    since is not null or deletions_from_null, as_strings[n];
            else
                entry := '{"created": [], "updated": [], "deleted": []}'::jsonb;
            end if;
            changes := changes || pg_catalog.jsonb_build_object(names[n], entry);
        end loop;
        return pg_catalog.jsonb_build_object(
            'changes', changes,
            'timestamp', supabase_sync.encode_cursor(next_version, next_bucket),
            'has_more', has_more
        );
    end if;

    -- One entry per requested table; parameters $1..$3 the page's keys, $4 the
    -- horizon, $5/$6 the lower position (created vs updated, incremental pulls),
    -- $9 the keys' `fresh` flags (created whatever the position).
    select pg_catalog.array_agg(
        case
            when not coalesce(st.relid::oid = any(page_relids), false) then pg_catalog.format(
                '(select e from (select ''{}''::%1$s[] as created, ''{}''::%1$s[] as updated,'
                ' ''{}''::text[] as deleted) as e)',
                st.relid
            )
            else pg_catalog.format(
                '(select e from (select '
                'coalesce((select ' || agg.rows || ' from %1$s), ' || agg.empty || ') as created, '
                '%2$s as updated, '
                '%3$s as deleted'
                ') as e)',
                pg_catalog.format(
                    page_rows.sql,
                    ' and t.deleted_at is null'
                    || case when since is not null then pg_catalog.format(
                        ' and ((greatest(t.server_created_version, $4),'
                        ' pg_catalog.hashtextextended(t.%1$I::text, 0) & 32767) >= ($5, $6) or t.%1$I = any(%2$s))',
                        st.id_column, fresh_ids.sql
                    ) else '' end
                ),
                case
                    when since is null then agg.empty || pg_catalog.format(
                        case when agg.columns is null then '::%s[]' else '' end, st.relid
                    )
                    else 'coalesce((select ' || agg.rows || ' from '
                        || pg_catalog.format(
                            page_rows.sql,
                            pg_catalog.format(
                                ' and t.deleted_at is null and ((greatest(t.server_created_version, $4),'
                                ' pg_catalog.hashtextextended(t.%1$I::text, 0) & 32767) >= ($5, $6)) is not true'
                                ' and not t.%1$I = any(%2$s)',
                                st.id_column, fresh_ids.sql
                            )
                        )
                        || '), ' || agg.empty || ')'
                end,
                case
                    -- The key phase skipped every deletion (a pull from null).
                    when since is null and not deletions_from_null then '''{}''::text[]'
                    else 'coalesce((select pg_catalog.array_agg(distinct d.row_id) from ('
                        || pg_catalog.format('select (t).%I::text as row_id from ', st.id_column)
                        || pg_catalog.format(page_rows.sql, ' and t.deleted_at is not null')
                        || ' union all '
                        || pg_catalog.format(
                            'select c.i from rows from (pg_catalog.unnest($1), pg_catalog.unnest($2),'
                            ' pg_catalog.unnest($3)) as c (r, i, tb) where c.r = %s and c.tb',
                            st.relid::oid
                        )
                        || ') as d), ''{}''::text[])'
                end
            )
        end
        order by st.dependency_rank, st.collection
    )
    into entry_sql
    from supabase_sync.synced_table as st
    -- How a table's rows are aggregated: as table rows (to jsonb once, at the
    -- end), or, for a table whose int8/numeric columns go out as strings
    -- (issue 11.9, supabase_sync.big_numbers_row), as jsonb rows converted here.
    cross join lateral (
        select
            cols.columns,
            case when cols.columns is null then 'pg_catalog.array_agg(t)'
            else pg_catalog.format(
                'pg_catalog.jsonb_agg(supabase_sync.big_numbers_row(%s::oid::regclass, pg_catalog.to_jsonb(t), %L::text[]))',
                st.relid::oid, cols.columns
            ) end as rows,
            case when cols.columns is null then '''{}''' else '''[]''::jsonb' end as empty
        -- (offset 0: the function runs once per table, not once per use of its column)
        from (select supabase_sync.big_number_columns(st.relid) as columns offset 0) as cols
    ) as agg
    -- The ids of the table's rows the key phase marked `fresh` (created for
    -- the caller: a gained scope row, a move in from a scope row they do not see).
    cross join lateral (
        select pg_catalog.format(
            'array(select c.i::%s from rows from (pg_catalog.unnest($1), pg_catalog.unnest($2),'
            ' pg_catalog.unnest($3), pg_catalog.unnest($9)) as c (r, i, tb, f) where c.r = %s and c.f and not c.tb)',
            st.id_type, st.relid::oid
        ) as sql
    ) as fresh_ids
    -- The page's rows of the table, by primary key, one probe per key: a
    -- lateral subquery kept apart by `offset 0`, so the planner sees an
    -- equality on the primary key (one row) and never prefers the select
    -- policy's `scope column = any(...)` index, whose array it cannot size
    -- (once analyzed, it read all 20,000 tasks of a user's 20,000 projects
    -- per statement that way). `%s`: the conditions on t beyond the key; the
    -- row comes out as column t.
    cross join lateral (
        select pg_catalog.format(
            '(select c.i::%1$s as id from rows from (pg_catalog.unnest($1), pg_catalog.unnest($2),'
            ' pg_catalog.unnest($3)) as c (r, i, tb) where c.r = %2$s and not c.tb) as k'
            ' cross join lateral (select t from %3$s as t where t.%4$I = k.id%%s offset 0) as x (t)',
            st.id_type, st.relid::oid, st.relid, st.id_column
        ) as sql
    ) as page_rows
    where st.relid = any(relids);

    if names is null then
        changes_sql := '''{}''::jsonb';
    elsif short_names then
        -- A row whose column names are the collections: no re-encoding.
        select '(select c from (select '
            || pg_catalog.string_agg(pg_catalog.format('%s as %I', p.entry, p.name), ', ' order by p.ord)
            || ') as c)'
        into changes_sql
        from rows from (pg_catalog.unnest(entry_sql), pg_catalog.unnest(names)) with ordinality as p (entry, name, ord);
    else
        select '(select pg_catalog.jsonb_object_agg(c.name, c.entry) from ('
            || pg_catalog.string_agg(
                pg_catalog.format('select %L as name, pg_catalog.to_jsonb(%s) as entry', p.name, p.entry),
                ' union all ' order by p.ord
            )
            || ') as c)'
        into changes_sql
        from rows from (pg_catalog.unnest(entry_sql), pg_catalog.unnest(names)) with ordinality as p (entry, name, ord);
    end if;

    execute 'select pg_catalog.jsonb_build_object(''changes'', ' || changes_sql
        || ', ''timestamp'', $7, ''has_more'', $8)'
    into page
    using page_relids, page_ids, page_tombstones, horizon, lower_version, lower_bucket,
        supabase_sync.encode_cursor(next_version, next_bucket), has_more, page_fresh;
    return page;
end;
$$;

revoke all on function supabase_sync.pull_page(bigint, text[], uuid, integer, text, boolean) from public, anon;
grant execute on function supabase_sync.pull_page(bigint, text[], uuid, integer, text, boolean) to authenticated;

comment on function supabase_sync.pull_page(bigint, text[], uuid, integer, text, boolean) is
'supabase-sync: one page of the caller''s changes since a cursor (core of sync_pull and pull_changes).';
