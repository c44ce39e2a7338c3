-- What supabase_sync.compiled_function (schema step 0011) records of the
-- tables of %(oids)s (all when null): each function, the digest of its
-- templates, and whether its fingerprint is the table's current one.
select
    cf.relid::oid::bigint as table_oid,
    cf.purpose,
    cf.function_name::text as function_signature,
    cf.template_digest,
    (cf.fingerprint is not distinct from supabase_sync.compiled_fingerprint(cf.relid)) as fresh
from supabase_sync.compiled_function as cf
where %(oids)s::oid[] is null or cf.relid::oid = any(%(oids)s::oid[])
order by cf.relid, cf.purpose;
