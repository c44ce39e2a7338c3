-- The key phase of a pull (pull_page): supabase_sync.pull_keys, or, when
-- pull_page found every requested table an owner table with fresh compiled
-- functions (docs/protocol.md "Compiled functions"), their compiled key
-- functions `key_functions` (one per table of `relids`, same order): the same
-- keys in the same order (position, then table, then id), `row_limit` at most.
-- Cost of the compiled path: one small dynamic statement calling them (a
-- union of their calls, ordered and limited, for several tables); their own
-- statements are static and planned once per session.
create or replace function supabase_sync.pull_candidates(
    key_functions text[],
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
security invoker
set search_path = ''
as $$
declare
    calls text;
begin
    if key_functions is null then
        return query
        select k.relid, k.version, k.bucket, k.row_id, k.tombstone, k.hidden, k.fresh
        from supabase_sync.pull_keys(
            relids => relids, lower_version => lower_version, lower_bucket => lower_bucket,
            upper_version => upper_version, upper_bucket => upper_bucket, horizon => horizon,
            skip_deletions => skip_deletions, echo_of => echo_of, row_limit => row_limit
        ) as k;
        return;
    end if;
    if pg_catalog.cardinality(key_functions) = 1 then
        calls := pg_catalog.format('select * from %s($1, $2, $3, $4, $5, $6, $7, $8)', key_functions[1]);
    else
        select 'select * from (' || pg_catalog.string_agg(
            pg_catalog.format('select * from %s($1, $2, $3, $4, $5, $6, $7, $8)', f.name), ' union all '
        ) || ') as u order by u.version, u.bucket, u.relid, u.row_id limit $8'
        into calls
        from pg_catalog.unnest(key_functions) as f (name);
    end if;
    return query execute calls
    using lower_version, lower_bucket, upper_version, upper_bucket, horizon, skip_deletions, echo_of, row_limit;
end;
$$;

revoke all on function supabase_sync.pull_candidates(
    text[], regclass[], xid8, integer, xid8, integer, xid8, boolean, uuid, integer
) from public, anon;
grant execute on function supabase_sync.pull_candidates(
    text[], regclass[], xid8, integer, xid8, integer, xid8, boolean, uuid, integer
) to authenticated;

comment on function supabase_sync.pull_candidates(
    text[], regclass[], xid8, integer, xid8, integer, xid8, boolean, uuid, integer
) is
'supabase-sync: key phase of a pull: pull_keys, or the tables'' compiled key functions when all are fresh.';
