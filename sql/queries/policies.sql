-- The policies of a table with their command, roles and expressions.
select
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
where pol.polrelid = %(oid)s::oid
order by pol.polname;
