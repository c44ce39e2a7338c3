-- The page phase of a pull (supabase_sync.pull_page) for one owner or
-- scoped table, compiled (docs/protocol.md "Compiled functions"): the table's
-- entry of a page, {"created": [...], "updated": [...], "deleted": [...]},
-- from static SQL, exactly as pull_page's generic path builds it.
--
-- Cases: `ids` are the page's keys of live candidates, `deleted_ids` its
-- tombstone keys (never hidden ones), `fresh_ids` those of `ids` the key
-- phase marked fresh (a row moved in from a scope row the caller does not
-- see: created for them). A row is created when it is fresh, when its
-- creation's position (greatest(server_created_version, horizon), bucket) is
-- at or above the lower position, or on a pull from null (`incremental`
-- false: then nothing is updated); updated otherwise; soft-deleted rows and tombstones
-- are deleted ids, listed unless `list_deletions` is false (a pull from null
-- outside the Drift wrappers). `as_strings` (the table's big_numbers is
-- string) sends {big_number_columns}, the int8/numeric columns when it was
-- compiled, as JSON strings (supabase_sync.big_numbers_row); else the rows go
-- to jsonb in one conversion (an array of table rows).
--
-- SECURITY INVOKER: the rows are read by primary key under RLS, as the
-- caller. Cost: one primary-key probe per id (all three kinds at once), each
-- kept apart by `offset 0` so the planner never prefers a scoped table's
-- select policy's `scope column = any(...)` index (see pull_page).
-- Plans: always generic (plan_cache_mode; why: docs/protocol.md "Compiled functions").
-- Placeholders: {compiled_function}, {table}, {id_column} (identifiers),
-- {table_name}, {big_number_columns} (literals), {id_type} (the id column's type).
create or replace function {compiled_function}(
    ids text[],
    deleted_ids text[],
    fresh_ids text[],
    lower_version xid8,
    lower_bucket integer,
    horizon xid8,
    incremental boolean,
    list_deletions boolean,
    as_strings boolean
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
set plan_cache_mode = force_generic_plan
as $supabase_sync$
declare
    wanted {id_type}[] := ids::{id_type}[];
    created_rows {table}[];
    updated_rows {table}[];
    created_json jsonb;
    updated_json jsonb;
    soft_deleted text[];
    deleted text[] := array[]::text[];
begin
    -- One primary-key probe per id sorts the page's rows into the three kinds
    -- at once: soft-deleted rows are deletions; a live row is created when its
    -- creation's position is at or above the lower position (every row, on a
    -- pull from null), updated otherwise.
    select
        pg_catalog.array_agg(p.t) filter (where p.kind = 'created' and not as_strings),
        pg_catalog.array_agg(p.t) filter (where p.kind = 'updated' and not as_strings),
        pg_catalog.jsonb_agg(
            supabase_sync.big_numbers_row({table_name}::regclass, pg_catalog.to_jsonb(p.t), {big_number_columns}::text[])
        ) filter (where p.kind = 'created' and as_strings),
        pg_catalog.jsonb_agg(
            supabase_sync.big_numbers_row({table_name}::regclass, pg_catalog.to_jsonb(p.t), {big_number_columns}::text[])
        ) filter (where p.kind = 'updated' and as_strings),
        pg_catalog.array_agg(p.row_id) filter (where p.kind = 'deleted')
    into created_rows, updated_rows, created_json, updated_json, soft_deleted
    from (
        select
            x.t,
            (x.t).{id_column}::text as row_id,
            case
                when (x.t).deleted_at is not null then 'deleted'
                when
                    not incremental
                    or (
                        greatest((x.t).server_created_version, horizon),
                        pg_catalog.hashtextextended((x.t).{id_column}::text, 0) & 32767
                    ) >= (lower_version, lower_bucket)
                    or (x.t).{id_column}::text = any(fresh_ids)
                    then 'created'
                else 'updated'
            end as kind
        from pg_catalog.unnest(wanted) as w (id)
        cross join lateral (select t from {table} as t where t.{id_column} = w.id offset 0) as x
    ) as p;
    if list_deletions then
        select coalesce(pg_catalog.array_agg(distinct d.row_id), array[]::text[])
        into deleted
        from pg_catalog.unnest(soft_deleted || deleted_ids) as d (row_id);
    end if;
    if as_strings then
        return pg_catalog.jsonb_build_object(
            'created', coalesce(created_json, '[]'::jsonb),
            'updated', coalesce(updated_json, '[]'::jsonb),
            'deleted', deleted
        );
    end if;
    return pg_catalog.jsonb_build_object(
        'created', coalesce(created_rows, array[]::{table}[]),
        'updated', coalesce(updated_rows, array[]::{table}[]),
        'deleted', deleted
    );
end;
$supabase_sync$;

revoke all on function {compiled_function}(
    text[], text[], text[], xid8, integer, xid8, boolean, boolean, boolean
) from public, anon;
grant execute on function {compiled_function}(
    text[], text[], text[], xid8, integer, xid8, boolean, boolean, boolean
) to authenticated;
