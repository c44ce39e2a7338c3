-- supabase-sync verify: the row level security policies of one table (parameter: relid).
-- roles is empty for policies TO PUBLIC.
select
    p.polname::text as name,
    case p.polcmd
        when 'r' then 'select'
        when 'a' then 'insert'
        when 'w' then 'update'
        when 'd' then 'delete'
        else 'all'
    end as command,
    p.polpermissive as permissive,
    array(
        select r.rolname::text
        from pg_catalog.pg_roles as r
        where r.oid = any(p.polroles)
        order by r.rolname
    ) as roles,
    pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using_expression,
    pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as check_expression
from pg_catalog.pg_policy as p
where p.polrelid = %(relid)s
order by p.polname;
