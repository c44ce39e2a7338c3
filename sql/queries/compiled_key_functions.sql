-- The compiled key-phase functions (schema step 0011, purpose pull_keys):
-- security definer on purpose, like supabase_sync.pull_keys (lint knows them).
select
    n.nspname::text as schema_name,
    p.proname::text as function_name
from supabase_sync.compiled_function as cf
inner join pg_catalog.pg_proc as p on cf.function_name::oid = p.oid
inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
where cf.purpose = %(purpose)s
order by n.nspname, p.proname;
