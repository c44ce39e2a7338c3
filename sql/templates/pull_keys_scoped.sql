-- The key phase of a pull (supabase_sync.pull_keys) for one scoped table
-- (a table whose rows belong to a scope row, membership tables included),
-- compiled (docs/protocol.md "Compiled functions"): the same keys in the same
-- order, from static SQL, so its plans are cached for the session.
--
-- Static for the common call only: no access event (gained, lost) of the
-- caller for the table's scope table at or above lower, lower not at the
-- purge horizon, and a caller who sees at most a quarter of row_limit scope
-- rows. Any other call is answered by supabase_sync.pull_keys for this table
-- (the generic path: gained and lost scope rows, rows below the horizon, the
-- range of the (server_version, bucket) index). The common call's cases are
-- those of pull_keys for a scoped table without events:
--   changed rows   one ordered, limited range of the (scope column,
--                  server_version, bucket) index per visible scope row, at
--                  or above lower (below upper when given), soft-deleted ones
--                  left out when skip_deletions; `fresh` when the row moved in
--                  since lower from a scope row the caller does not see;
--   tombstones     the caller's owner-keyed ones (tables enabled before
--                  pack 3) and those of the scope rows the caller sees;
--   moved          rows that moved out of a scope row the caller sees into
--                  one they do not see, as deletions;
-- one key per id (its row, else its latest deletion), a deletion of a row the
-- caller sees again `hidden`; echo_of leaves out the device's own writes.
-- The scope rows the caller sees are read once (supabase_sync.visible_scopes).
--
-- Why SECURITY DEFINER: as pull_keys (the bucket hash is not leakproof; as
-- the table owner the position indexes serve the ranges). It returns only the
-- caller's keys: the uid comes from auth.uid(), the scope rows from
-- visible_scopes. Planned with enable_sort and jit off, as pull_keys.
--
-- Cost: one probe of the caller's access events, one range per visible scope
-- row (row_limit entries at most each), the tombstones and moves of the
-- visible scope rows since lower (indexes by scope row and version), a
-- moved-in probe per candidate and a primary-key probe per tombstone.
-- Plans: always generic (plan_cache_mode; why: docs/protocol.md "Compiled functions").
-- Placeholders: {compiled_function}, {table}, {id_column}, {scope_column}
-- (identifiers), {table_name}, {scope_table_name} (literals), {id_type},
-- {scope_type} (the id and scope columns' types).
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
set enable_sort = off
set jit = off
as $supabase_sync$
declare
    uid uuid := supabase_sync.require_user('sync_pull');
    target regclass := {table_name}::regclass;
    scope_table regclass := {scope_table_name}::regclass;
    visible text[] := supabase_sync.visible_scopes(scope_table);
begin
    if (horizon > '0'::xid8 and lower_version = horizon)
        or supabase_sync.reads_one_range(pg_catalog.cardinality(visible), row_limit)
        or exists (
            select from supabase_sync.access_event as e
            where
                e.user_id = uid
                and e.version >= lower_version
                and e.event in ('gained', 'lost')
                and e.scope = scope_table
        ) then
        return query
        select k.relid, k.version, k.bucket, k.row_id, k.tombstone, k.hidden, k.fresh
        from supabase_sync.pull_keys(
            relids => array[target], lower_version => lower_version, lower_bucket => lower_bucket,
            upper_version => upper_version, upper_bucket => upper_bucket, horizon => horizon,
            skip_deletions => skip_deletions, echo_of => echo_of, row_limit => row_limit
        ) as k;
        return;
    end if;
    return query
    select
        target::oid,
        c.version,
        c.bucket::integer,
        c.row_id,
        c.tombstone,
        c.tombstone and exists (
            select from {table} as l
            where l.{id_column} = c.row_id::{id_type} and l.{scope_column}::text = any(visible)
            offset 0
        ),
        c.fresh
    from (
        select d.version, d.bucket, d.row_id, d.tombstone, d.fresh
        from (
            select distinct on (u.row_id) u.version, u.bucket, u.row_id, u.tombstone, u.fresh
            from (
                (
                    select x.version, x.bucket, x.row_id, false as tombstone, x.fresh
                    from pg_catalog.unnest(visible) as v (id)
                    cross join lateral (
                        select
                            t.server_version as version,
                            (pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767) as bucket,
                            t.{id_column}::text as row_id,
                            exists (
                                select from supabase_sync.access_event as ae
                                where
                                    ae.event = 'moved'
                                    and ae.relid = target
                                    and ae.row_id = t.{id_column}::text
                                    and ae.version >= lower_version
                                    and not coalesce(ae.scope_id = any(visible), false)
                            ) as fresh
                        from {table} as t
                        where
                            t.{scope_column} = v.id::{scope_type}
                            and t.server_version >= lower_version
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
                    ) as x
                    order by x.version, x.bucket
                    limit row_limit
                )
                union all
                (
                    select
                        tb.version,
                        (pg_catalog.hashtextextended(tb.row_id, 0) & 32767),
                        tb.row_id,
                        true,
                        false
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
                        tb.version,
                        (pg_catalog.hashtextextended(tb.row_id, 0) & 32767),
                        tb.row_id,
                        true,
                        false
                    from supabase_sync.tombstone as tb
                    where
                        not skip_deletions
                        and tb.relid = target
                        and tb.scope_id = any(visible)
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
                        ae.version,
                        (pg_catalog.hashtextextended(ae.row_id, 0) & 32767),
                        ae.row_id,
                        true,
                        false
                    from supabase_sync.access_event as ae
                    where
                        not skip_deletions
                        and ae.event = 'moved'
                        and ae.scope = scope_table
                        and ae.scope_id = any(visible)
                        and ae.relid = target
                        and ae.version >= lower_version
                        and (ae.version, (pg_catalog.hashtextextended(ae.row_id, 0) & 32767))
                        >= (lower_version, lower_bucket)
                        and not coalesce(ae.to_scope_id = any(visible), false)
                        and (
                            upper_version is null
                            or (ae.version, (pg_catalog.hashtextextended(ae.row_id, 0) & 32767))
                            < (upper_version, upper_bucket)
                        )
                    order by ae.version, (pg_catalog.hashtextextended(ae.row_id, 0) & 32767)
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
