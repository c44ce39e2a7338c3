-- Schemas the Data API exposes: public, plus every schema PostgREST serves
-- (pgrst.db_schemas, set on the authenticator role as Supabase does, or in the
-- session). Only schemas that exist are returned.
with configured as (
    select substr(setting.item, length('pgrst.db_schemas=') + 1) as schema_list
    from pg_catalog.pg_db_role_setting as role_setting
    cross join lateral unnest(role_setting.setconfig) as setting (item)
    where
        role_setting.setrole = (
            select r.oid from pg_catalog.pg_roles as r
            where r.rolname = 'authenticator'
        )
        and role_setting.setdatabase in (
            0,
            (
                select d.oid from pg_catalog.pg_database as d
                where d.datname = current_database()
            )
        )
        and setting.item like 'pgrst.db_schemas=%'
    union all
    select current_setting('pgrst.db_schemas', true) as schema_list
    union all
    select 'public' as schema_list
),

named as (
    select distinct btrim(listed.schema_name) as schema_name
    from configured
    cross join lateral unnest(string_to_array(configured.schema_list, ',')) as listed (schema_name)
)

select named.schema_name
from named
inner join pg_catalog.pg_namespace as n on named.schema_name = n.nspname
order by named.schema_name;
