-- Stops a migration with a clear message when a table lacks columns enable
-- needs (written when enable cannot read the catalog and may not add them).
-- Placeholders: {table_name} (literal), {column_names} (text[] literal).
do $supabase_sync$
declare
    missing text;
begin
    select string_agg(required.name, ', ' order by required.position) into missing
    from unnest({column_names}::text []) with ordinality as required (name, position)
    where not exists (
        select from pg_catalog.pg_attribute as a
        where
            a.attrelid = {table_name}::regclass
            and a.attname = required.name
            and a.attnum > 0
            and not a.attisdropped
    );
    if missing is not null then
        raise exception using
        errcode = '42703',
        message = format('supabase_sync: table %s lacks the sync columns %s', {table_name}, missing),
        hint = 'add them, or run supabase-sync enable again with --add-missing-columns';
    end if;
end
$supabase_sync$;
