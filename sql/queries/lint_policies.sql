-- Row level security policies of every user schema with their expressions as
-- PostgreSQL prints them (calls wrapped in a subquery print as "( SELECT ...").
-- command: r select, a insert, w update, d delete, * all.
select
    n.nspname as schema_name,
    c.relname as table_name,
    p.polname as policy_name,
    p.polcmd::text as command,
    p.polpermissive as permissive,
    array(
        select coalesce(r.rolname, 'public')
        from unnest(p.polroles) as policy_role (oid)
        left join pg_catalog.pg_roles as r on policy_role.oid = r.oid
        order by coalesce(r.rolname, 'public')
    ) as roles,
    pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using_expression,
    pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as check_expression
from pg_catalog.pg_policy as p
inner join pg_catalog.pg_class as c on p.polrelid = c.oid
inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
where n.nspname not in ('pg_catalog', 'information_schema')
order by n.nspname, c.relname, p.polname;
