-- supabase-sync verify: security-relevant state of one synced table (parameters:
-- relid, owner_column). publication_member is null when supabase_realtime does not exist.
select
    c.relrowsecurity as rls_enabled,
    c.relforcerowsecurity as rls_forced,
    a.attnotnull as owner_not_null,
    format_type(a.atttypid, a.atttypmod) as owner_type,
    exists(
        select 1
        from pg_catalog.pg_constraint as con
        where
            con.conrelid = c.oid
            and con.contype = 'c'
            and con.conkey = array[a.attnum]
            and pg_catalog.pg_get_constraintdef(con.oid) ilike '%%is not null%%'
    ) as owner_checked,
    exists(
        select 1
        from pg_catalog.pg_index as i
        inner join pg_catalog.pg_attribute as v
            on i.indrelid = v.attrelid and v.attname = 'server_version'
        where
            i.indrelid = c.oid
            and i.indkey[0] = a.attnum
            and i.indkey[1] = v.attnum
            and i.indpred is null
    ) as owner_index,
    case
        when
            exists (
                select 1 from pg_catalog.pg_publication as pub
                where pub.pubname = 'supabase_realtime'
            )
            then exists (
                select 1
                from pg_catalog.pg_publication_tables as pt
                where
                    pt.pubname = 'supabase_realtime'
                    and pt.schemaname = n.nspname
                    and pt.tablename = c.relname
            )
    end as publication_member
from pg_catalog.pg_class as c
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
inner join pg_catalog.pg_attribute as a
    on c.oid = a.attrelid and a.attname = %(owner_column)s and not a.attisdropped
where c.oid = %(relid)s;
