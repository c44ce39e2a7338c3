-- Drops an index left invalid by an interrupted `create index concurrently`
-- (indisvalid false), so the build that follows makes it again instead of
-- `if not exists` keeping the broken one. A valid index is left alone.
-- Placeholders: {index_name} (qualified name, text literal), {index} (qualified identifier).
do $supabase_sync$
begin
    if exists (
        select from pg_catalog.pg_index as i
        where
            i.indexrelid = pg_catalog.to_regclass({index_name})
            and not i.indisvalid
    ) then
        drop index {index};
    end if;
end
$supabase_sync$;
