-- Publications that publish a table (explicitly or as all tables).
select p.pubname::text as name
from pg_catalog.pg_publication as p
where
    p.puballtables
    or exists (
        select from pg_catalog.pg_publication_rel as pr
        where pr.prpubid = p.oid and pr.prrelid = %(oid)s::oid
    )
order by p.pubname;
