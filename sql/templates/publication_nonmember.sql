-- Takes the table out of Supabase Realtime's publication (enable --realtime
-- broadcast or off): Postgres Changes sends DELETE events to every subscriber
-- without RLS. Placeholders: {table} (identifier), {table_name} (literal).
do $supabase_sync$
begin
    if exists (
        select from pg_catalog.pg_publication_rel as pr
        inner join pg_catalog.pg_publication as p on pr.prpubid = p.oid
        where p.pubname = 'supabase_realtime' and pr.prrelid = {table_name}::regclass
    ) then
        alter publication supabase_realtime drop table {table};
    end if;
end
$supabase_sync$;
