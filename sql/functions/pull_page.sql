-- The core of sync_pull and pull_changes: one page of the caller's changes since
-- a cursor. See docs/protocol.md for the contract; the reasoning in short:
--
-- The cursor is a transaction-id watermark. X = xmin of the current snapshot:
-- every transaction with an xid below X has finished, so every row version below
-- X is visible now, and any later write (by a transaction still running, or not
-- yet started) gets a version >= X. Rows are selected by `server_version >= since`
-- (inclusive: a row may come twice, never zero times) and the next cursor is
-- never above X.
--
-- Paging: candidates (rows and tombstones of the requested tables, ordered by
-- version) are read through the (owner, version) indexes, page_size + 1 at most.
-- With B the version of candidate page_size + 1:
--   B null or B >= X   everything fits: return all visible candidates, cursor X
--   first < B          return versions < B, cursor B, has_more
--   first = B          one transaction alone fills the page: return its whole
--                      group (version = B), cursor B + 1, has_more
-- so one transaction's rows are never split across pages, and a page boundary
-- never passes X.
--
-- Cost: the registry is read once, and every per-table SQL text is built from
-- that one read; a call then runs at most two dynamic statements (the
-- candidates, only when paging, and the page). The page is built as jsonb in
-- one pass: each kind is a plain `array_agg(t)` of table rows (no FILTER, no
-- per-row json), a table's entry is a row (created, updated, deleted),
-- `changes` a row with one column per collection, and jsonb_build_object turns
-- all of it into jsonb at once. (Nesting jsonb values instead re-encodes them
-- at every level; building json text and casting it parses the page again.)
-- A collection name longer than a column name (63 bytes) falls back to
-- jsonb_object_agg, which is correct but re-encodes each table's entry once.
-- On an initial pull every live row is "created", so `updated` is not queried.
--
-- STABLE on purpose: every statement of the function then reads the one snapshot
-- X was taken from.
create or replace function supabase_sync.pull_page(
    since bigint,
    collections text[],
    client_id uuid,
    page_size integer,
    caller text
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    uid uuid := supabase_sync.require_user(caller);
    watermark xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
    since_version xid8;
    lower_bound xid8;
    upper_bound xid8;
    next_cursor xid8;
    has_more boolean := false;
    echo_of uuid;
    names text[];
    short_names boolean;
    candidate_sql text;
    entry_sql text[];
    candidates xid8[];
    boundary xid8;
    changes_sql text;
    page jsonb;
begin
    since_version := supabase_sync.check_cursor(since, caller, true);
    lower_bound := coalesce(since_version, '0'::xid8);
    -- A client's own writes are left out only on incremental pulls, so a
    -- reinstalled client pulling everything still gets them.
    echo_of := case when since_version is not null then client_id end;
    next_cursor := watermark;

    -- One read of the registry: the requested tables and, for each, the SQL
    -- text of its candidates and of its entry in the page. Parameters of both:
    -- $1 uid, $2 lower bound, $3 echo filter (client id or null), $4 the
    -- candidate limit / the page's upper bound (null: none). Tombstones of rows
    -- that live again are not reported.
    select
        pg_catalog.array_agg(sc.collection order by sc.dependency_rank, sc.collection),
        pg_catalog.bool_and(pg_catalog.octet_length(sc.collection) <= 63),
        pg_catalog.string_agg(
            pg_catalog.format(
                '(select t.server_version as v from %1$s as t'
                ' where t.%2$I = $1 and t.server_version >= $2'
                ' and ($3::uuid is null or t.instance_id is distinct from $3)'
                ' order by t.server_version limit $4)'
                ' union all '
                '(select tb.version as v from supabase_sync.tombstone as tb'
                ' where tb.relid = %3$L::regclass and tb.owner_id = $1 and tb.version >= $2'
                ' and ($3::uuid is null or tb.instance_id is distinct from $3)'
                ' order by tb.version limit $4)',
                sc.relid, sc.owner_column, sc.relid::oid
            ),
            ' union all '
        ),
        pg_catalog.array_agg(
            pg_catalog.format(
                '(select e from (select '
                'coalesce((select pg_catalog.array_agg(t) from %1$s as t where %6$s and t.deleted_at is null%7$s),'
                ' ''{}'') as created, '
                '%8$s as updated, '
                'coalesce((select pg_catalog.array_agg(d.row_id) from ('
                'select t.%2$I::text as row_id from %1$s as t where %6$s and t.deleted_at is not null'
                ' union all '
                'select tb.row_id from supabase_sync.tombstone as tb'
                ' where tb.relid = %4$L::regclass and tb.owner_id = $1 and tb.version >= $2'
                ' and ($4::xid8 is null or tb.version < $4)'
                ' and ($3::uuid is null or tb.instance_id is distinct from $3)'
                ' and not exists (select from %1$s as live where live.%3$I = $1 and live.%2$I = tb.row_id::%5$s)'
                ') as d), ''{}''::text[]) as deleted'
                ') as e)',
                sc.relid, sc.id_column, sc.owner_column, sc.relid::oid, sc.id_type,
                pg_catalog.format(
                    't.%I = $1 and t.server_version >= $2'
                    ' and ($4::xid8 is null or t.server_version < $4)'
                    ' and ($3::uuid is null or t.instance_id is distinct from $3)',
                    sc.owner_column
                ),
                case when since_version is not null then ' and t.server_created_version >= $2' else '' end,
                case
                    when since_version is null then pg_catalog.format('''{}''::%s[]', sc.relid)
                    else pg_catalog.format(
                        'coalesce((select pg_catalog.array_agg(t) from %1$s as t where t.%2$I = $1'
                        ' and t.server_version >= $2 and ($4::xid8 is null or t.server_version < $4)'
                        ' and ($3::uuid is null or t.instance_id is distinct from $3)'
                        ' and t.deleted_at is null and (t.server_created_version >= $2) is not true), ''{}'')',
                        sc.relid, sc.owner_column
                    )
                end
            )
            order by sc.dependency_rank, sc.collection
        )
    into names, short_names, candidate_sql, entry_sql
    from supabase_sync.synced_collection as sc
    where collections is null or sc.collection = any(collections);

    if collections is not null and not coalesce(collections <@ names, collections = '{}'::text[]) then
        -- Raises 22023 naming the first requested name that is not synced.
        perform supabase_sync.check_collections(collections, caller);
    end if;

    if page_size is not null and candidate_sql is not null then
        execute 'select pg_catalog.array_agg(c.v order by c.v) from (select u.v from ('
            || candidate_sql || ') as u order by u.v limit $4) as c'
        into candidates
        using uid, lower_bound, echo_of, page_size + 1;
        boundary := candidates[page_size + 1];
        if boundary is not null and boundary < watermark then
            has_more := true;
            if candidates[1] < boundary then
                upper_bound := boundary;
            else
                upper_bound := ((boundary::text::bigint) + 1)::text::xid8;
            end if;
            next_cursor := upper_bound;
        end if;
    end if;

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
        || ', ''timestamp'', $5, ''has_more'', $6)'
    into page
    using uid, lower_bound, echo_of, upper_bound, next_cursor::text::bigint, has_more;
    return page;
end;
$$;

revoke all on function supabase_sync.pull_page(bigint, text[], uuid, integer, text) from public, anon;
grant execute on function supabase_sync.pull_page(bigint, text[], uuid, integer, text) to authenticated;

comment on function supabase_sync.pull_page(bigint, text[], uuid, integer, text) is
'supabase-sync: one page of the caller''s changes since a cursor (core of sync_pull and pull_changes).';
