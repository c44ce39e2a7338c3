-- The policies of several tables with their command, roles (PUBLIC, role oid 0,
-- as 'public') and expressions as PostgreSQL prints them.
select
    pol.polrelid::bigint as table_oid,
    pol.polname::text as name,
    case pol.polcmd
        when 'r' then 'select'
        when 'a' then 'insert'
        when 'w' then 'update'
        when 'd' then 'delete'
        else 'all'
    end as command,
    pol.polpermissive as permissive,
    array(
        select case when r.role_oid = 0 then 'public' else pg_catalog.pg_get_userbyid(r.role_oid)::text end
        from unnest(pol.polroles) as r (role_oid)
        order by case when r.role_oid = 0 then 'public' else pg_catalog.pg_get_userbyid(r.role_oid)::text end
    ) as roles,
    pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) as using_expression,
    pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) as check_expression
from pg_catalog.pg_policy as pol
where pol.polrelid = any(%(oids)s::oid[])
order by pol.polrelid, pol.polname;
