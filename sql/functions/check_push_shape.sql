-- First check of a push (DESIGN 3.2): the shape of `changes` and its size.
-- changes = {"<collection>": {"created": [row...], "updated": [row...], "deleted": [id or row...]}}
-- A row is a JSON object whose id (the key named by the table's id column,
-- synced_table.id_column: `id`, or e.g. `order_no`; `id` for a name that is
-- not registered, which the allow-list then rejects) is a non-null string or
-- number. Raises 22023 naming the table and the entry; returns the number of entries.
--
-- Bounds (meta, schema step 0005), checked in this order and before any
-- per-key work, so no input can make a push run past its statement timeout or
-- ignore a cancel (issue 11.1): the binary size of the whole push
-- (max_push_bytes, pg_column_size: O(1)), the number of entries
-- (max_push_rows), the binary size of each row (max_row_bytes, one pass over
-- the entries), the keys of each row (max_row_keys: counted only for rows
-- large enough to hold that many keys, a jsonb pair taking at least 8 bytes,
-- and those rows are at most max_row_bytes), the bytes of each id
-- (max_id_bytes). Each raises 22023 naming the limit, its value and the entry.
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
    max_push_bytes bigint;
    max_row_bytes bigint;
    max_row_keys bigint;
    max_id_bytes bigint;
    push_bytes bigint;
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

    select
        coalesce(pg_catalog.max(m.value) filter (where m.key = 'max_push_rows'), '10000')::bigint,
        coalesce(pg_catalog.max(m.value) filter (where m.key = 'max_push_bytes'), '8388608')::bigint,
        coalesce(pg_catalog.max(m.value) filter (where m.key = 'max_row_bytes'), '1048576')::bigint,
        coalesce(pg_catalog.max(m.value) filter (where m.key = 'max_row_keys'), '2000')::bigint,
        coalesce(pg_catalog.max(m.value) filter (where m.key = 'max_id_bytes'), '512')::bigint
    into max_rows, max_push_bytes, max_row_bytes, max_row_keys, max_id_bytes
    from supabase_sync.meta as m
    where m.key in ('max_push_rows', 'max_push_bytes', 'max_row_bytes', 'max_row_keys', 'max_id_bytes');

    push_bytes := pg_catalog.pg_column_size(changes);
    if push_bytes > max_push_bytes then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format(
                'supabase_sync: %s: push is %s bytes, the limit max_push_bytes is %s', caller, push_bytes, max_push_bytes
            ),
            detail = 'The size of the whole changes document (binary jsonb) counts towards the limit (meta max_push_bytes).',
            hint = 'Split the push into several smaller pushes (fewer rows each, each with its own push_id).';
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
                                || ' || (@.type() == "object" && (@' || supabase_sync.jsonpath_member(reg.id_key)
                                || '.type() == "string" || @' || supabase_sync.jsonpath_member(reg.id_key)
                                || '.type() == "number"))).type()'
                            else
                                'strict $[*] ? (@.type() == "object" && (@' || supabase_sync.jsonpath_member(reg.id_key)
                                || '.type() == "string" || @' || supabase_sync.jsonpath_member(reg.id_key)
                                || '.type() == "number")).type()'
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
    cross join lateral supabase_sync.push_id_key(tbl.key) as reg (id_key)
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
            pg_catalog.jsonb_typeof(entry.value -> reg.id_key) as id_kind,
            reg.id_key
        into bad
        from pg_catalog.jsonb_each(changes) as tbl
        cross join lateral supabase_sync.push_id_key(tbl.key) as reg (id_key)
        cross join lateral pg_catalog.jsonb_each(tbl.value) as part
        cross join lateral pg_catalog.jsonb_array_elements(
            case when pg_catalog.jsonb_typeof(part.value) = 'array' then part.value else '[]'::jsonb end
        ) with ordinality as entry (value, ord)
        where not coalesce(
            (
                pg_catalog.jsonb_typeof(entry.value) = 'object'
                and pg_catalog.jsonb_typeof(entry.value -> reg.id_key) in ('string', 'number')
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
                detail = pg_catalog.format(
                    'Every row is a JSON object whose id (key %s, the id column) is a non-null string or number.',
                    pg_catalog.to_jsonb(bad.id_key)
                ),
                hint = 'Send rows as objects with their id column; deleted may list ids or rows.';
        end if;
    end if;

    if entries > max_rows then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format(
                'supabase_sync: %s: push has %s entries, the limit is %s', caller, entries, max_rows
            ),
            detail = 'created + updated + deleted entries of all tables count towards the limit (meta max_push_rows).',
            hint = pg_catalog.format('Split the push into batches of at most %s entries.', max_rows);
    end if;

    -- One pass over the entries (each at most max_push_bytes in total): the
    -- first entry over a per-row bound. Keys are counted only for a row of at
    -- least 8 * max_row_keys bytes (smaller ones cannot hold more keys), and
    -- such a row is already known to be under max_row_bytes.
    select
        tbl.key as collection,
        part.key as part,
        entry.ord - 1 as pos,
        pg_catalog.left(coalesce(entry.value ->> reg.id_key, entry.value #>> '{}'), 100) as row_id,
        case
            when pg_catalog.pg_column_size(entry.value) > max_row_bytes then 'max_row_bytes'
            when pg_catalog.octet_length(coalesce(entry.value ->> reg.id_key, entry.value #>> '{}')) > max_id_bytes
                then 'max_id_bytes'
            when
                pg_catalog.jsonb_typeof(entry.value) = 'object'
                and pg_catalog.pg_column_size(entry.value) >= 8 * max_row_keys
                and (select pg_catalog.count(*) from pg_catalog.jsonb_object_keys(entry.value)) > max_row_keys
                then 'max_row_keys'
        end as limit_name,
        pg_catalog.pg_column_size(entry.value) as row_bytes,
        pg_catalog.octet_length(coalesce(entry.value ->> reg.id_key, entry.value #>> '{}')) as id_bytes
    into bad
    from pg_catalog.jsonb_each(changes) as tbl
    cross join lateral supabase_sync.push_id_key(tbl.key) as reg (id_key)
    cross join lateral pg_catalog.jsonb_each(tbl.value) as part
    cross join lateral pg_catalog.jsonb_array_elements(
        case when pg_catalog.jsonb_typeof(part.value) = 'array' then part.value else '[]'::jsonb end
    ) with ordinality as entry (value, ord)
    where
        pg_catalog.pg_column_size(entry.value) > max_row_bytes
        or pg_catalog.octet_length(coalesce(entry.value ->> reg.id_key, entry.value #>> '{}')) > max_id_bytes
        or (
            pg_catalog.jsonb_typeof(entry.value) = 'object'
            and pg_catalog.pg_column_size(entry.value) >= 8 * max_row_keys
            and (select pg_catalog.count(*) from pg_catalog.jsonb_object_keys(entry.value)) > max_row_keys
        )
    limit 1;
    if found then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format(
                'supabase_sync: %s: %s %s[%s] %s, the limit %s is %s',
                caller, pg_catalog.left(bad.collection, 200), bad.part, bad.pos,
                case bad.limit_name
                    when 'max_row_bytes' then pg_catalog.format('is %s bytes', bad.row_bytes)
                    when 'max_id_bytes' then pg_catalog.format('has an id of %s bytes', bad.id_bytes)
                    else 'has too many keys'
                end,
                bad.limit_name,
                case bad.limit_name
                    when 'max_row_bytes' then max_row_bytes
                    when 'max_id_bytes' then max_id_bytes
                    else max_row_keys
                end
            ),
            detail = 'Rows and ids are bounded so that no push can run past its statement timeout (meta '
            || bad.limit_name || ').',
            hint = case bad.limit_name
                when 'max_id_bytes' then 'Use short ids (e.g. UUIDs).'
                when 'max_row_keys' then 'Send only the columns of the table (and a few bookkeeping keys) in a row.'
                else 'Store large values elsewhere (e.g. Storage) and sync a reference to them.'
            end;
    end if;
    return entries;
end;
$$;

revoke all on function supabase_sync.check_push_shape(jsonb, text) from public, anon;
grant execute on function supabase_sync.check_push_shape(jsonb, text) to authenticated;

comment on function supabase_sync.check_push_shape(jsonb, text) is
'supabase-sync: validates the shape and size of a push; raises 22023 naming the entry.';
