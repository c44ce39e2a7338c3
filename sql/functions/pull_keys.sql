-- The key phase of a pull (docs/protocol.md "Paging"): the positions and ids of
-- the caller's candidate rows and tombstones at or above `lower` (and below
-- `upper` when given), in position order, `row_limit` at most (null: all).
-- A position is (version, bucket), bucket = hashtextextended(id::text, 0) &
-- 32767; rows below the `horizon` version count as version `horizon` (so every
-- cursor returned after a purge or TRUNCATE is at or above the horizon, and a
-- paged resync never answers PT410 for a cursor the server itself returned).
--
-- Why SECURITY DEFINER: under RLS the planner may use only leakproof quals as
-- index conditions, and neither the bucket hash nor the text -> uuid cast of
-- the tombstone check is leakproof; as the table owner (who bypasses RLS: the
-- contract requirement "rls.key_function_bypasses") the (owner, version,
-- bucket) index serves the range and the primary key serves "lives again". It
-- returns nothing but keys, and only the caller's (supabase_sync.read_filter: the
-- rows the select policies let the caller see): the uid comes from
-- auth.uid() here, never from an argument, and only registered tables in
-- `relids` are read. The page phase (pull_page, SECURITY INVOKER) then fetches
-- the rows by primary key under RLS.
--
-- `skip_deletions` (a pull from null: a new device has nothing to delete)
-- leaves out tombstones and soft-deleted rows.
--
-- `hidden` marks a tombstone of a row the caller holds again (created anew or
-- moved back): it keeps its place for paging but is not reported. The check is
-- a primary-key lookup per candidate (a subplan, whatever the statistics say),
-- so tombstones cost O(candidates), never O(live rows) per tombstone.
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
returns table (relid oid, version xid8, bucket integer, row_id text, tombstone boolean, hidden boolean)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    uid uuid := supabase_sync.require_user('sync_pull');
    branches text;
    lives_again text;
    below_horizon boolean := horizon > '0'::xid8 and lower_version = horizon;
    upper_filter text := '';
    horizon_upper text := '';
    echo_rows text := '';
    echo_tombstones text := '';
    live_rows text := '';
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

    -- Parameters of every branch: $1 uid, $2/$3 lower position, $4/$5 upper
    -- position, $6 horizon, $8 echo filter, $9 limit. Each branch is ordered
    -- like its index and limited, so each reads at most row_limit entries.
    select
        pg_catalog.string_agg(
            pg_catalog.format(
                '(select %1$s::oid as relid, t.server_version as version, %3$s as bucket,'
                ' t.%4$I::text as row_id, false as tombstone'
                ' from %2$s as t where %5$s and (t.server_version, %3$s) >= ($2, $3)'
                || pg_catalog.format(upper_filter, 't.server_version', '%3$s')
                || echo_rows || live_rows
                || ' order by t.server_version, %3$s limit $9)',
                st.relid::oid, st.relid,
                pg_catalog.format('(pg_catalog.hashtextextended(t.%I::text, 0) & 32767)', st.id_column),
                st.id_column, supabase_sync.read_filter(st.relid, true)
            )
            || case when below_horizon then pg_catalog.format(
                ' union all (select %1$s::oid, $6, %3$s, t.%4$I::text, false'
                ' from %2$s as t where %5$s and t.server_version < $6 and %3$s >= $3'
                || pg_catalog.format(horizon_upper, '', '%3$s')
                || echo_rows || live_rows
                || ' order by %3$s limit $9)',
                st.relid::oid, st.relid,
                pg_catalog.format('(pg_catalog.hashtextextended(t.%I::text, 0) & 32767)', st.id_column),
                st.id_column, supabase_sync.read_filter(st.relid, false)
            ) else '' end
            || case when skip_deletions then '' else pg_catalog.format(
                ' union all (select %1$s::oid, tb.version, %2$s, tb.row_id, true'
                ' from supabase_sync.tombstone as tb'
                ' where tb.relid = %1$s::oid::regclass and tb.owner_id = $1 and (tb.version, %2$s) >= ($2, $3)'
                || pg_catalog.format(upper_filter, 'tb.version', '%2$s')
                || echo_tombstones
                || ' order by tb.version, %2$s limit $9)'
                || case when below_horizon then
                    ' union all (select %1$s::oid, $6, %2$s, tb.row_id, true'
                    ' from supabase_sync.tombstone as tb'
                    ' where tb.relid = %1$s::oid::regclass and tb.owner_id = $1 and tb.version < $6 and %2$s >= $3'
                    || pg_catalog.format(horizon_upper, '', '%2$s')
                    || echo_tombstones
                    || ' order by %2$s limit $9)'
                else '' end,
                st.relid::oid, '(pg_catalog.hashtextextended(tb.row_id, 0) & 32767)'
            ) end,
            ' union all '
        ),
        pg_catalog.string_agg(
            pg_catalog.format(
                ' when %1$s then exists (select from %2$s as live where live.%3$I = c.row_id::%4$s and live.%5$I = $1)',
                st.relid::oid, st.relid, st.id_column, st.id_type, st.owner_column
            ),
            ''
        )
    into branches, lives_again
    from supabase_sync.synced_table as st
    where st.relid = any(relids);

    if branches is null then
        return;
    end if;
    return query execute
        'select c.relid, c.version, c.bucket::integer, c.row_id, c.tombstone,'
        || ' c.tombstone and case c.relid' || lives_again || ' end'
        || ' from (select u.relid, u.version, u.bucket, u.row_id, u.tombstone from (' || branches || ') as u'
        || ' order by u.version, u.bucket, u.relid, u.row_id limit $9) as c'
        || ' order by c.version, c.bucket, c.relid, c.row_id'
    using uid, lower_version, lower_bucket, upper_version, upper_bucket, horizon, skip_deletions, echo_of, row_limit;
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
