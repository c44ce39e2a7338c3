-- Adds the table to Supabase Realtime's publication when it exists and does not
-- already publish it (or every table). Placeholders: {table} (identifier),
-- {table_name} (literal).
do $supabase_sync$
begin
    if exists (
        select from pg_catalog.pg_publication
        where pubname = 'supabase_realtime' and not puballtables
    ) and not exists (
        select from pg_catalog.pg_publication_rel as pr
        inner join pg_catalog.pg_publication as p on pr.prpubid = p.oid
        where p.pubname = 'supabase_realtime' and pr.prrelid = {table_name}::regclass
    ) then
        alter publication supabase_realtime add table {table};
    end if;
end
$supabase_sync$;
