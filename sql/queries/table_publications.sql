-- Publications that publish each of several tables (explicitly or as all tables).
select
    c.oid::bigint as table_oid,
    p.pubname::text as name
from pg_catalog.pg_class as c
cross join pg_catalog.pg_publication as p
where
    c.oid = any(%(oids)s::oid[])
    and (
        p.puballtables
        or exists (
            select from pg_catalog.pg_publication_rel as pr
            where pr.prpubid = p.oid and pr.prrelid = c.oid
        )
    )
order by c.oid, p.pubname;
