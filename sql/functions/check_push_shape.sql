-- First check of a push (DESIGN 3.2): the shape of `changes` and its size.
-- changes = {"<collection>": {"created": [row...], "updated": [row...], "deleted": [id or row...]}}
-- A row is a JSON object with a non-null string or number `id`. Raises 22023
-- naming the table and the entry; returns the number of entries.
create or replace function supabase_sync.check_push_shape(changes jsonb, caller text)
returns bigint
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    bad record;
    entries bigint;
    well_formed boolean;
    max_rows bigint;
begin
    if changes is null or pg_catalog.jsonb_typeof(changes) <> 'object' then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format(
                'supabase_sync: %s: changes must be a JSON object, not %s',
                caller, coalesce(pg_catalog.jsonb_typeof(changes), 'null')
            ),
            detail = 'changes maps each table to its created, updated and deleted entries.',
            hint = 'Send {"public.task": {"created": [...], "updated": [...], "deleted": [...]}}.';
    end if;

    -- Fast path, one scan of the tables and their parts: jsonpath checks each
    -- array in place (no copy of every entry) and keeps the type name of each
    -- well-formed entry only, so the counts differ when any entry is bad. Any
    -- doubt (a bad entry, a null part, which is allowed, a non-object table)
    -- goes through the checks below, which find the first offending entry and
    -- name it.
    select
        not pg_catalog.jsonb_path_exists(changes, 'strict $.* ? (@.type() != "object")')
        and coalesce(pg_catalog.bool_and(
            case
                when part.key not in ('created', 'updated', 'deleted') then false
                when pg_catalog.jsonb_typeof(part.value) <> 'array' then false
                else pg_catalog.jsonb_array_length(part.value) = pg_catalog.jsonb_array_length(
                    pg_catalog.jsonb_path_query_array(
                        part.value,
                        case
                            when part.key = 'deleted' then
                                'strict $[*] ? (@.type() == "string" || @.type() == "number"'
                                ' || (@.type() == "object" && (@.id.type() == "string" || @.id.type() == "number")))'
                                '.type()'
                            else
                                'strict $[*] ? (@.type() == "object" && (@.id.type() == "string" || @.id.type() == "number"))'
                                '.type()'
                        end::jsonpath,
                        '{}'::jsonb,
                        true
                    )
                )
            end
        ), true),
        coalesce(pg_catalog.sum(
            case when pg_catalog.jsonb_typeof(part.value) = 'array' then pg_catalog.jsonb_array_length(part.value) end
        ), 0)
    into well_formed, entries
    from pg_catalog.jsonb_each(changes) as tbl
    cross join lateral pg_catalog.jsonb_each(
        case when pg_catalog.jsonb_typeof(tbl.value) = 'object' then tbl.value else '{}'::jsonb end
    ) as part;

    if not well_formed then
        select tbl.key as collection, pg_catalog.jsonb_typeof(tbl.value) as kind into bad
        from pg_catalog.jsonb_each(changes) as tbl
        where pg_catalog.jsonb_typeof(tbl.value) <> 'object'
        limit 1;
        if found then
            raise exception using
                errcode = '22023',
                message = pg_catalog.format(
                    'supabase_sync: %s: changes of %s must be a JSON object, not %s',
                    caller, pg_catalog.quote_literal(pg_catalog.left(bad.collection, 200)), bad.kind
                ),
                hint = 'Each table maps to {"created": [...], "updated": [...], "deleted": [...]}.';
        end if;

        select
            tbl.key as collection,
            part.key as part,
            pg_catalog.jsonb_typeof(part.value) as kind
        into bad
        from pg_catalog.jsonb_each(changes) as tbl
        cross join lateral pg_catalog.jsonb_each(tbl.value) as part
        where
            part.key not in ('created', 'updated', 'deleted')
            or pg_catalog.jsonb_typeof(part.value) not in ('array', 'null')
        limit 1;
        if found then
            raise exception using
                errcode = '22023',
                message = case
                    when bad.part in ('created', 'updated', 'deleted') then pg_catalog.format(
                        'supabase_sync: %s: %s %s must be an array, not %s',
                        caller, pg_catalog.left(bad.collection, 200), bad.part, bad.kind
                    )
                    else pg_catalog.format(
                        'supabase_sync: %s: %s has an unknown key %s',
                        caller, pg_catalog.left(bad.collection, 200),
                        pg_catalog.quote_literal(pg_catalog.left(bad.part, 200))
                    )
                end,
                hint = 'Valid keys: created (rows), updated (rows), deleted (ids or rows), each an array.';
        end if;

        select
            tbl.key as collection,
            part.key as part,
            entry.ord - 1 as pos,
            pg_catalog.jsonb_typeof(entry.value) as kind,
            pg_catalog.jsonb_typeof(entry.value -> 'id') as id_kind
        into bad
        from pg_catalog.jsonb_each(changes) as tbl
        cross join lateral pg_catalog.jsonb_each(tbl.value) as part
        cross join lateral pg_catalog.jsonb_array_elements(
            case when pg_catalog.jsonb_typeof(part.value) = 'array' then part.value else '[]'::jsonb end
        ) with ordinality as entry (value, ord)
        where not coalesce(
            (
                pg_catalog.jsonb_typeof(entry.value) = 'object'
                and pg_catalog.jsonb_typeof(entry.value -> 'id') in ('string', 'number')
            )
            or (part.key = 'deleted' and pg_catalog.jsonb_typeof(entry.value) in ('string', 'number')),
            false
        )
        order by tbl.key, part.key, entry.ord
        limit 1;
        if found then
            raise exception using
                errcode = '22023',
                message = pg_catalog.format(
                    'supabase_sync: %s: %s %s[%s] %s',
                    caller, pg_catalog.left(bad.collection, 200), bad.part, bad.pos,
                    case
                        when bad.kind <> 'object' and bad.part = 'deleted' then 'must be an id or a row, not ' || bad.kind
                        when bad.kind <> 'object' then 'must be a row (JSON object), not ' || bad.kind
                        when coalesce(bad.id_kind, 'null') = 'null' then 'has no id'
                        else 'has an id of type ' || bad.id_kind
                    end
                ),
                detail = 'Every row is a JSON object whose "id" is a non-null string or number.',
                hint = 'Send rows as objects with their "id"; deleted may list ids or rows.';
        end if;
    end if;

    select meta.value::bigint into max_rows
    from supabase_sync.meta
    where meta.key = 'max_push_rows';
    if entries > coalesce(max_rows, 10000) then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format(
                'supabase_sync: %s: push has %s entries, the limit is %s', caller, entries, coalesce(max_rows, 10000)
            ),
            detail = 'created + updated + deleted entries of all tables count towards the limit (meta max_push_rows).',
            hint = pg_catalog.format('Split the push into batches of at most %s entries.', coalesce(max_rows, 10000));
    end if;
    return entries;
end;
$$;

revoke all on function supabase_sync.check_push_shape(jsonb, text) from public, anon;
grant execute on function supabase_sync.check_push_shape(jsonb, text) to authenticated;

comment on function supabase_sync.check_push_shape(jsonb, text) is
'supabase-sync: validates the shape and size of a push; raises 22023 naming the entry.';
