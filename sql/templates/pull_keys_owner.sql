-- The key phase of a pull (supabase_sync.pull_keys) for one owner table,
-- compiled (docs/protocol.md "Compiled functions"): the same keys in the same
-- order, from static SQL, so its plans are cached for the session instead of
-- built and planned on every call.
--
-- Invariant: pull_keys' one position per row (greatest(server_version,
-- horizon), bucket of its id); an owner table has no access events, so its
-- cases are those of pull_keys for kind 'owner' and nothing else:
--   changed rows   the caller's rows at or above lower (below upper when
--                  given), soft-deleted ones left out when skip_deletions;
--   below horizon  (lower = horizon > 0) the caller's rows older than the
--                  horizon, at (horizon, bucket);
--   tombstones     the caller's owner-keyed ones (unless skip_deletions),
--                  at their positions or at the horizon like rows;
-- one key per id (its row, else its latest deletion), a deletion of a row the
-- caller holds again `hidden`; echo_of leaves out the device's own writes.
-- Every branch not taken is a one-time filter on a parameter: it costs nothing.
--
-- Why SECURITY DEFINER: as pull_keys (the bucket hash is not leakproof; as
-- the table owner the (owner, version, bucket) index serves the range). It
-- returns only the caller's keys: the uid comes from auth.uid() here.
--
-- Cost: one range read of the position index (row_limit entries at most),
-- one of the tombstones' position index, a primary-key probe per tombstone.
-- Plans: always generic (plan_cache_mode; why: docs/protocol.md "Compiled functions").
-- Placeholders: {compiled_function}, {table}, {owner_column}, {id_column}
-- (identifiers), {table_name} (literal), {id_type} (the id column's type).
create or replace function {compiled_function}(
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
set plan_cache_mode = force_generic_plan
as $supabase_sync$
declare
    uid uuid := supabase_sync.require_user('sync_pull');
    target regclass := {table_name}::regclass;
    below_horizon boolean := horizon > '0'::xid8 and lower_version = horizon;
    -- Below the horizon every version counts as the horizon: an upper bound
    -- at the horizon bounds the buckets there.
    horizon_upper integer := case when upper_version = horizon then upper_bucket end;
begin
    return query
    select
        target::oid,
        c.version,
        c.bucket::integer,
        c.row_id,
        c.tombstone,
        c.tombstone and exists (
            select from {table} as l
            where l.{id_column} = c.row_id::{id_type} and l.{owner_column} = uid
            offset 0
        ),
        false
    from (
        select d.version, d.bucket, d.row_id, d.tombstone
        from (
            select distinct on (u.row_id) u.version, u.bucket, u.row_id, u.tombstone
            from (
                (
                    select
                        t.server_version as version,
                        (pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767) as bucket,
                        t.{id_column}::text as row_id,
                        false as tombstone
                    from {table} as t
                    where
                        t.{owner_column} = uid
                        and (t.server_version, (pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767))
                        >= (lower_version, lower_bucket)
                        and (
                            upper_version is null
                            or (t.server_version, (pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767))
                            < (upper_version, upper_bucket)
                        )
                        and (echo_of is null or t.instance_id is distinct from echo_of)
                        and (not skip_deletions or t.deleted_at is null)
                    order by t.server_version, (pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767)
                    limit row_limit
                )
                union all
                (
                    select
                        horizon,
                        (pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767),
                        t.{id_column}::text,
                        false
                    from {table} as t
                    where
                        below_horizon
                        and t.{owner_column} = uid
                        and t.server_version < horizon
                        and (pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767) >= lower_bucket
                        and (
                            horizon_upper is null
                            or (pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767) < horizon_upper
                        )
                        and (echo_of is null or t.instance_id is distinct from echo_of)
                        and (not skip_deletions or t.deleted_at is null)
                    order by (pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767)
                    limit row_limit
                )
                union all
                (
                    select
                        tb.version,
                        (pg_catalog.hashtextextended(tb.row_id, 0) & 32767),
                        tb.row_id,
                        true
                    from supabase_sync.tombstone as tb
                    where
                        not skip_deletions
                        and tb.relid = target
                        and tb.owner_id = uid
                        and tb.scope_id is null
                        and (tb.version, (pg_catalog.hashtextextended(tb.row_id, 0) & 32767))
                        >= (lower_version, lower_bucket)
                        and (
                            upper_version is null
                            or (tb.version, (pg_catalog.hashtextextended(tb.row_id, 0) & 32767))
                            < (upper_version, upper_bucket)
                        )
                        and (echo_of is null or tb.instance_id is distinct from echo_of)
                    order by tb.version, (pg_catalog.hashtextextended(tb.row_id, 0) & 32767)
                    limit row_limit
                )
                union all
                (
                    select
                        horizon,
                        (pg_catalog.hashtextextended(tb.row_id, 0) & 32767),
                        tb.row_id,
                        true
                    from supabase_sync.tombstone as tb
                    where
                        not skip_deletions
                        and below_horizon
                        and tb.relid = target
                        and tb.owner_id = uid
                        and tb.scope_id is null
                        and tb.version < horizon
                        and (pg_catalog.hashtextextended(tb.row_id, 0) & 32767) >= lower_bucket
                        and (
                            horizon_upper is null
                            or (pg_catalog.hashtextextended(tb.row_id, 0) & 32767) < horizon_upper
                        )
                        and (echo_of is null or tb.instance_id is distinct from echo_of)
                    order by (pg_catalog.hashtextextended(tb.row_id, 0) & 32767)
                    limit row_limit
                )
            ) as u
            order by u.row_id, u.tombstone, u.version desc, u.bucket desc
        ) as d
        order by d.version, d.bucket, d.row_id
        limit row_limit
    ) as c
    order by c.version, c.bucket, c.row_id;
end;
$supabase_sync$;

revoke all on function {compiled_function}(
    xid8, integer, xid8, integer, xid8, boolean, uuid, integer
) from public, anon;
grant execute on function {compiled_function}(
    xid8, integer, xid8, integer, xid8, boolean, uuid, integer
) to authenticated;
