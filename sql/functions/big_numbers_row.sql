-- A row as a pull sends it, with the table's big-numbers choice applied
-- (issue 11.9): JavaScript reads JSON numbers as doubles, so an int8 beyond
-- 2^53 or a numeric with many digits loses precision in the client. With
-- big_numbers = 'string' (synced_table.big_numbers, else meta big_numbers,
-- default 'number') the int8 and numeric columns go out as JSON strings,
-- exactly as PostgreSQL prints them; pushes accept either form (a JSON string
-- is read by the column type's input function). 'number' returns the row
-- unchanged (the exact round trip for clients that read numbers exactly).
--
-- For any pull: `supabase_sync.big_numbers_row(<relid>, to_jsonb(t))` per row,
-- or, once per table and page, `supabase_sync.big_number_columns(<relid>)`
-- (null when nothing to convert) and then `row || jsonb_object_agg(c, row ->> c)`
-- over those columns. Cost: one registry lookup per table (cache it per page);
-- per row, one jsonb_set per int8/numeric column, nothing for 'number' tables.
create or replace function supabase_sync.big_number_columns(target regclass)
returns text[]
language sql
stable
security invoker
set search_path = ''
as $$
    select case
        when coalesce(
            st.big_numbers,
            (select m.value from supabase_sync.meta as m where m.key = 'big_numbers'),
            'number'
        ) = 'string'
            then coalesce(
                (
                    select pg_catalog.array_agg(a.attname::text order by a.attnum)
                    from pg_catalog.pg_attribute as a
                    where
                        a.attrelid = target
                        and a.attnum > 0
                        and not a.attisdropped
                        and a.atttypid in ('pg_catalog.int8'::regtype, 'pg_catalog.numeric'::regtype)
                ),
                '{}'::text[]
            )
    end
    from supabase_sync.synced_table as st
    where st.relid = target
$$;

create or replace function supabase_sync.big_numbers_row(target regclass, row_doc jsonb, columns text[] default null)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
    convert text[] := coalesce(columns, supabase_sync.big_number_columns(target));
    col text;
begin
    if convert is null or pg_catalog.cardinality(convert) = 0 then
        return row_doc;
    end if;
    foreach col in array convert loop
        if pg_catalog.jsonb_typeof(row_doc -> col) = 'number' then
            row_doc := pg_catalog.jsonb_set(row_doc, array[col], pg_catalog.to_jsonb(row_doc ->> col));
        end if;
    end loop;
    return row_doc;
end;
$$;

revoke all on function supabase_sync.big_number_columns(regclass) from public, anon;
grant execute on function supabase_sync.big_number_columns(regclass) to authenticated;
revoke all on function supabase_sync.big_numbers_row(regclass, jsonb, text[]) from public, anon;
grant execute on function supabase_sync.big_numbers_row(regclass, jsonb, text[]) to authenticated;

comment on function supabase_sync.big_number_columns(regclass) is
'supabase-sync: the int8/numeric columns a pull sends as strings for this table (big_numbers = string), or null.';
comment on function supabase_sync.big_numbers_row(regclass, jsonb, text[]) is
'supabase-sync: a row as a pull sends it, int8/numeric as JSON strings when the table''s big_numbers is string.';
