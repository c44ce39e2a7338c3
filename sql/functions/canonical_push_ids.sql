-- One table's changes of a push with the ids of created/updated rows in the
-- canonical text of the id column's type (a uuid lower-case, as `::uuid::text`
-- prints it), so merge_push_rows merges what is one row for the table, not one
-- string (issue 11.12: the same uuid in two letter cases was two entries and
-- the later one was dropped).
-- Cheap in the usual case: one cast per id to see whether any id is not in
-- canonical form; only then the rows are rebuilt. An id the type cannot read
-- is left as sent (push_upserts names it with 22P02). A row's id is the value
-- of the table's id column (`id_column`, from the registry).
create or replace function supabase_sync.canonical_push_ids(table_changes jsonb, id_type text, id_column name)
returns jsonb
language plpgsql
immutable
security invoker
set search_path = ''
as $$
declare
    canonical boolean;
    part text;
    rebuilt jsonb := table_changes;
    created_ids jsonpath;
    updated_ids jsonpath;
begin
    if id_type = 'text' or pg_catalog.jsonb_typeof(table_changes) <> 'object' then
        return table_changes;
    end if;
    created_ids := ('strict $.created[*]' || supabase_sync.jsonpath_member(id_column))::jsonpath;
    updated_ids := ('strict $.updated[*]' || supabase_sync.jsonpath_member(id_column))::jsonpath;
    -- uuid ids as clients make them (lower-case) are canonical: a static
    -- statement (its plan cached) and no cast, so no subtransaction either.
    -- Silent jsonpath: a push may leave out created or updated.
    if id_type = 'uuid' and (
        select coalesce(
            pg_catalog.bool_and(i.id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'), true
        )
        from pg_catalog.jsonb_array_elements_text(
            pg_catalog.jsonb_path_query_array(table_changes, created_ids, '{}', true)
            || pg_catalog.jsonb_path_query_array(table_changes, updated_ids, '{}', true)
        ) as i (id)
    ) then
        return table_changes;
    end if;
    begin
        execute pg_catalog.format(
            'select coalesce(pg_catalog.bool_and(i.id = (i.id)::%s::text), true)'
            ' from pg_catalog.jsonb_array_elements_text('
            'pg_catalog.jsonb_path_query_array($1, $2, ''{}'', true)'
            ' || pg_catalog.jsonb_path_query_array($1, $3, ''{}'', true)) as i (id)',
            id_type
        ) into canonical using table_changes, created_ids, updated_ids;
    exception
        when data_exception then
            return table_changes;
    end;
    if canonical then
        return table_changes;
    end if;
    foreach part in array array['created', 'updated'] loop
        if pg_catalog.jsonb_typeof(table_changes -> part) = 'array' then
            execute pg_catalog.format(
                'select coalesce(pg_catalog.jsonb_agg('
                'e.r || pg_catalog.jsonb_build_object($2, (e.r ->> $2)::%s::text) order by e.n), ''[]'')'
                ' from pg_catalog.jsonb_array_elements($1) with ordinality as e (r, n)',
                id_type
            ) into rebuilt using table_changes -> part, id_column::text;
            table_changes := pg_catalog.jsonb_set(table_changes, array[part], rebuilt);
        end if;
    end loop;
    return table_changes;
end;
$$;

revoke all on function supabase_sync.canonical_push_ids(jsonb, text, name) from public, anon;
grant execute on function supabase_sync.canonical_push_ids(jsonb, text, name) to authenticated;

comment on function supabase_sync.canonical_push_ids(jsonb, text, name) is
'supabase-sync: a push''s created/updated ids in the canonical text of the id type, before merging.';
