-- Stops a migration with a clear message when a table has no single-column uuid
-- or text primary key (written when enable cannot read the catalog).
-- Placeholders: {table_name} (literal), {primary_key_column} (the name of the
-- table's single-column primary key, or null).
do $supabase_sync$
declare
    id_column text := ({primary_key_column});
    id_type text;
begin
    if id_column is null then
        raise exception using
        errcode = '42P16',
        message = format('supabase_sync: table %s has no single-column primary key', {table_name}),
        hint = 'sync needs a single-column uuid or text primary key that clients can generate offline';
    end if;
    select format_type(a.atttypid, null) into id_type
    from pg_catalog.pg_attribute as a
    where a.attrelid = {table_name}::regclass and a.attname = id_column;
    if id_type not in ('uuid', 'text', 'character varying') then
        raise exception using
        errcode = '42P16',
        message = format('supabase_sync: the primary key %s of table %s is %s', id_column, {table_name}, id_type),
        hint = 'sync needs a uuid or text key that clients can generate offline';
    end if;
end
$supabase_sync$;
