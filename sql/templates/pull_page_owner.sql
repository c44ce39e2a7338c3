-- The page phase of a pull (supabase_sync.pull_page) for one owner table,
-- compiled (docs/protocol.md "Compiled functions"): the table's entry of a
-- page, {"created": [...], "updated": [...], "deleted": [...]}, from static
-- SQL, exactly as pull_page's generic path builds it.
--
-- Cases: `ids` are the page's keys of live candidates, `deleted_ids` its
-- tombstone keys (never hidden ones). A row is created when its creation's
-- position (greatest(server_created_version, horizon), bucket) is at or above
-- the lower position, or on a pull from null (`incremental` false: then
-- nothing is updated); updated otherwise; soft-deleted rows and tombstones
-- are deleted ids, listed unless `list_deletions` is false (a pull from null
-- outside the Drift wrappers). `as_strings` (the table's big_numbers is
-- string) sends {big_number_columns}, the int8/numeric columns when it was
-- compiled, as JSON strings (supabase_sync.big_numbers_row); else the rows go
-- to jsonb in one conversion (an array of table rows).
--
-- SECURITY INVOKER: the rows are read by primary key under RLS, as the
-- caller. Cost: one primary-key probe per id and kind.
-- Placeholders: {compiled_function}, {table}, {id_column} (identifiers),
-- {table_name}, {big_number_columns} (literals), {id_type} (the id column's type).
create or replace function {compiled_function}(
    ids text[],
    deleted_ids text[],
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
as $supabase_sync$
declare
    wanted {id_type}[] := ids::{id_type}[];
    deleted text[] := array[]::text[];
begin
    if list_deletions then
        select coalesce(pg_catalog.array_agg(distinct d.row_id), array[]::text[])
        into deleted
        from (
            select t.{id_column}::text as row_id
            from {table} as t
            where t.{id_column} = any(wanted) and t.deleted_at is not null
            union all
            select gone.row_id
            from pg_catalog.unnest(deleted_ids) as gone (row_id)
        ) as d;
    end if;
    if as_strings then
        return pg_catalog.jsonb_build_object(
            'created', coalesce(
                (
                    select
                        pg_catalog.jsonb_agg(
                            supabase_sync.big_numbers_row(
                                {table_name}::regclass, pg_catalog.to_jsonb(t), {big_number_columns}::text[]
                            )
                        )
                    from {table} as t
                    where
                        t.{id_column} = any(wanted)
                        and t.deleted_at is null
                        and (
                            not incremental
                            or (
                                greatest(t.server_created_version, horizon),
                                pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767
                            ) >= (lower_version, lower_bucket)
                        )
                ),
                '[]'::jsonb
            ),
            'updated', coalesce(
                (
                    select
                        pg_catalog.jsonb_agg(
                            supabase_sync.big_numbers_row(
                                {table_name}::regclass, pg_catalog.to_jsonb(t), {big_number_columns}::text[]
                            )
                        )
                    from {table} as t
                    where
                        incremental
                        and t.{id_column} = any(wanted)
                        and t.deleted_at is null
                        and (
                            (
                                greatest(t.server_created_version, horizon),
                                pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767
                            ) >= (lower_version, lower_bucket)
                        ) is not true
                ),
                '[]'::jsonb
            ),
            'deleted', deleted
        );
    end if;
    return pg_catalog.jsonb_build_object(
        'created', coalesce(
            (
                select pg_catalog.array_agg(t)
                from {table} as t
                where
                    t.{id_column} = any(wanted)
                    and t.deleted_at is null
                    and (
                        not incremental
                        or (
                            greatest(t.server_created_version, horizon),
                            pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767
                        ) >= (lower_version, lower_bucket)
                    )
            ),
            array[]::{table}[]
        ),
        'updated', coalesce(
            (
                select pg_catalog.array_agg(t)
                from {table} as t
                where
                    incremental
                    and t.{id_column} = any(wanted)
                    and t.deleted_at is null
                    and (
                        (
                            greatest(t.server_created_version, horizon),
                            pg_catalog.hashtextextended(t.{id_column}::text, 0) & 32767
                        ) >= (lower_version, lower_bucket)
                    ) is not true
            ),
            array[]::{table}[]
        ),
        'deleted', deleted
    );
end;
$supabase_sync$;

revoke all on function {compiled_function}(
    text[], text[], xid8, integer, xid8, boolean, boolean, boolean
) from public, anon;
grant execute on function {compiled_function}(
    text[], text[], xid8, integer, xid8, boolean, boolean, boolean
) to authenticated;
