-- The rows a push writes to one table: `created` then `updated` entries, one row
-- per id. The same id sent more than once (Drift sends a row in created and
-- updated, or twice in one array) is merged key by key, the later entry winning
-- (updated after created, a later array position after an earlier one).
-- A row's id is the value of the table's id column (`id_column`, from the
-- registry), e.g. {"order_no": ...} for a table keyed by order_no.
create or replace function supabase_sync.merge_push_rows(table_changes jsonb, id_column name)
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
declare
    created jsonb := case
        when pg_catalog.jsonb_typeof(table_changes -> 'created') = 'array' then table_changes -> 'created'
        else '[]'::jsonb
    end;
    updated jsonb := case
        when pg_catalog.jsonb_typeof(table_changes -> 'updated') = 'array' then table_changes -> 'updated'
        else '[]'::jsonb
    end;
    merged jsonb;
    ids jsonpath := ('strict $[*]' || supabase_sync.jsonpath_member(id_column))::jsonpath;
begin
    -- The usual push has each id once: no merge needed (and no copy of a large
    -- array when one of the two parts is empty).
    -- The ids alone, as text (like ->> id_column), gathered by jsonpath without
    -- copying every row (check_push_shape made sure every row has an id).
    if (
        select pg_catalog.count(distinct item.id)
            = pg_catalog.jsonb_array_length(created) + pg_catalog.jsonb_array_length(updated)
        from pg_catalog.jsonb_array_elements_text(
            pg_catalog.jsonb_path_query_array(created, ids)
            || pg_catalog.jsonb_path_query_array(updated, ids)
        ) as item (id)
    ) then
        return case
            when updated = '[]'::jsonb then created
            when created = '[]'::jsonb then updated
            else created || updated
        end;
    end if;

    with entry as (
        select
            item.doc,
            item.doc ->> id_column as id,
            item.ord as seq
        from pg_catalog.jsonb_array_elements(created || updated) with ordinality as item (doc, ord)
    ),

    grouped as (
        select
            entry.id,
            pg_catalog.min(entry.seq) as first_seq,
            pg_catalog.array_agg(entry.doc order by entry.seq) as versions
        from entry
        group by entry.id
    )

    select coalesce(
        pg_catalog.jsonb_agg(
            case
                when pg_catalog.cardinality(grouped.versions) = 1 then grouped.versions[1]
                else (
                    select pg_catalog.jsonb_object_agg(latest.key, latest.value)
                    from (
                        select distinct on (field.key)
                            field.key,
                            field.value
                        from pg_catalog.unnest(grouped.versions) with ordinality as version (doc, n)
                        cross join lateral pg_catalog.jsonb_each(version.doc) as field
                        order by field.key asc, version.n desc
                    ) as latest
                )
            end
            order by grouped.first_seq
        ),
        '[]'::jsonb
    ) into merged
    from grouped;
    return merged;
end;
$$;

revoke all on function supabase_sync.merge_push_rows(jsonb, name) from public, anon;
grant execute on function supabase_sync.merge_push_rows(jsonb, name) to authenticated;

comment on function supabase_sync.merge_push_rows(jsonb, name) is
'supabase-sync: one row per id from a push''s created and updated entries, later entries winning.';
