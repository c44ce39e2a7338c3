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
    uid uuid := auth.uid();
    watermark xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
    since_version xid8;
    lower_bound xid8;
    upper_bound xid8;
    next_cursor xid8;
    has_more boolean := false;
    echo_of uuid;
    candidate_sql text;
    candidates xid8[];
    boundary xid8;
    tbl record;
    page json;
    names text[] := '{}'::text[];
    pages json[] := '{}'::json[];
begin
    if uid is null then
        raise exception using
            errcode = '42501',
            message = pg_catalog.format('supabase_sync: %s needs a signed-in user', caller),
            detail = 'auth.uid() is null: the request carries no user JWT.',
            hint = 'Call it with the access token of a signed-in user (role authenticated).';
    end if;
    since_version := supabase_sync.check_cursor(since, caller, true);
    if collections is not null then
        perform supabase_sync.check_collections(collections, caller);
    end if;
    lower_bound := coalesce(since_version, '0'::xid8);
    -- A client's own writes are left out only on incremental pulls, so a
    -- reinstalled client pulling everything still gets them.
    echo_of := case when since_version is not null then client_id end;
    next_cursor := watermark;

    if page_size is not null then
        select pg_catalog.string_agg(
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
        ) into candidate_sql
        from supabase_sync.synced_collection as sc
        where collections is null or sc.collection = any(collections);

        if candidate_sql is not null then
            execute 'select pg_catalog.array_agg(c.v order by c.v) from (select u.v from ('
                || candidate_sql || ') as u order by u.v limit $4) as c'
            into candidates
            using uid, lower_bound, echo_of, page_size + 1;
        end if;
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

    for tbl in
        select sc.collection, sc.relid, sc.owner_column, sc.id_column, sc.id_type
        from supabase_sync.synced_collection as sc
        where collections is null or sc.collection = any(collections)
        order by sc.dependency_rank, sc.collection
    loop
        -- Built as json (text) and turned into jsonb once at the end: nesting
        -- jsonb values re-encodes them at every level, which doubles the cost
        -- of a large page. Tombstones of rows that live again are not reported.
        execute pg_catalog.format(
            'select pg_catalog.json_build_object('
            '''created'', coalesce(pg_catalog.json_agg(c.doc) filter (where c.kind = ''c''), ''[]''::json), '
            '''updated'', coalesce(pg_catalog.json_agg(c.doc) filter (where c.kind = ''u''), ''[]''::json), '
            '''deleted'', coalesce(pg_catalog.json_agg(c.row_id) filter (where c.kind = ''d''), ''[]''::json))'
            ' from ('
            'select case when t.deleted_at is null then pg_catalog.to_json(t) end as doc,'
            ' t.%2$I::text as row_id,'
            ' case when t.deleted_at is not null then ''d'''
            ' when $5 or t.server_created_version >= $2 then ''c'' else ''u'' end as kind'
            ' from %1$s as t'
            ' where t.%3$I = $1 and t.server_version >= $2'
            ' and ($4::xid8 is null or t.server_version < $4)'
            ' and ($3::uuid is null or t.instance_id is distinct from $3)'
            ' union all '
            'select null, tb.row_id, ''d'''
            ' from supabase_sync.tombstone as tb'
            ' where tb.relid = %4$L::regclass and tb.owner_id = $1 and tb.version >= $2'
            ' and ($4::xid8 is null or tb.version < $4)'
            ' and ($3::uuid is null or tb.instance_id is distinct from $3)'
            ' and not exists (select from %1$s as live where live.%3$I = $1 and live.%2$I = tb.row_id::%5$s)'
            ') as c',
            tbl.relid, tbl.id_column, tbl.owner_column, tbl.relid::oid, tbl.id_type
        )
        into page
        using uid, lower_bound, echo_of, upper_bound, since_version is null;
        names := names || tbl.collection;
        pages := pages || page;
    end loop;

    return pg_catalog.json_build_object(
        'changes', coalesce(
            (select pg_catalog.json_object_agg(p.name, p.page) from rows from (pg_catalog.unnest(names), pg_catalog.unnest(pages)) as p (name, page)),
            '{}'::json
        ),
        'timestamp', next_cursor::text::bigint,
        'has_more', has_more
    )::jsonb;
end;
$$;

revoke all on function supabase_sync.pull_page(bigint, text[], uuid, integer, text) from public, anon;
grant execute on function supabase_sync.pull_page(bigint, text[], uuid, integer, text) to authenticated;

comment on function supabase_sync.pull_page(bigint, text[], uuid, integer, text) is
'supabase-sync: one page of the caller''s changes since a cursor (core of sync_pull and pull_changes).';
